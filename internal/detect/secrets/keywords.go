package secrets

import (
	mathbits "math/bits"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// A set of ASCII keywords, matched ignoring ASCII case, is compiled one of
// two ways from the same trie over byte classes (newTrie), each holding
// only the tables its reader needs:
//   - automaton, for the keyword pass over whole texts (find): the trie
//     behind a filter that finds where a keyword may begin;
//   - dfa, for stopword lists, asked only whether one occurs in a short
//     secret (first): the Aho-Corasick automaton compiled to a dense DFA,
//     one pass with two table loads per byte, but each load waits for the
//     one before, so its speed is the latency of a load. Tests use it as
//     the reference for find.

// trie is the trie of a set of keywords over byte classes; bytes that
// occur in no keyword share class 0. Its states are numbered breadth-first,
// so that the shallow states most of a text visits have their rows side by
// side.
type trie struct {
	class  [256]uint8
	nclass int
	// next[state*nclass+class] is the child of state by class, 0 when
	// there is none (the root is nobody's child).
	next []int32
	ids  [][]int32 // by state: the keywords that end exactly there
}

// automaton finds every occurrence of a set of keywords in a text (find).
type automaton struct {
	class   [256]uint8
	nclass  int
	lens    []int // keyword lengths by id
	pattern []string

	// edge[state*nclass+class] is the trie's child of state by class,
	// times nclass, bitwise negated when a keyword ends at the child, and
	// 0 when there is none.
	edge []int32
	own  []int32 // by state: the keyword that ends exactly there, or -1

	// The filter, on filter classes: fclass is the class capped at 63, so
	// that a class is a bit of a uint64 (classes merged that way make the
	// filter pass more, never less).
	// A table of trigrams has, at c0|c1<<6, bit c2 set for the trigram
	// c0 c1 c2; a star in a trigram sets it for every class there.
	//   - tri: each keyword's bytes 0 to 2 (star past its end);
	//   - quad: each keyword's bytes 1 to 3;
	//   - tri2: the trigrams of tri, and each keyword's bytes 1 to 3 if it
	//     has three bytes or more, else star and its bytes 0 and 1 (see
	//     blockMask);
	//   - pcl: by two bytes b0|b1<<8, their classes c0|c1<<6, an index
	//     into the tables from one 16-bit load of the text.
	fclass [256]uint8
	tri    *[64 * 64]uint64
	quad   *[64 * 64]uint64
	tri2   *[64 * 64]uint64
	pcl    *[1 << 16]uint16
}

// newTrie builds the trie of keywords, which must be non-empty ASCII
// strings; matching folds ASCII case.
func newTrie(keywords []string) trie {
	t := trie{nclass: 1}
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := swar.LowerASCII(k[i])
			if t.class[c] == 0 {
				t.class[c] = uint8(t.nclass)
				t.nclass++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		t.class[c] = t.class[c+'a'-'A']
	}
	type node struct {
		child map[uint8]int32
		ids   []int32
	}
	nodes := []node{{child: map[uint8]int32{}}}
	for id, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			cl := t.class[swar.LowerASCII(k[i])]
			c, ok := nodes[s].child[cl]
			if !ok {
				c = int32(len(nodes))
				nodes = append(nodes, node{child: map[uint8]int32{}})
				nodes[s].child[cl] = c
			}
			s = c
		}
		nodes[s].ids = append(nodes[s].ids, int32(id))
	}
	nc := t.nclass
	order := make([]int32, 1, len(nodes)) // by new number: old
	t.next = make([]int32, len(nodes)*nc)
	for q := 0; q < len(order); q++ {
		for cl := range nc {
			if c, ok := nodes[order[q]].child[uint8(cl)]; ok {
				t.next[q*nc+cl] = int32(len(order))
				order = append(order, c)
			}
		}
	}
	t.ids = make([][]int32, len(nodes))
	for q, s := range order {
		t.ids[q] = nodes[s].ids
	}
	return t
}

// newAutomaton builds the automaton for keywords, as newTrie takes them.
func newAutomaton(keywords []string) *automaton {
	t := newTrie(keywords)
	a := &automaton{class: t.class, nclass: t.nclass, pattern: keywords, edge: t.next, own: make([]int32, len(t.ids))}
	for _, k := range keywords {
		a.lens = append(a.lens, len(k))
	}
	for q, ids := range t.ids {
		a.own[q] = -1
		if len(ids) > 0 {
			a.own[q] = ids[len(ids)-1]
		}
	}
	nc := int32(a.nclass)
	for i, c := range a.edge {
		if c != 0 {
			v := c * nc
			if a.own[c] >= 0 {
				v = ^v
			}
			a.edge[i] = v
		}
	}
	a.buildFilter()
	return a
}

// buildFilter builds the tables blockMask reads (some 230 KB, see
// automaton).
func (a *automaton) buildFilter() {
	for b := range 256 {
		a.fclass[b] = min(a.class[b], 63)
	}
	a.pcl = new([1 << 16]uint16)
	for i := range a.pcl {
		a.pcl[i] = uint16(a.fclass[i&255]) | uint16(a.fclass[i>>8])<<6
	}
	a.tri, a.quad, a.tri2 = new([64 * 64]uint64), new([64 * 64]uint64), new([64 * 64]uint64)
	for _, k := range a.pattern {
		// c(i): the filter class of k[i], star past its end.
		c := func(i int) int {
			if i < len(k) {
				return int(a.fclass[k[i]])
			}
			return star
		}
		setTrigram(a.tri, c(0), c(1), c(2))
		setTrigram(a.quad, c(1), c(2), c(3))
		setTrigram(a.tri2, c(0), c(1), c(2))
		if len(k) >= 3 {
			setTrigram(a.tri2, c(1), c(2), c(3))
		} else {
			setTrigram(a.tri2, star, c(0), c(1))
		}
	}
}

// star stands for any class in setTrigram.
const star = -1

// setTrigram sets in t the bits of the trigrams x y z, star standing for
// every class.
func setTrigram(t *[64 * 64]uint64, x, y, z int) {
	classes := func(c int) []int {
		if c == star {
			return fullRange[:]
		}
		return []int{c}
	}
	bit := ^uint64(0)
	if z != star {
		bit = 1 << z
	}
	for _, c0 := range classes(x) {
		for _, c1 := range classes(y) {
			t[c0|c1<<6] |= bit
		}
	}
}

var fullRange = func() (r [64]int) {
	for i := range r {
		r[i] = i
	}
	return r
}()

// hit is one keyword occurrence: keyword id and start offset.
type hit struct {
	kw    int32
	start int
}

// find appends every occurrence of every keyword in text to dst, ordered by
// end offset, and for one end by start: what the dfa of the same keywords
// finds byte by byte (find1, in the tests), in the same order, in a
// fraction of the time.
//
// Most bytes of a text begin no keyword, and whether one may is a question
// about the few bytes there that needs no state: find asks it of 64
// positions at a time with table loads that do not wait for each other
// (blockMask), free of the chain of dependent loads of the DFA, and walks
// down the trie only from the few positions that pass (about 1 in 150 in
// prose). Each check is a necessary condition for a keyword to begin
// there, so no occurrence is lost; a walk reads no more bytes than the
// longest keyword has, so the cost stays linear.
func (a *automaton) find(text string, dst []hit) []hit {
	lo := len(dst)
	for base := 0; base < len(text); base += 64 {
		var m uint64
		if base+68 <= len(text) {
			m = blockMask(a, text[base:base+68], 64)
		} else {
			// The last block, padded: what pads it can only let more
			// positions pass, since a keyword within the text is
			// checked on its own bytes (the tables hold the bytes past
			// a short keyword's end as stars).
			var pad [68]byte
			n := copy(pad[:], text[base:])
			m = blockMask(a, pad[:], min(n, 64))
		}
		for m != 0 {
			dst = a.walk(text, base+mathbits.TrailingZeros64(m), dst, lo)
			m &= m - 1
		}
	}
	return dst
}

// walk appends the keywords that begin at text[i], found by walking down
// the trie, each inserted after the hits that end no later, so that
// dst[lo:] stays ordered by end (then start, since all of it begins at i or
// before): the order of the dfa. A hit ends within the longest keyword's
// length of i, so the insertion moves past few hits.
func (a *automaton) walk(text string, i int, dst []hit, lo int) []hit {
	s := int32(0)
	edge, class, nc := a.edge, &a.class, int32(a.nclass)
	for j := i; j < len(text); j++ {
		v := edge[s+int32(class[text[j]])]
		if v == 0 {
			break
		}
		if v < 0 {
			v = ^v
			dst = a.insert(dst, hit{a.own[v/nc], i}, j+1, lo)
		}
		s = v
	}
	return dst
}

// insert appends h, which ends at end, to dst and moves it before the hits
// of dst[lo:] that end later.
func (a *automaton) insert(dst []hit, h hit, end, lo int) []hit {
	dst = append(dst, h)
	q := len(dst) - 1
	for q > lo && dst[q-1].start+a.lens[dst[q-1].kw] > end {
		dst[q] = dst[q-1]
		q--
	}
	dst[q] = h
	return dst
}

// dfa is the Aho-Corasick automaton of a set of keywords as a dense DFA.
type dfa struct {
	class  [256]uint8
	nclass int
	// trans[state*nclass+class] is the next state times nclass, bitwise
	// negated when a keyword ends there, so that the scan loop needs no
	// multiply and one sign test.
	trans []int32
	out   [][]int32 // by state: the keywords that end there, suffixes included
}

// newDFA builds the DFA for keywords, as newTrie takes them.
func newDFA(keywords []string) *dfa {
	t := newTrie(keywords)
	d := &dfa{class: t.class, nclass: t.nclass, trans: t.next, out: t.ids}
	nc := d.nclass
	// In breadth-first order a state's failure link, and the row and
	// keywords of the state it links to, are complete before its own row
	// is read: a missing child becomes the failure state's transition, and
	// a child ends the keywords of its failure state too.
	fail := make([]int32, len(d.out))
	for q := range d.out {
		row, frow := d.trans[q*nc:(q+1)*nc], d.trans[int(fail[q])*nc:]
		for cl, c := range row {
			if c == 0 {
				if q != 0 {
					row[cl] = frow[cl]
				}
				continue
			}
			if q != 0 {
				fail[c] = frow[cl]
			}
			d.out[c] = append(d.out[c], d.out[fail[c]]...)
		}
	}
	for i, s := range d.trans {
		v := s * int32(nc)
		if len(d.out[s]) > 0 {
			v = ^v
		}
		d.trans[i] = v
	}
	return d
}

// first returns the id of a keyword that occurs in text, or -1.
func (d *dfa) first(text string) int32 {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = d.trans[s+int32(d.class[text[i]])]
		if s < 0 {
			return d.out[^s/int32(d.nclass)][0]
		}
	}
	return -1
}

// blockMask returns a mask with bit k set when a keyword may begin at
// blk[k] by tri and quad, for k < n <= 64; blk has 68 bytes.
//
// It looks up a trigram only at even offsets e, in tri2, the two bytes at
// e with one 16-bit load: a keyword that begins at an even k has its bytes
// 0 to 2 at e = k; one that begins at an odd k, its bytes 1 to 3 at e = k+1
// (offset 64 serves k = 63) if it has three bytes or more, else any byte
// then its bytes 0 and 1 at e = k-1. So one lookup every other byte finds
// them all; the loop is unrolled by four lookups and gathers their bits
// with constant shifts. At the few even offsets that pass (some 4 in 100 in
// prose), the starts e-1 and e are then checked in tri and quad, and e+1
// for a keyword of one or two bytes (its row of tri is full).
func blockMask[T string | []byte](a *automaton, blk T, n int) uint64 {
	fclass, tri, quad, tri2 := &a.fclass, a.tri, a.quad, a.tri2
	b := blk[:68]
	var even uint64 // bit j: offset 2j passes tri2
	pcl := a.pcl
	for e := 0; e < 64 && e <= n; e += 8 {
		w := b[e : e+10]
		p0 := uint(pcl[uint16(w[0])|uint16(w[1])<<8])
		p1 := uint(pcl[uint16(w[2])|uint16(w[3])<<8])
		p2 := uint(pcl[uint16(w[4])|uint16(w[5])<<8])
		p3 := uint(pcl[uint16(w[6])|uint16(w[7])<<8])
		p4 := uint(pcl[uint16(w[8])|uint16(w[9])<<8])
		x := tri2[p0&4095]>>(p1&63)&1 |
			tri2[p1&4095]>>(p2&63)&1<<1 |
			tri2[p2&4095]>>(p3&63)&1<<2 |
			tri2[p3&4095]>>(p4&63)&1<<3
		even |= x << (e / 2)
	}
	even |= tri2[(uint(fclass[b[64]])|uint(fclass[b[65]])<<6)&4095] >> (fclass[b[66]] & 63) & 1 << 32
	var m uint64
	for even != 0 {
		e := 2 * mathbits.TrailingZeros64(even)
		even &= even - 1
		lo := max(e, 1) - 1
		w := b[lo : lo+5]
		c0, c1, c2, c3, c4 := uint(fclass[w[0]]), uint(fclass[w[1]]), uint(fclass[w[2]]), uint(fclass[w[3]]), uint(fclass[w[4]])
		if e == 0 { // no start e-1: shift the bytes into place
			c0, c1, c2, c3, c4 = 0, c0, c1, c2, c3
		}
		// v: bit 0 for the start e-1, bit 1 for e, bit 2 for e+1 (a
		// keyword of one or two bytes only, whose row in tri is full).
		v := (tri[(c0|c1<<6)&4095]>>(c2&63))&(quad[(c1|c2<<6)&4095]>>(c3&63))&1 |
			(tri[(c1|c2<<6)&4095]>>(c3&63))&(quad[(c2|c3<<6)&4095]>>(c4&63))&1<<1
		if tri[(c2|c3<<6)&4095] == ^uint64(0) {
			v |= 4
		}
		m |= v >> 1 << e // e = 64: the starts 64 and 65 are the next block's
		if e > 0 {
			m |= v & 1 << (e - 1)
		}
	}
	if n < 64 {
		m &= 1<<n - 1 // positions past the text
	}
	return m
}
