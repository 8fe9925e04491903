package pii

import (
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// Fast skips. Most detectors here can only start a candidate at or just
// before a digit (card, SSN, phone, IPv4, IBAN, numeric and month-name
// dates) or at a capital letter (names). These helpers find the next such
// byte eight bytes at a time (see package swar), so that text
// without candidates costs a fraction of a nanosecond per byte; the scans
// then run their byte-by-byte logic from a little before the hit, which
// keeps their findings exactly what a scan of every byte gives.
//
// Each detector's detect(text, skip) is its Detect; with skip false it
// visits every byte (every word) instead, which is the reference the tests
// compare the fast path with (FuzzDetect, TestSkipsKeepFindings).

// indexDigit returns the index of the first ASCII digit in s at or after
// i, or len(s).
func indexDigit(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := swar.Range8(swar.Load64(s, i), '0', '9'); m != 0 {
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
		x := swar.Load64(s, i)
		if m := swar.Range8(x, 'A', 'Z') | x&swar.Lanes8; m != 0 { // a non-ASCII byte may be a capital's
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
			x := swar.Load64(s, i)
			m := swar.Range8(x, '0', '9') | x&swar.Lanes8
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
