package injection

import (
	"bytes"
	"encoding/binary"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/retree"
)

// Literal filters: sets of strings a pattern's every match must start (or
// end) with, derived from the pattern's syntax tree, so that a rule's
// regexp runs only where one of them is there. Most attempts at a word
// rule fail on the word after the anchor ("you" not followed by "must" or
// "should"), and a failing regexp still costs a few hundred nanoseconds
// (the backtracker clears a bitmap the size of its program times the
// window), where a filter costs a binary search.
//
// A filter only ever says no where the regexp would: the sets are derived
// so that they cover every match. Assertions (\b, ^, $) are read as
// matching the empty string, which lets more through, never less.

// maxLiterals bounds the size of a set while it is derived; past it, the
// strings stop growing (they stay prefixes of every match, only shorter).
const maxLiterals = 2000

// lit is a string a match of part of a pattern starts with; whole: it is
// all of that part's match.
type lit struct {
	s     string
	whole bool
}

// prefixFilter is a set of strings, no one a prefix of another, sorted:
// every match of its pattern starts with one of them. The zero value lets
// every text through.
type prefixFilter struct {
	strs [][]byte
	// keys[i] is key8(strs[i]): most comparisons of the binary search in
	// admits are decided by them, without a call to bytes.Compare.
	keys []uint64
}

// key8 returns the first eight bytes of s as a big-endian number, zeros
// past its end. Where key8(a) < key8(b), a sorts before b: at the first
// byte where the keys differ, either both hold a byte of their string, or
// a has ended (a zero) and is a prefix of b.
func key8(s []byte) uint64 {
	if len(s) >= 8 {
		return binary.BigEndian.Uint64(s)
	}
	var k uint64
	for i, c := range s {
		k |= uint64(c) << (56 - 8*i)
	}
	return k
}

// parse returns the simplified syntax tree of a rule's pattern, which its
// filters and maxLen are derived from. Rules are fixed, so a pattern that
// does not parse is a bug.
func parse(pattern string) *syntax.Regexp {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		panic("injection: " + err.Error())
	}
	return re.Simplify()
}

// newPrefixFilter derives the filter of a pattern (its tree from parse)
// matched anchored at the start of a window; the zero value when some
// match may start with the empty string (so nothing can be ruled out).
func newPrefixFilter(re *syntax.Regexp) prefixFilter {
	var ss []string
	for _, l := range prefixes(re) {
		if l.s == "" {
			return prefixFilter{}
		}
		ss = append(ss, l.s)
	}
	slices.Sort(ss)
	// Keep the shortest of strings that extend one another: a text that
	// starts with the longer one starts with the shorter.
	var f prefixFilter
	for _, s := range ss {
		if len(f.strs) == 0 || !strings.HasPrefix(s, string(f.strs[len(f.strs)-1])) {
			f.strs = append(f.strs, []byte(s))
			f.keys = append(f.keys, key8([]byte(s)))
		}
	}
	return f
}

// admits reports whether w starts with one of the strings. No string
// being a prefix of another, the only one that can be a prefix of w is the
// greatest string not greater than w. (Say p is a prefix of w and q is
// greater than p: as p is not a prefix of q, q is greater at the first
// byte where they differ, a byte of p and so of w, and q is greater than
// w.)
func (f prefixFilter) admits(w []byte) bool {
	if f.strs == nil {
		return true
	}
	// n: how many strings are not greater than w.
	kw := key8(w)
	n, hi := 0, len(f.keys)
	for n < hi {
		m := int(uint(n+hi) >> 1)
		if k := f.keys[m]; k < kw || k == kw && bytes.Compare(f.strs[m], w) <= 0 {
			n = m + 1
		} else {
			hi = m
		}
	}
	return n > 0 && bytes.HasPrefix(w, f.strs[n-1])
}

// suffixFilter is a set of strings every match of its pattern ends with,
// for a pattern whose every match ends at the end of the text. Nil lets
// every text through.
type suffixFilter [][]byte

// maxSuffixes bounds a suffixFilter, which is checked string by string.
const maxSuffixes = 16

// newSuffixFilter derives the filter of a pattern (its tree from parse)
// ending in $ (end of text): nil unless every match must end at the end of
// the text and the set is small.
func newSuffixFilter(re *syntax.Regexp) suffixFilter {
	if re.Op != syntax.OpConcat || re.Sub[len(re.Sub)-1].Op != syntax.OpEndText {
		return nil
	}
	ls := prefixes(reversed(re))
	if len(ls) > maxSuffixes {
		return nil
	}
	var all []string
	for _, l := range ls {
		if l.s == "" {
			return nil
		}
		r := []rune(l.s)
		slices.Reverse(r)
		all = append(all, string(r))
	}
	// Keep the strings no other one is a suffix of: a text that ends with
	// the longer one ends with the shorter.
	var f suffixFilter
	for i, s := range all {
		redundant := false
		for j, o := range all {
			if j != i && strings.HasSuffix(s, o) && (len(o) < len(s) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			f = append(f, []byte(s))
		}
	}
	return f
}

// admits reports whether w ends with one of the strings.
func (f suffixFilter) admits(w []byte) bool {
	if f == nil {
		return true
	}
	for _, s := range f {
		if bytes.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// reversed returns a pattern matching the reverses (rune by rune) of the
// strings re matches, as far as prefixes reads it: concatenations and
// literals reversed, assertions kept as they are (prefixes reads them as
// empty).
func reversed(re *syntax.Regexp) *syntax.Regexp {
	c := *re
	switch re.Op {
	case syntax.OpLiteral:
		c.Rune = slices.Clone(re.Rune)
		slices.Reverse(c.Rune)
	case syntax.OpConcat:
		c.Sub = make([]*syntax.Regexp, len(re.Sub))
		for i, sub := range re.Sub {
			c.Sub[len(re.Sub)-1-i] = reversed(sub)
		}
	default:
		c.Sub = make([]*syntax.Regexp, len(re.Sub))
		for i, sub := range re.Sub {
			c.Sub[i] = reversed(sub)
		}
	}
	return &c
}

// prefixes returns strings that every match of re starts with, each marked
// whole when it is all of the match.
func prefixes(re *syntax.Regexp) []lit {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []lit{{"", true}}
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return []lit{{"", false}}
		}
		return []lit{{string(re.Rune), true}}
	case syntax.OpCharClass:
		// A small class is its characters; a large one stops the strings.
		var out []lit
		for i := 0; i < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if len(out)+int(hi-lo+1) > 8 {
				return []lit{{"", false}}
			}
			for r := lo; r <= hi; r++ {
				if !utf8.ValidRune(r) {
					return []lit{{"", false}}
				}
				out = append(out, lit{string(r), true})
			}
		}
		return out
	case syntax.OpCapture:
		return prefixes(re.Sub[0])
	case syntax.OpAlternate:
		var out []lit
		for _, sub := range re.Sub {
			out = append(out, prefixes(sub)...)
		}
		return shorten(out)
	case syntax.OpQuest:
		return append(prefixes(re.Sub[0]), lit{"", true})
	case syntax.OpPlus:
		return partial(prefixes(re.Sub[0]))
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return partial(prefixes(re.Sub[0]))
		}
		return []lit{{"", false}}
	case syntax.OpConcat:
		acc := []lit{{"", true}}
		for _, sub := range re.Sub {
			if !anyWhole(acc) {
				break
			}
			next := prefixes(sub)
			if len(acc)*len(next) > maxLiterals {
				return partial(acc)
			}
			var out []lit
			for _, a := range acc {
				if !a.whole {
					out = append(out, a)
					continue
				}
				for _, b := range next {
					out = append(out, lit{a.s + b.s, b.whole})
				}
			}
			acc = out
		}
		return acc
	}
	// OpAnyChar, OpAnyCharNotNL, OpStar, OpNoMatch and anything else: no
	// known first bytes.
	return []lit{{"", false}}
}

// shorten returns ls if it is not too large, else its strings cut short
// (still prefixes of every match) until few enough are left distinct.
func shorten(ls []lit) []lit {
	for n := 32; len(ls) > maxLiterals; n /= 2 {
		seen := map[lit]bool{}
		var out []lit
		for _, l := range ls {
			s := l.s
			if len(s) > n {
				s = s[:n]
				for !utf8.ValidString(s) { // not inside a character
					s = s[:len(s)-1]
				}
				l = lit{s, false}
			}
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
		ls = out
	}
	return ls
}

// partial marks every string as a prefix only.
func partial(ls []lit) []lit {
	out := make([]lit, len(ls))
	for i, l := range ls {
		out[i] = lit{l.s, false}
	}
	return out
}

func anyWhole(ls []lit) bool {
	for _, l := range ls {
		if l.whole {
			return true
		}
	}
	return false
}

// maxMatchLen returns the length in bytes of the longest string the
// pattern (its tree from parse) can match, or -1 when there is no bound (a
// star, a plus, an open repeat).
func maxMatchLen(re *syntax.Regexp) int {
	if n := retree.MaxLen(re); n < retree.Inf {
		return n
	}
	return -1
}

// cutWindow returns w cut after the first maxLen+1 bytes (and the rest of
// the character there), or w whole when maxLen < 0 or w is no longer.
//
// An anchored match of a pattern never longer than maxLen reads the same
// in the cut window as in w: its characters all start before maxLen+1 and
// are whole; its assertions look at most at the character starting at
// maxLen, also whole; and $ (end of text) cannot hold at or before maxLen
// in either. The attempts that read further fail in both, for the match
// would be longer than maxLen. So the regexp finds the same match, and
// costs less: the backtracker clears a bitmap as long as the window.
func cutWindow(w []byte, maxLen int) []byte {
	if maxLen < 0 || maxLen+1 >= len(w) {
		return w
	}
	c := maxLen + 1
	for c < len(w) && w[c]&0xC0 == 0x80 {
		c++
	}
	return w[:c]
}

// byteFilter is a set of bytes one of which every match of its pattern
// holds: the first bytes of an element of the pattern's top-level
// concatenation that cannot match the empty string. It is kept only when
// its bytes are punctuation, rare in text; nil lets every text through.
type byteFilter []byte

// maxFilterBytes bounds a byteFilter, checked byte by byte.
const maxFilterBytes = 4

// newByteFilter derives the filter of a pattern (its tree from parse).
func newByteFilter(re *syntax.Regexp) byteFilter {
	if re.Op != syntax.OpConcat {
		return nil
	}
	var best byteFilter
	for _, sub := range re.Sub[1:] { // the first element is the anchor word, always there
		var f byteFilter
		for _, l := range prefixes(sub) {
			if l.s == "" {
				f = nil
				break
			}
			if c := l.s[0]; !slices.Contains(f, c) {
				f = append(f, c)
			}
		}
		if len(f) == 0 || len(f) > maxFilterBytes || slices.ContainsFunc(f, func(c byte) bool {
			return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == ' ' || c >= 0x80
		}) {
			continue
		}
		if best == nil || len(f) < len(best) {
			best = f
		}
	}
	return best
}

// admits reports whether w holds one of the bytes.
func (f byteFilter) admits(w []byte) bool {
	if f == nil {
		return true
	}
	for _, c := range f {
		if bytes.IndexByte(w, c) >= 0 {
			return true
		}
	}
	return false
}
