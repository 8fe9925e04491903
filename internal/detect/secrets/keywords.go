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
	return a
}

// hit is one keyword occurrence: keyword id and start offset.
type hit struct {
	kw    int32
	start int
}

// find appends every occurrence of every keyword in text to dst, ordered by
// end offset.
func (a *automaton) find(text string, dst []hit) []hit {
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
