// Package swar holds the byte tests the detectors' fast paths share: tests
// of eight bytes at once, held in a uint64 ("SIMD within a register"), and
// the one-byte ASCII lowering they stand beside.
//
// Everything here is a constant or a pure function of its arguments: no
// allocation, no state, no imports. The functions run in the detectors'
// innermost loops and must stay small enough for the compiler to inline
// them there (check with go build -gcflags=-m); a test that needs more
// belongs with its one caller, built from these.
//
// Eight bytes are held first byte lowest (as Load64 reads them), one per
// lane. A test leaves the high bit of a lane set where the byte passes and
// every other bit clear, and is exact per lane: a subtraction is done with
// every high bit set first, so that no lane borrows from its neighbour; it
// then compares the low seven bits of each lane.
package swar

const (
	Lanes1 = 0x0101010101010101 // c*Lanes1 holds byte c in every lane
	Lanes8 = 0x8080808080808080 // the high bit of every lane
)

// Load64 returns s[i:i+8], s[i] lowest. The slice to eight bytes leaves
// one bounds check, and the compiler reads them in one load.
func Load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Equal8 marks the lanes of x equal to c.
func Equal8(x uint64, c byte) uint64 {
	t := x ^ uint64(c)*Lanes1 // zero in those lanes
	return ^(t&^Lanes8 + 0x7f*Lanes1 | t) & Lanes8
}

// Range8 marks the lanes of x holding an ASCII byte from lo to hi, both
// included; hi must be ASCII. The non-ASCII lanes pass no range: a caller
// that wants them adds x&Lanes8.
func Range8(x uint64, lo, hi byte) uint64 {
	set := x | Lanes8
	// set-c*Lanes1 has the high bit of a lane set where its low seven bits
	// are c or more; no lane borrows, each being 0x80 or more.
	return (set - uint64(lo)*Lanes1) &^ (set - (uint64(hi)+1)*Lanes1) &^ x & Lanes8
}

// Lower8 lowers the ASCII capital letters of x; other lanes are unchanged.
func Lower8(x uint64) uint64 {
	return x + Range8(x, 'A', 'Z')>>2 // 0x80>>2 is 'a'-'A'
}

// LowerASCII returns c, lowered if it is an ASCII capital letter. It reads
// a table: no branch in the loops that lower every byte of a word.
func LowerASCII(c byte) byte { return lower[c] }

var lower = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()
