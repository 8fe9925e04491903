package secrets

import "slices"

// automaton finds every occurrence of a set of ASCII keywords in a text,
// ignoring ASCII case, in one pass: an Aho-Corasick automaton compiled to a
// dense DFA over byte classes (bytes that occur in no keyword share class 0),
// so that each byte of the text costs two table loads.
type automaton struct {
	class   [256]uint8
	nclass  int
	next    []int32   // next[state*nclass+class], while building
	trans   []int32   // see newAutomaton
	out     [][]int32 // keyword ids ending at each state, suffix matches included
	lens    []int     // keyword lengths by id
	maxLen  int       // the longest keyword
	pattern []string
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// newAutomaton builds the automaton for keywords, which must be non-empty
// ASCII strings; matching folds ASCII case.
func newAutomaton(keywords []string) *automaton {
	a := &automaton{nclass: 1}
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := lowerASCII(k[i])
			if a.class[c] == 0 {
				a.class[c] = uint8(a.nclass)
				a.nclass++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	// Trie.
	type node struct {
		child map[uint8]int32
		fail  int32
		out   []int32
	}
	nodes := []node{{child: map[uint8]int32{}}}
	for id, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			cl := a.class[lowerASCII(k[i])]
			t, ok := nodes[s].child[cl]
			if !ok {
				t = int32(len(nodes))
				nodes = append(nodes, node{child: map[uint8]int32{}})
				nodes[s].child[cl] = t
			}
			s = t
		}
		nodes[s].out = append(nodes[s].out, int32(id))
		a.lens = append(a.lens, len(k))
	}
	// Breadth-first: failure links and the dense transition table.
	nc := a.nclass
	a.next = make([]int32, len(nodes)*nc)
	queue := []int32{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for cl := range nc {
			t, ok := nodes[s].child[uint8(cl)]
			if !ok {
				if s == 0 {
					a.next[cl] = 0
				} else {
					a.next[int(s)*nc+cl] = a.next[int(nodes[s].fail)*nc+cl]
				}
				continue
			}
			if s != 0 {
				nodes[t].fail = a.next[int(nodes[s].fail)*nc+cl]
			}
			nodes[t].out = append(nodes[t].out, nodes[nodes[t].fail].out...)
			a.next[int(s)*nc+cl] = t
			queue = append(queue, t)
		}
	}
	a.out = make([][]int32, len(nodes))
	for i, n := range nodes {
		a.out[i] = slices.Clone(n.out)
	}
	// Premultiply: trans holds target*nclass, bitwise negated when the
	// target state has output, so the scan loop needs no multiply and one
	// sign test.
	a.trans = make([]int32, len(a.next))
	for i, t := range a.next {
		v := t * int32(nc)
		if len(nodes[t].out) > 0 {
			v = ^v
		}
		a.trans[i] = v
	}
	a.next = nil
	a.pattern = keywords
	for _, n := range a.lens {
		a.maxLen = max(a.maxLen, n)
	}
	return a
}

// hit is one keyword occurrence: keyword id and start offset.
type hit struct {
	kw    int32
	start int
}

// twoLanes is the length from which find runs two lanes.
const twoLanes = 256

// find appends every occurrence of every keyword in text to dst, ordered by
// end offset.
//
// The scan is a chain of dependent loads (each state indexes the next),
// so its speed is the latency of a load. Two independent chains run side
// by side at nearly the speed of one: on longer texts find runs one lane
// over the first half and one over the second, which starts maxLen-1 bytes
// before the middle so that it reaches the middle in the very state a
// single scan would have (no keyword is longer); it reports only what ends
// after the middle. tmp is scratch space for the second lane's hits, to be
// kept by the caller for the next call.
func (a *automaton) find(text string, dst []hit) []hit {
	dst, _ = a.findLanes(text, dst, nil)
	return dst
}

func (a *automaton) findLanes(text string, dst, tmp []hit) (hits, scratch []hit) {
	mid := len(text) / 2
	b0 := mid - (a.maxLen - 1)
	if len(text) < twoLanes || b0 <= 0 {
		return a.find1(text, dst), tmp
	}
	tmp = tmp[:0]
	sa, sb := int32(0), int32(0)
	trans, class, nc := a.trans, &a.class, int32(a.nclass)
	// Lane A: [0, mid), every hit. Lane B: from b0, hits ending after mid.
	for i := 0; i < mid; i++ {
		j := b0 + i
		sa = trans[sa+int32(class[text[i]])]
		sb = trans[sb+int32(class[text[j]])]
		if sa < 0 {
			sa = ^sa
			for _, id := range a.out[sa/nc] {
				dst = append(dst, hit{id, i + 1 - a.lens[id]})
			}
		}
		if sb < 0 {
			sb = ^sb
			if j+1 > mid {
				for _, id := range a.out[sb/nc] {
					tmp = append(tmp, hit{id, j + 1 - a.lens[id]})
				}
			}
		}
	}
	for j := b0 + mid; j < len(text); j++ {
		sb = trans[sb+int32(class[text[j]])]
		if sb < 0 {
			sb = ^sb
			if j+1 > mid {
				for _, id := range a.out[sb/nc] {
					tmp = append(tmp, hit{id, j + 1 - a.lens[id]})
				}
			}
		}
	}
	return append(dst, tmp...), tmp
}

// find1 is find in one lane.
func (a *automaton) find1(text string, dst []hit) []hit {
	s := int32(0)
	trans, class := a.trans, &a.class
	for i := 0; i < len(text); i++ {
		s = trans[s+int32(class[text[i]])]
		if s < 0 {
			s = ^s
			for _, id := range a.out[s/int32(a.nclass)] {
				dst = append(dst, hit{id, i + 1 - a.lens[id]})
			}
		}
	}
	return dst
}

// first returns the id of a keyword that occurs in text, or -1.
func (a *automaton) first(text string) int32 {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = a.trans[s+int32(a.class[text[i]])]
		if s < 0 {
			return a.out[^s/int32(a.nclass)][0]
		}
	}
	return -1
}
