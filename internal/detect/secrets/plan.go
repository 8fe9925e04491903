package secrets

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/retree"
	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// How a rule is matched. Gitleaks runs a rule's regex over the whole text
// once one of its keywords occurs anywhere in it. Here the regex runs only
// near the keywords, which gives the same matches when every match contains a
// keyword at a known place (plan finds that place) and is what keeps the
// detector fast on long texts where a common keyword ("key", "token", "ey")
// occurs.
//
// plan cuts the regex's top-level sequence (with capture groups opened,
// and an alternation met before any cut split into its branches, each cut
// on its own) into a head and a tail such that every match of the tail
// begins with one of the rule's keywords and the head matches at most head
// bytes. A match then starts at most head bytes before a keyword occurrence
// and ends at most tail bytes after it, and for each occurrence of such an
// anchor keyword the detector, cheapest first,
//
//  0. (end) checks that a byte the tail's last element must start with
//     lies within those tail bytes, or the end of the text when that
//     element may be `$` (endBytes; one read of the text per rule);
//  1. checks a word boundary when the head is just `\b`;
//  2. (gate) checks that the first tail element that can start with a byte
//     no earlier element consumes is reachable: a run of the earlier
//     elements' bytes, then one of its first bytes;
//  3. (sim) simulates the tail's first maxPre bytes as a sequence of runs
//     of byte classes on bitsets of offsets;
//  4. (pre) runs the tail cut to its first maxPre bytes, anchored, on a
//     window of maxPre+1 bytes;
//  5. runs the whole tail anchored at the occurrence;
//  6. and only then runs the rule's regex from the start of the head: when
//     the head is a run of one class (`[\w.-]{0,50}?`, the semi-generic
//     rules) anchored where that run begins, which is the leftmost start;
//     otherwise unanchored on the window from head+1 bytes before the
//     occurrence to tail+1 bytes after it. Either yields the match a search
//     of the whole text yields.
//
// Steps 0 and 2 to 5 are necessary conditions only: each passes every occurrence
// where the rule matches. TestReference and FuzzDetect check the result
// against a search of the whole text.
//
// A rule for which no such cut exists (a keyword that is not where every
// match begins, e.g. a hex token found near a product name) has anchored
// false: its regex runs on windows reaching maxLen+nearby+1 bytes either
// side of each keyword occurrence, so it finds only matches within that
// reach of a keyword, where gitleaks would find them anywhere in a text that
// holds one.

// maxSpan caps the length of unbounded repetitions (`+`, `*`, `{n,}`): a
// match may reach at most this many bytes from its keyword.
const maxSpan = 8192

// nearby is how far, beyond its own longest match, a match of a rule
// without a plan may lie from a keyword.
const nearby = 256

// maxPre is the longest part of a tail that steps 3 and 4 look at.
const maxPre = 128

// inf stands for no bound, as in retree.
const inf = retree.Inf

type plan struct {
	// headRun: the head is a run of at most headRunes characters of
	// headClass (like `[\w.-]{0,50}?`), so the leftmost start of a match
	// is where that run begins, and one anchored search (anch) finds it.
	headRun   bool
	headClass [256]bool
	headRunes int
	anch      *lazyRE

	// gate (step 2): a match's tail starts with gateMin to gateMax
	// characters of gateSkip followed by a byte of gateNext; checked before
	// pre because it costs a few nanoseconds.
	gate     bool
	gateSkip [256]bool
	gateNext [256]bool
	gateMin  int
	gateMax  int

	// sim (step 3): the tail's first maxPre bytes as runs of byte
	// classes, simulated on bitsets of positions (see simulate).
	sim []simStep

	// end (step 0): every match of the tail ends with a byte of endSet,
	// or at the end of the text when endText, so a candidate with
	// neither within its reach cannot match (endBytes).
	end     bool
	endSet  [256]bool
	endText bool

	// wild: the tail has a long repetition of almost any byte (`.*?`,
	// `[\s\S]{64,}?`), so a failed anchored search may read the whole
	// window and is charged for it.
	wild bool

	// run (rules without a plan): every match holds a run of at least
	// runMin bytes of runClass, so a window without one is not searched.
	runClass [256]bool
	runMin   int

	anchored bool
	anchors  []int // indexes into the rule's keywords where matches begin
	head     int   // max bytes a match starts before its keyword
	tail     int   // max bytes a match ends after its keyword's start
	boundary bool  // the head is exactly `\b`
	pre      *lazyRE
	preLen   int
	tailRe   *lazyRE
}

// makePlan analyses expr for keywords kws (lowercase ASCII).
func makePlan(expr string, kws []string) (plan, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return plan{}, err
	}
	used := map[int]bool{}
	budget := 50000
	pieces, ok := split(flatten(re, nil), kws, used, &budget, 0)
	if !ok {
		n := min(add(retree.MaxLen(re), nearby), maxSpan)
		p := plan{head: n, tail: n}
		for i := range kws {
			p.anchors = append(p.anchors, i)
		}
		p.runClass, p.runMin = requiredRun(re)
		return p, nil
	}
	p := plan{anchored: true, boundary: true}
	for i := range kws {
		if used[i] {
			p.anchors = append(p.anchors, i)
		}
	}
	var tails, pres []string
	p.headRun = true
	p.gate, p.gateMin = true, inf
	p.end = true
	for _, pc := range pieces {
		p.end = p.end && endBytes(pc.tail, &p.endSet, &p.endText)
		p.gate = p.gate && gate(pc.tail, &p.gateSkip, &p.gateNext, &p.gateMin, &p.gateMax)
		p.headRun = p.headRun && classRun(pc.head, &p.headClass, &p.headRunes)
		p.head = max(p.head, seqLen(pc.head))
		p.tail = max(p.tail, min(seqLen(pc.tail), maxSpan))
		onlyB := len(pc.head) > 0
		for _, e := range pc.head {
			onlyB = onlyB && e.Op == syntax.OpWordBoundary
		}
		p.boundary = p.boundary && onlyB
		tails = append(tails, seqString(pc.tail))
		for _, e := range pc.tail {
			p.wild = p.wild || wild(e)
		}
		pre, n := prefix(pc.tail, maxPre)
		if pres != nil || len(tails) == 1 {
			if pre == nil {
				pres = nil
			} else {
				pres = append(pres, seqString(pre))
				p.preLen = max(p.preLen, n)
			}
		}
	}
	if p.headRun && p.head > 0 {
		if p.anch, err = newLazyRE(`^(?:` + expr + `)`); err != nil {
			return plan{}, err
		}
	} else {
		p.headRun = false
	}
	if len(pieces) == 1 {
		if pre, _ := prefix(pieces[0].tail, maxPre); pre != nil {
			p.sim = simSteps(pre)
		}
	}
	if p.tailRe, err = compileAlt(tails); err != nil {
		return plan{}, err
	}
	if pres != nil && p.tail > maxPre {
		if p.pre, err = compileAlt(pres); err != nil {
			return plan{}, err
		}
	}
	return p, nil
}

// piece is one way to cut a regex: every match of the alternation of all
// pieces' head+tail is a match of the regex and vice versa.
type piece struct{ head, tail []*syntax.Regexp }

// split cuts seq into head and tail with every match of the tail starting
// with a keyword; an alternation before any such cut is split into its
// branches, each cut on its own.
func split(seq []*syntax.Regexp, kws []string, used map[int]bool, budget *int, depth int) ([]piece, bool) {
	for k := range seq {
		if seqLen(seq[:k]) >= maxSpan {
			return nil, false
		}
		if startsWithKeyword(seq[k:], nil, kws, used, budget) {
			j := k // zero-width assertions before the keyword join the head
			for j < len(seq) && retree.MaxLen(seq[j]) == 0 && isAssertion(seq[j]) {
				j++
			}
			if j == len(seq) || !startsWithKeyword(seq[j:], nil, kws, map[int]bool{}, budget) {
				j = k
			}
			return []piece{{seq[:j], seq[j:]}}, true
		}
		if seq[k].Op == syntax.OpAlternate && depth < 3 && len(seq[k].Sub) <= 16 {
			var out []piece
			for _, b := range seq[k].Sub {
				alt := append(slices.Clone(seq[:k]), flatten(b, nil)...)
				ps, ok := split(append(alt, seq[k+1:]...), kws, used, budget, depth+1)
				if !ok {
					return nil, false
				}
				out = append(out, ps...)
			}
			return out, true
		}
	}
	return nil, false
}

// gate finds in tail the first element after the first that must consume
// a byte and can start with a byte that no element before it can consume.
// It adds the bytes those elements can consume to skip and the element's
// possible first bytes to next; *lo becomes at most the fewest and *hi at
// least the most characters the elements before it match. It reports false
// when there is no such element.
func gate(tail []*syntax.Regexp, skip, next *[256]bool, lo, hi *int) bool {
	var before [256]bool
	nmin, nmax := 0, 0
	for j, e := range tail {
		first, empty := firstBytes(e)
		if j > 0 && !empty {
			useful := false
			for b := range 256 {
				useful = useful || first[b] && !before[b]
			}
			if useful {
				for b := range 256 {
					skip[b] = skip[b] || before[b]
					next[b] = next[b] || first[b]
				}
				*lo = min(*lo, nmin)
				*hi = max(*hi, nmax)
				return true
			}
		}
		nmin = add(nmin, minRunes(e))
		if nmax = add(nmax, maxRunes(e)); nmax >= maxSpan {
			return false
		}
		bytesOf(e, &before)
	}
	return false
}

// minRunes is the fewest characters re can match.
func minRunes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minRunes(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n = add(n, minRunes(s))
		}
		return n
	case syntax.OpAlternate:
		n := inf
		for _, s := range re.Sub {
			n = min(n, minRunes(s))
		}
		return n
	case syntax.OpRepeat:
		return min(re.Min*minRunes(re.Sub[0]), inf)
	}
	return 0 // ?, *, assertions, the empty match
}

// firstBytes returns the bytes a match of re can start with, and whether
// re can match the empty string. A rune outside ASCII stands for all bytes
// from 0x80.
func firstBytes(re *syntax.Regexp) (set [256]bool, empty bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return set, true
		}
		addRune(&set, re.Rune[0], re.Flags&syntax.FoldCase != 0)
		return set, false
	case syntax.OpCharClass:
		for i := 0; i < len(re.Rune); i += 2 {
			addRange(&set, re.Rune[i], re.Rune[i+1])
		}
		return set, false
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for b := range 256 {
			set[b] = b != '\n' || re.Op == syntax.OpAnyChar
		}
		return set, false
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0])
	case syntax.OpQuest, syntax.OpStar:
		set, _ = firstBytes(re.Sub[0])
		return set, true
	case syntax.OpRepeat:
		set, empty = firstBytes(re.Sub[0])
		return set, empty || re.Min == 0
	case syntax.OpConcat:
		for _, s := range re.Sub {
			f, e := firstBytes(s)
			for b := range 256 {
				set[b] = set[b] || f[b]
			}
			if !e {
				return set, false
			}
		}
		return set, true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			f, e := firstBytes(s)
			for b := range 256 {
				set[b] = set[b] || f[b]
			}
			empty = empty || e
		}
		return set, empty
	}
	return set, true // assertions and the empty match
}

// endBytes adds to set the bytes that every match of seq ends with, when
// its last element (past any trailing \b or \B) consumes a byte whatever
// branch matches, or else, in a branch that is $ or \z, ends at the end
// of the text (*atEnd). It reports false when seq can end otherwise.
func endBytes(seq []*syntax.Regexp, set *[256]bool, atEnd *bool) bool {
	i := len(seq) - 1
	for i >= 0 && (seq[i].Op == syntax.OpWordBoundary || seq[i].Op == syntax.OpNoWordBoundary) {
		i--
	}
	if i < 0 {
		return false
	}
	last := seq[i]
	for last.Op == syntax.OpCapture {
		last = last.Sub[0]
	}
	branches := []*syntax.Regexp{last}
	if last.Op == syntax.OpAlternate {
		branches = last.Sub
	}
	for _, b := range branches {
		if b.Op == syntax.OpEndText {
			*atEnd = true
			continue
		}
		f, empty := firstBytes(b)
		if empty {
			return false
		}
		for c := range 256 {
			set[c] = set[c] || f[c]
		}
	}
	return true
}

// bytesOf adds to set every byte a match of re can contain.
func bytesOf(re *syntax.Regexp, set *[256]bool) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			addRune(set, r, re.Flags&syntax.FoldCase != 0)
		}
	case syntax.OpCharClass:
		for i := 0; i < len(re.Rune); i += 2 {
			addRange(set, re.Rune[i], re.Rune[i+1])
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for b := range 256 {
			set[b] = true
		}
	default:
		for _, s := range re.Sub {
			bytesOf(s, set)
		}
	}
}

func addRune(set *[256]bool, r rune, fold bool) {
	addRange(set, r, r)
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			addRange(set, f, f)
		}
	}
}

func addRange(set *[256]bool, lo, hi rune) {
	for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
		set[r] = true
	}
	if hi >= utf8.RuneSelf {
		for b := 0x80; b < 256; b++ {
			set[b] = true
		}
	}
}

// maxRunes is the most characters re can match (inf when unbounded).
func maxRunes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxRunes(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n = add(n, maxRunes(s))
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			n = max(n, maxRunes(s))
		}
		return n
	case syntax.OpStar, syntax.OpPlus:
		return inf
	case syntax.OpRepeat:
		if re.Max < 0 {
			return inf
		}
		return min(re.Max*maxRunes(re.Sub[0]), inf)
	}
	return 0
}

// simStep is an element of a tail approximated as a run of min to max
// bytes, each in class.
type simStep struct {
	class    [256]bool
	min, max int
}

// simSteps approximates seq, whose matches are at most maxPre bytes long:
// every match of an element is a run of bytes its class holds, between its
// fewest characters and its most bytes long.
func simSteps(seq []*syntax.Regexp) []simStep {
	var out []simStep
	for _, e := range flatten(&syntax.Regexp{Op: syntax.OpConcat, Sub: seq}, nil) {
		hi := retree.MaxLen(e)
		if hi == 0 {
			continue // assertions
		}
		st := simStep{min: minRunes(e), max: hi}
		bytesOf(e, &st.class)
		out = append(out, st)
	}
	return out
}

// bits is a set of offsets 0..191 into a window.
type bits [3]uint64

func (b *bits) empty() bool { return b[0]|b[1]|b[2] == 0 }

// simulate reports whether s can start with runs matching r.sim one after
// the other: a necessary condition for the tail to match at s[0]. The
// offsets where the runs so far can end are a bitset; a step extends each by
// min to max bytes of its class, one byte shift at a time.
func (r *rule) simulate(s string) bool {
	if len(s) > 191 {
		s = s[:191]
	}
	cur := bits{1}
	lo, reach := 0, 0 // cur lies within [lo, reach]
	for i := range r.sim {
		st := &r.sim[i]
		end := min(len(s), reach+st.max)
		var m bits // offsets j with s[j] in the class
		for j := lo; j < end; j++ {
			if st.class[s[j]] {
				m[j>>6] |= 1 << (j & 63)
			} else if j >= reach {
				// Every run starts at or before reach, so none gets
				// past j: the class of the bytes after it does not
				// matter, and the runs end at j at the latest.
				end = j
				break
			}
		}
		var acc bits
		if st.min == 0 {
			acc = cur
		}
		x := cur
		for k := 1; k <= st.max; k++ {
			// x = (x & m) << 1
			a0, a1, a2 := x[0]&m[0], x[1]&m[1], x[2]&m[2]
			x = bits{a0 << 1, a1<<1 | a0>>63, a2<<1 | a1>>63}
			if x.empty() {
				break
			}
			if k >= st.min {
				acc[0] |= x[0]
				acc[1] |= x[1]
				acc[2] |= x[2]
			}
		}
		if acc.empty() {
			return false
		}
		cur = acc
		lo += st.min
		reach = end
	}
	return true
}

// requiredRun returns a byte class and a length n such that every match of
// re holds a run of at least n bytes of the class (n 0: none found). A
// repetition of a character class or of one character gives one (a
// character outside ASCII stands for all bytes from 0x80, each of its
// bytes, and an invalid byte, which RE2 reads as U+FFFD, is one of them); a
// sequence, its longest; an alternation, the union of its branches'
// classes and the shortest of their lengths.
func requiredRun(re *syntax.Regexp) (class [256]bool, n int) {
	switch re.Op {
	case syntax.OpCapture:
		return requiredRun(re.Sub[0])
	case syntax.OpRepeat, syntax.OpPlus:
		lo := 1
		if re.Op == syntax.OpRepeat {
			lo = re.Min
		}
		sub := re.Sub[0]
		if lo > 0 && (sub.Op == syntax.OpCharClass || sub.Op == syntax.OpLiteral && len(sub.Rune) == 1) {
			bytesOf(sub, &class)
			return class, lo
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if c, m := requiredRun(s); m > n {
				class, n = c, m
			}
		}
		return class, n
	case syntax.OpAlternate:
		n = inf
		for _, s := range re.Sub {
			c, m := requiredRun(s)
			if m == 0 {
				return [256]bool{}, 0
			}
			for b := range 256 {
				class[b] = class[b] || c[b]
			}
			n = min(n, m)
		}
		return class, n
	}
	return class, 0
}

// hasRun reports whether s holds a run of at least r.runMin bytes of
// r.runClass.
func (r *rule) hasRun(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if !r.runClass[s[i]] {
			n = 0
		} else if n++; n >= r.runMin {
			return true
		}
	}
	return false
}

// wild reports whether re holds a repetition of up to 256 or more
// characters of a class of 128 or more ASCII bytes.
func wild(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		if re.Op != syntax.OpRepeat || re.Max < 0 || re.Max >= 256 {
			var set [256]bool
			bytesOf(re.Sub[0], &set)
			n := 0
			for b := range 128 {
				if set[b] {
					n++
				}
			}
			if n >= 100 {
				return true
			}
		}
	}
	for _, s := range re.Sub {
		if wild(s) {
			return true
		}
	}
	return false
}

// classRun reports whether head is a sequence of optional repetitions of
// character classes, adding the classes' ASCII bytes to class and the most
// characters the head can match to *runes (the largest over the pieces).
func classRun(head []*syntax.Regexp, class *[256]bool, runes *int) bool {
	n := 0
	for _, e := range head {
		switch e.Op {
		case syntax.OpRepeat, syntax.OpStar, syntax.OpQuest:
		default:
			return false
		}
		min, max := e.Min, e.Max
		switch e.Op {
		case syntax.OpStar:
			min, max = 0, maxSpan
		case syntax.OpQuest:
			min, max = 0, 1
		}
		sub := e.Sub[0]
		if min != 0 || max < 0 || sub.Op != syntax.OpCharClass {
			return false
		}
		for i := 0; i < len(sub.Rune); i += 2 {
			for r := sub.Rune[i]; r <= sub.Rune[i+1] && r < utf8.RuneSelf; r++ {
				class[r] = true
			}
		}
		n += max
	}
	*runes = max(*runes, n)
	return true
}

func isAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine, syntax.OpBeginText, syntax.OpEmptyMatch:
		return true
	}
	return false
}

func seqLen(seq []*syntax.Regexp) int {
	n := 0
	for _, e := range seq {
		n = add(n, retree.MaxLen(e))
	}
	return n
}

func seqString(seq []*syntax.Regexp) string {
	return (&syntax.Regexp{Op: syntax.OpConcat, Sub: seq}).String()
}

// compileAlt makes the alternation of exprs, anchored at the start.
func compileAlt(exprs []string) (*lazyRE, error) {
	exprs = slices.Compact(slices.Sorted(slices.Values(exprs)))
	for i, e := range exprs {
		exprs[i] = "(?:" + e + ")"
	}
	return newLazyRE(`^(?:` + strings.Join(exprs, "|") + `)`)
}

// flatten appends re's top-level sequence to dst, opening captures and
// concatenations.
func flatten(re *syntax.Regexp, dst []*syntax.Regexp) []*syntax.Regexp {
	switch re.Op {
	case syntax.OpCapture:
		return flatten(re.Sub[0], dst)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			dst = flatten(s, dst)
		}
		return dst
	}
	return append(dst, re)
}

func add(a, b int) int { return min(a+b, inf) }

// startsWithKeyword reports whether every match of seq, after the bytes
// cur, begins with one of kws (ASCII case ignored), and marks in used the
// keywords that do. It gives up (false) when budget runs out.
func startsWithKeyword(seq []*syntax.Regexp, cur []byte, kws []string, used map[int]bool, budget *int) bool {
	if *budget--; *budget <= 0 {
		return false
	}
	for i, k := range kws {
		if len(cur) >= len(k) && string(cur[:len(k)]) == k {
			used[i] = true
			return true
		}
	}
	if len(seq) == 0 || len(cur) > 64 {
		return false
	}
	e, rest := seq[0], seq[1:]
	then := func(first ...*syntax.Regexp) []*syntax.Regexp {
		return append(first, rest...)
	}
	switch e.Op {
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine, syntax.OpBeginText:
		return startsWithKeyword(rest, cur, kws, used, budget)
	case syntax.OpCapture:
		return startsWithKeyword(then(e.Sub[0]), cur, kws, used, budget)
	case syntax.OpConcat:
		return startsWithKeyword(then(e.Sub...), cur, kws, used, budget)
	case syntax.OpAlternate:
		for _, s := range e.Sub {
			if !startsWithKeyword(then(s), cur, kws, used, budget) {
				return false
			}
		}
		return true
	case syntax.OpLiteral:
		c := slices.Clone(cur)
		for i, r := range e.Rune {
			if r >= utf8.RuneSelf {
				return false
			}
			c = append(c, swar.LowerASCII(byte(r)))
			if i < len(e.Rune)-1 {
				for j, k := range kws {
					if len(c) >= len(k) && string(c[:len(k)]) == k {
						used[j] = true
						return true
					}
				}
			}
		}
		return startsWithKeyword(rest, c, kws, used, budget)
	case syntax.OpCharClass:
		var bs []byte
		for i := 0; i < len(e.Rune); i += 2 {
			for r := e.Rune[i]; r <= e.Rune[i+1]; r++ {
				if r >= utf8.RuneSelf || len(bs) > 16 {
					return false
				}
				if b := swar.LowerASCII(byte(r)); !slices.Contains(bs, b) {
					bs = append(bs, b)
				}
			}
		}
		for _, b := range bs {
			if !startsWithKeyword(rest, append(slices.Clone(cur), b), kws, used, budget) {
				return false
			}
		}
		return len(bs) > 0
	case syntax.OpQuest:
		return startsWithKeyword(rest, cur, kws, used, budget) &&
			startsWithKeyword(then(e.Sub[0]), cur, kws, used, budget)
	case syntax.OpStar:
		return startsWithKeyword(rest, cur, kws, used, budget) &&
			startsWithKeyword(then(e.Sub[0], e), cur, kws, used, budget)
	case syntax.OpPlus:
		star := &syntax.Regexp{Op: syntax.OpStar, Flags: e.Flags, Sub: e.Sub}
		return startsWithKeyword(then(e.Sub[0], star), cur, kws, used, budget)
	case syntax.OpRepeat:
		if e.Max == 0 {
			return startsWithKeyword(rest, cur, kws, used, budget)
		}
		less := &syntax.Regexp{Op: syntax.OpRepeat, Flags: e.Flags, Sub: e.Sub, Min: max(e.Min-1, 0), Max: e.Max - 1}
		if e.Max < 0 {
			less.Max = -1
		}
		if e.Min == 0 && !startsWithKeyword(rest, cur, kws, used, budget) {
			return false
		}
		return startsWithKeyword(then(e.Sub[0], less), cur, kws, used, budget)
	}
	return false
}

// prefix returns the longest leading part of seq that matches at most
// budget bytes, and that part's maximum length. The element that does not fit
// is cut: a repetition to its minimum count, a group to its own prefix, an
// alternation to the alternation of its branches' prefixes. Every match of
// seq starts with a match of the part, so the part is a necessary condition.
// It returns nil when the part would be empty.
func prefix(seq []*syntax.Regexp, budget int) ([]*syntax.Regexp, int) {
	n := 0
	for i, e := range seq {
		m := retree.MaxLen(e)
		if n+m <= budget {
			n += m
			continue
		}
		out := slices.Clone(seq[:i])
		switch e.Op {
		case syntax.OpRepeat, syntax.OpPlus:
			lo := 1
			if e.Op == syntax.OpRepeat {
				lo = e.Min
			}
			if sm := retree.MaxLen(e.Sub[0]); lo > 0 && n+lo*sm <= budget {
				out = append(out, &syntax.Regexp{Op: syntax.OpRepeat, Flags: e.Flags, Sub: e.Sub, Min: lo, Max: lo})
				n += lo * sm
			}
		case syntax.OpCapture, syntax.OpConcat:
			if sub, sn := prefix(flatten(e, nil), budget-n); sub != nil {
				out = append(out, sub...)
				n += sn
			}
		case syntax.OpAlternate:
			alt := &syntax.Regexp{Op: syntax.OpAlternate, Flags: e.Flags}
			most := 0
			for _, b := range e.Sub {
				sub, sn := prefix(flatten(b, nil), budget-n)
				if sub == nil {
					alt = nil
					break
				}
				alt.Sub = append(alt.Sub, &syntax.Regexp{Op: syntax.OpConcat, Sub: sub})
				most = max(most, sn)
			}
			if alt != nil {
				out = append(out, alt)
				n += most
			}
		}
		if len(out) == 0 {
			return nil, 0
		}
		return out, n
	}
	return slices.Clone(seq), n
}

// isWordByte is RE2's \w: ASCII letters, digits and '_'.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// lowerKeywords lowercases keywords; it reports false if one is empty or not
// ASCII.
func lowerKeywords(kws []string) ([]string, bool) {
	out := make([]string, 0, len(kws))
	for _, k := range kws {
		if k == "" {
			return nil, false
		}
		for i := 0; i < len(k); i++ {
			if k[i] >= utf8.RuneSelf {
				return nil, false
			}
		}
		out = append(out, strings.ToLower(k))
	}
	return out, true
}
