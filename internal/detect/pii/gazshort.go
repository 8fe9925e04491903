package pii

import "github.com/modelspec/modelspec/internal/detect/internal/swar"

// shortWords holds the gazetteer's keys of one to eight ASCII bytes (some
// 85% of the words looked up) for lookup, each packed with its flags into
// one uint64: the key's bytes in the low seven bits of each byte, the flags
// in the high bits (ASCII leaves them free). A lookup hashes the packed word
// with one multiplication and compares whole slots, in one array of 64 KB;
// the general table (wordtab) compares byte by byte in three arrays, and
// every cache line that a lookup needs less counts on a machine whose
// caches other work shares.
type shortWords struct {
	slots []uint64 // open addressing, linear probing; 0: empty
	shift uint     // h >> shift is a key's home slot
	mask  uint64
}

var shortGaz shortWords

const shortMul = 0x9e3779b97f4a7c15

// newShortWords packs the keys of m that packShort accepts, with their
// values (flags of at most eight bits).
func newShortWords(m map[string]uint8) shortWords {
	n := 0
	for k := range m {
		if _, ok := packShort(k); ok {
			n++
		}
	}
	size, bits := 8, uint(3)
	for size < 2*n {
		size, bits = size*2, bits+1
	}
	t := shortWords{slots: make([]uint64, size), shift: 64 - bits, mask: uint64(size - 1)}
	for k, f := range m {
		x, ok := packShort(k)
		if !ok {
			continue
		}
		i := (x * shortMul) >> t.shift
		for t.slots[i] != 0 && t.slots[i]&^swar.Lanes8 != x {
			i = (i + 1) & t.mask
		}
		// The gazetteer's keys are lower case: no two pack alike.
		t.slots[i] = x | spreadFlags(f)

	}
	return t
}

// spreadFlags puts bit k of f into the high bit of byte k.
func spreadFlags(f uint8) uint64 {
	var s uint64
	for k := range 8 {
		if f&(1<<k) != 0 {
			s |= 0x80 << (8 * k)
		}
	}
	return s
}

// gatherFlags is the inverse of spreadFlags: the high bit of byte k of s
// becomes bit k (the multiplication moves each bit to its place in the
// top byte without carries).
func gatherFlags(s uint64) uint8 {
	return uint8(((s & swar.Lanes8) >> 7 * 0x0102040810204080) >> 56)
}

// packShort packs w, its ASCII letters lowered, into the bytes of a uint64
// (w[0] lowest), zero-padded; ok is false unless w has one to eight bytes,
// all ASCII and none zero, so that the packed word tells its length.
func packShort(w string) (x uint64, ok bool) {
	if len(w) == 0 || len(w) > 8 {
		return 0, false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == 0 || c >= 0x80 {
			return 0, false
		}
		x |= uint64(swar.LowerASCII(c)) << (8 * i)
	}
	return x, true
}

// packShortAt is packShort(text[start:end]), with one load of the word
// when eight bytes are left from start.
func packShortAt(text string, start, end int) (x uint64, ok bool) {
	n := end - start
	if n <= 0 || n > 8 {
		return 0, false
	}
	if start+8 > len(text) {
		return packShort(text[start:end])
	}
	keep := ^uint64(0) >> (64 - 8*n)
	x = swar.Load64(text, start) & keep
	if x&swar.Lanes8 != 0 {
		return 0, false // a non-ASCII byte
	}
	if y := x | ^keep; (y-swar.Lanes1)&^y&swar.Lanes8 != 0 {
		return 0, false // a zero byte in the word
	}
	return swar.Lower8(x), true
}

// get returns the flags of the packed word x and whether it is a key.
func (t *shortWords) get(x uint64) (uint8, bool) {
	for i := (x * shortMul) >> t.shift; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s&^swar.Lanes8 == x {
			return gatherFlags(s), true
		}
		if s == 0 {
			return 0, false
		}
	}
}
