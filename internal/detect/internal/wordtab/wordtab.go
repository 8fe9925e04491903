// Package wordtab is a read-only hash table from words to values, for the
// word lists detectors look every word of a text up in (gazetteers, rule
// anchors). A lookup hashes the word as it lowers its ASCII letters, so the
// caller needs no lower-cased copy, and a miss, the common case, usually
// costs one hash and one slot read. Lower (lower.go) is the same for text
// already lower-cased, such as textnorm's folded text: it packs short words
// into two words of memory and filters misses faster.
//
// Like the detectors that use it, it does no I/O and holds no state that a
// lookup changes: a Table is safe for concurrent use.
package wordtab

import (
	"encoding/binary"
	"slices"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// MaxLen is the longest key a Table holds; longer words are never found.
const MaxLen = 255

// Table maps words, ASCII case ignored, to values of type V.
type Table[V any] struct {
	// filter has bit filterBit(k) set for every key k: most words that are
	// not keys are turned away by this one load, before any hashing.
	filter [1 << 10]uint64
	keys   string // every key, ASCII letters lowered, concatenated
	slots  []slot
	vals   []V // vals[i] belongs to slots[i]
	mask   uint64
	n      int
}

type slot struct {
	off uint32 // the key is keys[off : off+n]
	n   uint16 // 0: empty
	tag uint16 // more bits of the hash, to skip most comparisons
}

// New returns a table holding m. Keys are stored with their ASCII letters
// lowered; of keys that are then equal, the value of the greatest (in byte
// order) is kept. Empty keys and keys longer than MaxLen are left out.
func New[V any](m map[string]V) *Table[V] {
	ks := make([]string, 0, len(m))
	for k := range m {
		if k != "" && len(k) <= MaxLen {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	size := 8
	for size < 2*len(ks) {
		size *= 2
	}
	t := &Table[V]{slots: make([]slot, size), vals: make([]V, size), mask: uint64(size - 1)}
	var keys []byte
	for _, k := range ks {
		h := hash(k)
		i := h & t.mask
		for ; t.slots[i].n != 0; i = (i + 1) & t.mask {
			if s := t.slots[i]; s.tag == uint16(h>>48) && int(s.n) == len(k) && equal(string(keys[s.off:s.off+uint32(s.n)]), k) {
				break // the same key in another case
			}
		}
		if t.slots[i].n == 0 {
			t.n++
			b := filterBit(k[0], second(k), len(k))
			t.filter[b>>6] |= 1 << (b & 63)
			t.slots[i] = slot{off: uint32(len(keys)), n: uint16(len(k)), tag: uint16(h >> 48)}
			for j := 0; j < len(k); j++ {
				keys = append(keys, swar.LowerASCII(k[j]))
			}
		}
		t.vals[i] = m[k]
	}
	t.keys = string(keys)
	return t
}

// Len returns the number of keys.
func (t *Table[V]) Len() int { return t.n }

// Get returns the value of w, ASCII case ignored.
func (t *Table[V]) Get(w string) (v V, ok bool) {
	if len(w) == 0 || len(w) > MaxLen {
		return v, false
	}
	if b := filterBit(w[0], second(w), len(w)); t.filter[b>>6]&(1<<(b&63)) == 0 {
		return v, false
	}
	h := hash(w)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s.n == 0 {
			return v, false
		}
		if s.tag == uint16(h>>48) && int(s.n) == len(w) && equal(t.keys[s.off:s.off+uint32(s.n)], w) {
			return t.vals[i], true
		}
	}
}

// GetBytes is Get for a word held in a byte slice.
func (t *Table[V]) GetBytes(w []byte) (v V, ok bool) {
	if p := t.FindBytes(w); p != nil {
		return *p, true
	}
	return v, false
}

// FindBytes returns the value of w, ASCII case ignored, in place (the
// caller must not change it), or nil: for large values, which GetBytes
// would copy on every lookup, found or not.
func (t *Table[V]) FindBytes(w []byte) *V {
	if len(w) == 0 || len(w) > MaxLen {
		return nil
	}
	var w1 byte
	if len(w) > 1 {
		w1 = w[1]
	}
	if b := filterBit(w[0], w1, len(w)); t.filter[b>>6]&(1<<(b&63)) == 0 {
		return nil
	}
	h := hashBytes(w)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s.n == 0 {
			return nil
		}
		if s.tag == uint16(h>>48) && int(s.n) == len(w) && equalBytes(t.keys[s.off:s.off+uint32(s.n)], w) {
			return &t.vals[i]
		}
	}
}

// filterBit is the filter's bit for a word of n bytes that starts with
// b0, b1 (b1 is 0 for a word of one byte): seven bits of each and two bits
// of the length.
func filterBit(b0, b1 byte, n int) uint {
	// Setting bit 5 lowers ASCII letters (and merges a few other bytes,
	// which only lets a few more words through to the hash).
	return uint((b0|0x20)&0x7f) | uint((b1|0x20)&0x7f)<<7 | uint(n&3)<<14
}

func second(s string) byte {
	if len(s) > 1 {
		return s[1]
	}
	return 0
}

// The hash reads eight bytes at a time with bit 5 of every byte set, which
// lowers ASCII letters (it also merges some other bytes, '@' with '`' and
// so on: equal hashes are confirmed by comparing the words).
const (
	fold5 = 0x20 * swar.Lanes1
	mulA  = 0x9e3779b97f4a7c15
	mulB  = 0xbf58476d1ce4e5b9
)

func mix(h, x uint64) uint64 {
	h = (h ^ x) * mulA
	return h ^ h>>29
}

// hash hashes s, ASCII case ignored.
func hash(s string) uint64 {
	h := uint64(len(s)) * mulB
	for ; len(s) >= 8; s = s[8:] {
		h = mix(h, swar.Load64(s, 0)|fold5)
	}
	if len(s) > 0 {
		var x uint64
		for i := 0; i < len(s); i++ {
			x |= uint64(s[i]) << (8 * i)
		}
		h = mix(h, x|fold5)
	}
	return h * mulB
}

// hashBytes is hash for a byte slice.
func hashBytes(s []byte) uint64 {
	h := uint64(len(s)) * mulB
	for ; len(s) >= 8; s = s[8:] {
		h = mix(h, binary.LittleEndian.Uint64(s)|fold5)
	}
	if len(s) > 0 {
		var x uint64
		for i, c := range s {
			x |= uint64(c) << (8 * i)
		}
		h = mix(h, x|fold5)
	}
	return h * mulB
}

// equal reports whether w with ASCII letters lowered is key.
func equal(key, w string) bool {
	for i := 0; i < len(w); i++ {
		if swar.LowerASCII(w[i]) != key[i] {
			return false
		}
	}
	return true
}

func equalBytes(key string, w []byte) bool {
	for i, c := range w {
		if swar.LowerASCII(c) != key[i] {
			return false
		}
	}
	return true
}
