package wordtab

import (
	"encoding/binary"
	"slices"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// Lower is a table for looking words up in text whose ASCII letters are
// already lower case (such as textnorm's folded text): it finds what a
// Table holding the same keys finds for such a word, but faster, because it
// need not lower the word as it reads it.
//
// Keys of up to shortLen bytes, which are nearly all of a word list, are
// held packed in two uint64s each, zero-padded, so a lookup reads the word
// with two loads, hashes it with two multiplications, and most often stops
// at a 4 KB filter; a hit compares two uint64s. Longer keys go to a Table.
type Lower[V any] struct {
	// filter has bit lowerFilterBit(h) set for the hash h of every short
	// key: most words that are not keys are turned away by this one load
	// from 4 KB, which stay in the fastest cache where the slots would not.
	filter [filterWords]uint64
	slots  []packed // open addressing, linear probing; n == 0: empty
	vals   []V      // vals[i] belongs to slots[i]
	shift  uint     // hash >> shift is the home slot
	long   *Table[V]
	n      int
}

// shortLen is the longest key Lower holds packed.
const shortLen = 16

// filterWords is the size of Lower's filter: 1<<15 bits, so that it lets
// through about one word in 50 that is not a key, for a list of 600 keys.
const filterWords = 1 << 9

// lowerFilterBit is the bit of the filter for a hash: its 15 bits below
// the top 20, which pick the home slot of a table of up to 2^20 slots (a
// larger table would only filter less well).
func lowerFilterBit(h uint64) uint64 { return h >> 29 & (filterWords*64 - 1) }

type packed struct {
	lo, hi uint64 // the key's bytes, first byte lowest, zero-padded
	n      uint64 // its length; 0 for an empty slot
}

// NewLower returns a table holding m. As for New, keys are stored with
// their ASCII letters lowered; of keys that are then equal, the value of
// the greatest (in byte order) is kept; empty keys and keys longer than
// MaxLen are left out.
func NewLower[V any](m map[string]V) *Lower[V] {
	ks := make([]string, 0, len(m))
	long := map[string]V{}
	for k, v := range m {
		switch {
		case k == "" || len(k) > MaxLen:
		case len(k) > shortLen:
			long[k] = v
		default:
			ks = append(ks, k)
		}
	}
	slices.Sort(ks) // so that the greatest of keys equal once lowered is stored last
	// At most a quarter full, so that a miss, the common case, usually
	// reads one slot.
	size, shift := 16, uint(64-4)
	for size < 4*len(ks) {
		size, shift = size*2, shift-1
	}
	t := &Lower[V]{slots: make([]packed, size), vals: make([]V, size), shift: shift, long: New(long)}
	for _, k := range ks {
		var b [shortLen]byte
		for i := 0; i < len(k); i++ {
			b[i] = swar.LowerASCII(k[i])
		}
		p := packed{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:]), uint64(len(k))}
		h := hashPacked(p.lo, p.hi)
		f := lowerFilterBit(h)
		t.filter[f>>6] |= 1 << (f & 63)
		i := int(h >> t.shift)
		for t.slots[i].n != 0 && t.slots[i] != p {
			i = (i + 1) & (size - 1)
		}
		if t.slots[i].n == 0 {
			t.n++
			t.slots[i] = p
		}
		t.vals[i] = m[k]
	}
	t.n += t.long.Len()
	return t
}

// Len returns the number of keys.
func (t *Lower[V]) Len() int { return t.n }

func hashPacked(lo, hi uint64) uint64 { return (lo ^ hi*mulB) * mulA }

// FindAt returns the value of the word text[start:end] in place (the
// caller must not change it), or nil. The word must hold no ASCII capital
// letter: it is compared as it is, so such a word is not found. It takes
// the whole text so that it may read the word in two loads of eight bytes
// even where those run past the word's end (the bytes past it are masked
// off); it never reads past len(text).
func (t *Lower[V]) FindAt(text []byte, start, end int) *V {
	n := end - start
	if n > shortLen {
		return t.long.FindBytes(text[start:end])
	}
	if n <= 0 {
		return nil
	}
	var lo, hi uint64
	if start+shortLen <= len(text) {
		lo = binary.LittleEndian.Uint64(text[start:])
		hi = binary.LittleEndian.Uint64(text[start+8:])
	} else {
		var b [shortLen]byte
		copy(b[:], text[start:end])
		lo = binary.LittleEndian.Uint64(b[:8])
		hi = binary.LittleEndian.Uint64(b[8:])
	}
	// Keep the word's n bytes: shifting by 64 or more gives 0 in Go.
	if n < 8 {
		lo &= 1<<(8*uint(n)) - 1
		hi = 0
	} else {
		hi &= 1<<(8*uint(n-8)) - 1
	}
	return t.FindPacked(lo, hi, n)
}

// FindPacked returns the value of the word of n bytes, 0 < n <= 16,
// held in lo and hi (first byte lowest, zero past the word), in place (the
// caller must not change it), or nil. The word must hold no ASCII capital
// letter. It is FindAt for a caller that has read the word's bytes
// already, as a scan for word ends may.
func (t *Lower[V]) FindPacked(lo, hi uint64, n int) *V {
	h := hashPacked(lo, hi)
	if f := lowerFilterBit(h); t.filter[f>>6]&(1<<(f&63)) == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	for i := int(h >> t.shift); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.lo == lo && s.hi == hi && s.n == uint64(n) {
			return &t.vals[i]
		}
		if s.n == 0 {
			return nil
		}
	}
}

// FindBytes is FindAt for a word held alone in a byte slice.
func (t *Lower[V]) FindBytes(w []byte) *V { return t.FindAt(w, 0, len(w)) }

// MayHold reports whether the word packed as for FindPacked may be a key:
// false for most words that are not, after one load from a 4 KB filter.
// FindPacked checks it too; a caller may check it first to skip the call.
func (t *Lower[V]) MayHold(lo, hi uint64) bool {
	f := lowerFilterBit(hashPacked(lo, hi))
	return t.filter[f>>6]&(1<<(f&63)) != 0
}
