package pii

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// Fast skips. Most detectors here can only start a candidate at or just
// before a digit (card, SSN, phone, IPv4, IBAN, numeric and month-name
// dates) or at a capital letter (names). These helpers find the next such
// byte eight bytes at a time (SWAR: SIMD within a register), so that text
// without candidates costs a fraction of a nanosecond per byte; the scans
// then run their byte-by-byte logic from a little before the hit, which
// keeps their findings exactly what a scan of every byte gives.
//
// Each detector's detect(text, skip) is its Detect; with skip false it
// visits every byte (every word) instead, which is the reference the tests
// compare the fast path with (FuzzDetect, TestSkipsKeepFindings).

const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	hi8 = 0x8080808080808080
)

// load64 reads s[i:i+8] as a little-endian word (the compiler turns this
// into one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// digitBytes has the high bit of each byte of x that is an ASCII digit set.
// Masking to 7 bits first keeps every addition inside its byte.
func digitBytes(x uint64) uint64 {
	m := x & lo7
	ge0 := m + 0x5050505050505050     // high bit: m >= '0'
	gtColon := m + 0x4646464646464646 // high bit: m >= ':'
	return ge0 &^ gtColon &^ x & hi8
}

// upperOrHighBytes has the high bit set for each byte of x that is an ASCII
// capital or a byte of a non-ASCII character (which may be a capital).
func upperOrHighBytes(x uint64) uint64 {
	m := x & lo7
	geA := m + 0x3f3f3f3f3f3f3f3f // high bit: m >= 'A'
	gtZ := m + 0x2525252525252525 // high bit: m >= '['
	return (geA&^gtZ | x) & hi8
}

// indexDigit returns the index of the first ASCII digit in s at or after
// i, or len(s).
func indexDigit(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := digitBytes(load64(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3 // the mask is exact per byte
		}
	}
	for ; i < len(s); i++ {
		if isDigit(s[i]) {
			return i
		}
	}
	return len(s)
}

// nextDigit returns where a scan at i, on no digit, goes on: the next
// digit (or len(s)), or with skip false just the next byte.
func nextDigit(s string, i int, skip bool) int {
	if !skip {
		return i + 1
	}
	return indexDigit(s, i)
}

// indexUpperOrHigh returns the index of the first ASCII capital or
// non-ASCII byte in s at or after i, or len(s).
func indexUpperOrHigh(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := upperOrHighBytes(load64(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return i
		}
	}
	return len(s)
}

// indexAnyDigit returns the index of the first ASCII digit or non-ASCII
// decimal digit (unicode.IsDigit, which nextToken counts as a digit) in s at
// or after i, or len(s).
func indexAnyDigit(s string, i int) int {
	for i < len(s) {
		if i+8 <= len(s) {
			x := load64(s, i)
			m := digitBytes(x) | x&hi8
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3 // a digit or a non-ASCII byte
		}
		switch c := s[i]; {
		case isDigit(c):
			return i
		case c >= utf8.RuneSelf:
			r, w := utf8.DecodeRuneInString(s[i:])
			if unicode.IsDigit(r) {
				return i
			}
			i += w
		default:
			i++
		}
	}
	return len(s)
}
