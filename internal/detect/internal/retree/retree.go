// Package retree reads facts off regexp/syntax trees, for detectors that
// plan how to run their patterns (where a regexp need not run, how far a
// match can reach). It only reads: it parses and compiles nothing, never
// changes a tree it is given, and holds no state.
package retree

import (
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// Inf is MaxLen's answer for a pattern whose matches have no bound, and
// the cap of the bounded lengths it returns.
const Inf = 1 << 30

// MaxLen returns the most bytes a match of re can take, or Inf when that
// is Inf or more (a star, a plus, an open repeat). A character counts as
// its longest UTF-8 encoding: for a literal, that of any case it matches
// under (?i); for a class, that of its greatest character. Assertions and
// the empty match take none.
func MaxLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n = add(n, runeMax(r, re.Flags&syntax.FoldCase != 0))
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		return runeMax(min(re.Rune[len(re.Rune)-1], unicode.MaxRune), false)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return MaxLen(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n = add(n, MaxLen(s))
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			n = max(n, MaxLen(s))
		}
		return n
	case syntax.OpStar, syntax.OpPlus:
		if MaxLen(re.Sub[0]) == 0 {
			return 0
		}
		return Inf
	case syntax.OpRepeat:
		m := MaxLen(re.Sub[0])
		if m == 0 {
			return 0
		}
		if re.Max < 0 || re.Max > 0 && m > Inf/re.Max {
			return Inf
		}
		return re.Max * m
	}
	return 0 // empty match and assertions
}

// add is a+b, capped at Inf.
func add(a, b int) int {
	if a >= Inf-b {
		return Inf
	}
	return a + b
}

// runeMax is the longest UTF-8 encoding among the runes r stands for.
func runeMax(r rune, fold bool) int {
	n := utf8.RuneLen(r)
	if n < 0 {
		n = 3 // invalid rune (a surrogate), matched as U+FFFD
	}
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			n = max(n, utf8.RuneLen(f))
		}
	}
	return n
}
