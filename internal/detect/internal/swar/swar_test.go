package swar

import (
	"encoding/binary"
	"testing"
)

// word returns eight bytes f, but c in lane p, as Load64 reads them.
func word(c, f byte, p int) uint64 {
	x := uint64(f) * Lanes1
	return x&^(0xff<<(8*p)) | uint64(c)<<(8*p)
}

// lanes is the mask a test of eight bytes must give for x: the high bit of
// every lane whose byte passes the byte-at-a-time test.
func lanes(x uint64, pass func(byte) bool) uint64 {
	var m uint64
	for p := range 8 {
		if pass(byte(x >> (8 * p))) {
			m |= 0x80 << (8 * p)
		}
	}
	return m
}

// fillers are the bytes around the one under test: those next to a
// lane's bounds, where a borrow or carry between lanes would show.
func fillers(c byte) []byte {
	return []byte{0, 1, 0x7f, 0x80, 0x81, 0xff, 'A', 'Z', '[', c, c - 1, c + 1}
}

// TestEqual8 compares Equal8 with == for every byte in every lane, against
// every byte it may be asked for.
func TestEqual8(t *testing.T) {
	for k := range 256 {
		for c := range 256 {
			for _, f := range fillers(byte(c)) {
				for p := range 8 {
					x := word(byte(c), f, p)
					want := lanes(x, func(b byte) bool { return b == byte(k) })
					if got := Equal8(x, byte(k)); got != want {
						t.Fatalf("Equal8(%#016x, %#x) = %#016x, want %#016x", x, k, got, want)
					}
				}
			}
		}
	}
}

// TestRange8 compares Range8 with comparisons for every byte in every
// lane, on the ranges the detectors ask for and on the edges of ASCII.
func TestRange8(t *testing.T) {
	for _, r := range [][2]byte{{0, 0x1f}, {'\n', '\r'}, {'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'!', '~'},
		{0, 0x7f}, {0, 0}, {0x7f, 0x7f}, {'\'', '\''}} {
		lo, hi := r[0], r[1]
		for c := range 256 {
			for _, f := range fillers(byte(c)) {
				for p := range 8 {
					x := word(byte(c), f, p)
					want := lanes(x, func(b byte) bool { return b < 0x80 && lo <= b && b <= hi })
					if got := Range8(x, lo, hi); got != want {
						t.Fatalf("Range8(%#016x, %#x, %#x) = %#016x, want %#016x", x, lo, hi, got, want)
					}
				}
			}
		}
	}
}

func refLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// TestLower compares LowerASCII and Lower8 with refLower for every byte,
// in every lane for Lower8.
func TestLower(t *testing.T) {
	for c := range 256 {
		if got, want := LowerASCII(byte(c)), refLower(byte(c)); got != want {
			t.Fatalf("LowerASCII(%#x) = %#x, want %#x", c, got, want)
		}
		for _, f := range fillers(byte(c)) {
			for p := range 8 {
				x := word(byte(c), f, p)
				var want uint64
				for q := range 8 {
					want |= uint64(refLower(byte(x>>(8*q)))) << (8 * q)
				}
				if got := Lower8(x); got != want {
					t.Fatalf("Lower8(%#016x) = %#016x, want %#016x", x, got, want)
				}
			}
		}
	}
}

func TestLoad64(t *testing.T) {
	b := make([]byte, 20)
	for i := range b {
		b[i] = byte(i*37 + 0x80)
	}
	for i := 0; i+8 <= len(b); i++ {
		if got, want := Load64(string(b), i), binary.LittleEndian.Uint64(b[i:]); got != want {
			t.Fatalf("Load64(s, %d) = %#016x, want %#016x", i, got, want)
		}
	}
}
