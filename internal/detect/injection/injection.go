// Package injection finds instructions aimed at the model inside data: tool
// output, retrieved documents, web pages, e-mails, quoted text. Under the chain
// of command such text carries no authority, so an instruction found in it is
// an attempted injection, whatever it asks for.
//
// The detector is a set of hand-written rules (rules.go) over folded text
// (internal/detect/internal/textnorm undoes case, spacing, invisible
// characters, fullwidth and look-alike letters). Text is cut into sentences
// and lines. Each rule is an RE2 pattern matched anchored: a word rule at
// each occurrence of one of its anchor words, a sentence rule at the start of
// a sentence holding one of its trigger words, and either only when the
// sentence holds a word the rule needs. An attempt reads a bounded window and
// usually stops after a few bytes, so the detector is linear in the length of
// the text, and benign text costs little more than one pass and a table
// lookup per word. Before a pattern runs, literal filters derived from it
// (literal.go) turn away most attempts that cannot match, and sentences
// whose candidate rules cannot reach MinScore are not tried at all.
//
// Each sentence yields at most one finding, spanning the sentence. Its score
// combines the rules that matched (see combine) and its evidence names the
// strongest. Rules on weak evidence alone (a bare task or question on its own
// line, a sentence opening with "always" or "you must") score below
// DefaultMinScore: they matter only together with others, or for curves.
//
// Like every detector it must never import net/http or database/sql and does
// no I/O at detection time.
package injection

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/internal/swar"
	"github.com/modelspec/modelspec/internal/detect/internal/textnorm"
)

// Identity of the detector's findings.
const (
	ID       = "detect.injection"
	Clause   = "follow_chain_of_command"
	Category = "injection"
)

// DefaultMinScore is the score from which New reports a finding. Rules that
// fire on weak evidence alone (a bare task or question on its own line) score
// below it; set MinScore lower to see them, e.g. to draw precision/recall
// curves.
const DefaultMinScore = 0.5

// maxContext bounds how far a reported span reaches before and after the
// matched words inside one very long sentence or line.
const maxContext = 400

// Detector finds injected instructions. Use New; the zero value reports
// every finding (MinScore 0).
type Detector struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*Detector)(nil)

// New returns a detector reporting findings that score DefaultMinScore or more.
func New() *Detector { return &Detector{MinScore: DefaultMinScore} }

// ID returns "detect.injection".
func (*Detector) ID() string { return ID }

// Kinds returns the one kind of finding it reports.
func (*Detector) Kinds() []detect.Kind { return []detect.Kind{{Category: Category, Clause: Clause}} }

// state is the scratch space of one Detect call, pooled.
type state struct {
	rs   *ruleSet
	text textnorm.Text
	occ  []occurrence

	// The call's detector and findings, for visit, and visit bound to
	// the state once for all calls: a closure over them, passed to the
	// scan, would be allocated at every call.
	d       *Detector
	out     []detect.Finding
	visitFn func(segment, []occurrence)
}

// occurrence is an anchor word at pos in the folded text.
type occurrence struct {
	pos   int
	rules uint64
}

var pool = sync.Pool{New: func() any {
	st := new(state)
	st.visitFn = st.visit
	return st
}}

// maxPooled is the largest folded text whose buffers go back to the pool.
const maxPooled = 1 << 20

// Detect returns one finding per sentence or line that carries an injected
// instruction, with the span of that sentence or line in text.
func (d *Detector) Detect(text string) []detect.Finding {
	return d.detect(compiled(), (*state).scan, text)
}

// detect is Detect with the rule set and the scan given: the tests run it
// with the reference ones (scanReference, and rules without the literal
// filters) to check the fast paths against them.
func (d *Detector) detect(rs *ruleSet, scan func(*state, []byte, func(segment, []occurrence)), text string) []detect.Finding {
	st := pool.Get().(*state)
	st.rs, st.d, st.out = rs, d, nil
	st.text.Reset(text)
	scan(st, st.text.Norm, st.visitFn)
	out := st.out
	st.d, st.out = nil, nil
	if cap(st.text.Norm) <= maxPooled {
		pool.Put(st)
	}
	return out
}

// visit appends to st.out the finding of one segment the scan found, if
// it has one.
func (st *state) visit(seg segment, occ []occurrence) {
	rs, d, n := st.rs, st.d, st.text.Norm
	// No combination of the rules it could match reaches MinScore:
	// first counting every sentence rule its words trigger, then
	// only those sentenceRules lets through, which costs a lookup.
	triggered := seg.sentence & (seg.needs | rs.noNeeds)
	if d.MinScore > 0 && rs.bound(seg, occ, triggered) < d.MinScore-1e-9 {
		return
	}
	sent := rs.sentenceRules(n, seg, triggered)
	if d.MinScore > 0 && sent != triggered && rs.bound(seg, occ, sent) < d.MinScore-1e-9 {
		return
	}
	h, ok := rs.evaluate(n, seg, occ, sent, d.MinScore)
	if !ok || h.score < d.MinScore {
		return
	}
	start, end := st.text.Span(h.start, h.end)
	st.out = append(st.out, detect.Finding{
		Detector: ID,
		Clause:   Clause,
		Category: Category,
		Score:    detect.RoundScore(h.score),
		Start:    start,
		End:      end,
		Evidence: h.evidence,
	})
}

// segment is one sentence or line of folded text, Norm[start:end].
type segment struct {
	start, end int
	lineStart  bool   // the segment begins a line
	sentence   uint64 // sentence rules triggered by its words
	needs      uint64 // rules whose needs its words meet
}

// scan cuts n into sentences and lines and calls fn for each that contains
// an anchor or trigger word, with the anchor words in it. A sentence ends at
// a line break or after '.', '!' or '?' followed by a space.
//
// It reads n in blocks of 64 bytes, each first classified eight bytes at
// a time into masks of one bit a byte (see classify). A word's start, end
// and apostrophes are then bits of the masks: the lookup of a word does
// not wait for the scan to find the end of the word before it, and the
// spaces between words cost no step of their own. Only the few bytes that
// are neither word bytes nor spaces are read one by one, for breaks.
func (st *state) scan(n []byte, fn func(segment, []occurrence)) {
	seg := segment{lineStart: true}
	st.occ = st.occ[:0]
	flush := func(end int) {
		if seg.sentence != 0 || len(st.occ) > 0 {
			seg.end = end
			fn(seg, st.occ)
		}
		st.occ = st.occ[:0]
	}
	idx := st.rs.index
	var carry uint64 // 1 when the byte before the block is a word byte
	next := classify(n, 0)
	for base := 0; base < len(n); base += 64 {
		// The next block's masks hold the ends of the words that run
		// on past this one.
		c := next
		next = classify(n, base+64)
		word, quote := c.word, c.quote
		starts := word &^ (word<<1 | carry)
		carry = word >> 63
		// Breaks: every '\n', and each '.', '!' or '?' that a space
		// follows or the end of n.
		spaceAfter := c.space>>1 | next.space<<63
		if end := len(n) - base; end <= 64 {
			spaceAfter |= 1 << (end - 1)
		}
		var breaks uint64
		for o := c.other; o != 0; o &= o - 1 {
			p := bits.TrailingZeros64(o)
			k := breakKind[n[base+p]]
			breaks |= uint64(k&1)<<p | uint64(k>>1)<<p&spaceAfter
		}
		for {
			brk := breaks & -breaks // the next break, 0 for none
			for w := starts & (brk - 1); w != 0; w &= w - 1 {
				p := bits.TrailingZeros64(w)
				// (For p = 0 the shifts by 64 give 0.)
				i, k := base+p, bits.TrailingZeros64(^word>>p|^next.word<<(64-p))
				if k == 64 { // the two blocks hold no end
					k = wordEnd(n, i+64) - i
				}
				// Most words are shorter than 16 bytes: packed as the
				// index wants them, in two loads. Words with an
				// apostrophe, which lookup may trim or look up twice
				// (quotes around them, a possessive "'s"), take the
				// general path.
				if k < 16 {
					lo, hi := load16(n, i)
					m := &keep[k]
					lo &= m[0]
					hi &= m[1]
					if (quote>>p|next.quote<<(64-p))&(1<<k-1) == 0 {
						if idx.MayHold(lo, hi) {
							if e := idx.FindPacked(lo, hi, k); e != nil {
								seg.sentence |= e.sentence
								seg.needs |= e.needs
								if e.anchor != 0 {
									st.occ = append(st.occ, occurrence{i, e.anchor})
								}
							}
						}
						continue
					}
				}
				st.lookup(&seg, n, i, i+k)
			}
			if brk == 0 {
				break
			}
			starts &^= brk - 1
			breaks &^= brk
			i := base + bits.TrailingZeros64(brk)
			if n[i] == '\n' {
				flush(i)
				seg = segment{start: i + 1, lineStart: true}
				continue
			}
			flush(i + 1)
			seg = segment{start: min(i+2, len(n))} // after the space
		}
	}
	flush(len(n))
}

// block is the masks of 64 bytes of n, bit p for the byte at p from the
// block's start: the word bytes (see wordByte), the spaces, the
// apostrophes, and the bytes that are neither word bytes nor spaces.
// Bytes past the end of n are in none.
type block struct{ word, space, quote, other uint64 }

// classify returns the masks of the block of n from base.
func classify(n []byte, base int) (b block) {
	if base+64 <= len(n) {
		s := n[base : base+64]
		for q := 0; q < 64; q += 8 {
			x := binary.LittleEndian.Uint64(s[q:])
			w, a := wordLanes(x)
			b.word |= movemask(w) << q
			b.quote |= movemask(a) << q
			b.space |= movemask(swar.Equal8(x, ' ')) << q
		}
		b.other = ^(b.word | b.space)
		return b
	}
	// The last bytes, the zero lanes past the end in no mask.
	for q := 0; base+q < len(n); q += 8 {
		x := load8(n, base+q)
		w, a := wordLanes(x)
		b.word |= movemask(w) << q
		b.quote |= movemask(a) << q
		b.space |= movemask(swar.Equal8(x, ' ')) << q
	}
	b.other = ^(b.word | b.space) & (1<<max(len(n)-base, 0) - 1)
	return b
}

// keep[k] keeps the first k bytes of sixteen loaded as two uint64s (see
// load16), for k < 16.
var keep = func() (m [16][2]uint64) {
	for k := range m {
		for q := range k {
			m[k][q/8] |= 0xff << (8 * (q % 8))
		}
	}
	return m
}()

// movemask gathers the high bits of the eight lanes of m, which has no
// other bit set, into its low eight bits, lane p to bit p. The product
// moves the high bit of lane p up by 49-7p bits, to bit 56+p; the other
// partial products fall below bit 56 or past bit 63, and being all
// distinct bits they carry nothing into the top byte.
func movemask(m uint64) uint64 { return m * 0x0002040810204081 >> 56 }

// wordByte reports the bytes of folded text that make up words: letters,
// digits, apostrophes, '_' and every byte of a non-ASCII character.
var wordByte = func() (w [256]bool) {
	for c := range 256 {
		w[c] = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '\'' || c == '_' || c >= 0x80
	}
	return w
}()

// load8 returns the eight bytes of n from i, first byte lowest, with
// zeros for those past the end.
func load8(n []byte, i int) uint64 {
	if i+8 <= len(n) {
		return binary.LittleEndian.Uint64(n[i:])
	}
	return load8Tail(n, i)
}

// load16 returns the sixteen bytes of n from i as two load8 would, with
// one test of the length for both.
func load16(n []byte, i int) (lo, hi uint64) {
	if i+16 <= len(n) {
		n = n[i : i+16]
		return binary.LittleEndian.Uint64(n), binary.LittleEndian.Uint64(n[8:])
	}
	return load8(n, i), load8(n, i+8)
}

// load8Tail is load8 near the end of n: the last eight bytes, shifted
// down, in one load.
func load8Tail(n []byte, i int) uint64 {
	if i >= len(n) {
		return 0
	}
	if len(n) >= 8 {
		return binary.LittleEndian.Uint64(n[len(n)-8:]) >> (8 * (i - (len(n) - 8)))
	}
	var x uint64
	for q := i; q < len(n); q++ {
		x |= uint64(n[q]) << (8 * (q - i))
	}
	return x
}

// breakKind is 1 for '\n', which ends a line, and 2 for '.', '!' and
// '?', which end a sentence when a space follows.
var breakKind = func() (k [256]uint8) {
	k['\n'], k['.'], k['!'], k['?'] = 1, 2, 2, 2
	return k
}()

// wordEnd returns the end of the run of word bytes (wordByte) that
// starts at or before i: the first byte from i on that is not one, or
// len(n). It tests eight bytes at a time (see wordRun8): the words scan
// cannot see end in its masks are long (tokens, base64).
func wordEnd(n []byte, i int) int {
	for ; i+8 <= len(n); i += 8 {
		if k := wordRun8(binary.LittleEndian.Uint64(n[i:])); k < 8 {
			return i + k
		}
	}
	for i < len(n) && wordByte[n[i]] {
		i++
	}
	return i
}

// wordRun8 returns how many of the eight bytes of x (see swar), from the
// first, are word bytes, exactly as wordByte says.
func wordRun8(x uint64) int {
	w, _ := wordLanes(x)
	return bits.TrailingZeros64(^w&swar.Lanes8) >> 3
}

// wordLanes marks the lanes of x (see swar) holding a word byte, exactly
// as wordByte says, and those holding an apostrophe.
func wordLanes(x uint64) (word, quote uint64) {
	// Four calls of swar.Range8, written out to share set and the masks:
	// the calls would cost too much for the compiler to inline wordLanes.
	// set-c*Lanes1 has the high bit of a lane set where its low seven bits
	// are c or more, so ge(c)&^ge(d) marks [c, d). The non-ASCII lanes,
	// all word bytes, are added by x itself.
	const l1 = swar.Lanes1
	set := x | swar.Lanes8
	quote = (set - '\''*l1) &^ (set - ('\''+1)*l1) &^ x & swar.Lanes8
	return (x | (set-'a'*l1)&^(set-('z'+1)*l1) | (set-'0'*l1)&^(set-('9'+1)*l1) |
		quote | (set-'_'*l1)&^(set-('_'+1)*l1)) & swar.Lanes8, quote
}

// lookup records the word n[start:end] in seg. Quotes around it are not
// part of the word, and a possessive "'s" is looked up with and without.
func (st *state) lookup(seg *segment, n []byte, start, end int) {
	for start < end && n[start] == '\'' {
		start++
	}
	for end > start && n[end-1] == '\'' {
		end--
	}
	if start == end {
		return
	}
	var anchor uint64
	if e := st.rs.index.FindAt(n, start, end); e != nil {
		anchor = e.anchor
		seg.sentence |= e.sentence
		seg.needs |= e.needs
	}
	if end-start > 2 && n[end-1] == 's' && n[end-2] == '\'' {
		if stem := st.rs.index.FindAt(n, start, end-2); stem != nil {
			anchor |= stem.anchor
			seg.sentence |= stem.sentence
			seg.needs |= stem.needs
		}
	}
	if anchor != 0 {
		st.occ = append(st.occ, occurrence{start, anchor})
	}
}

// hit is the verdict on one segment.
type hit struct {
	score      float64
	start, end int // span in folded text
	evidence   string
}

// sentenceRules returns the sentence rules evaluate tries on seg: of
// triggered, those its words trigger and meet the needs of
// (seg.sentence & (seg.needs | rs.noNeeds)), the ones whose anchors hold
// its first word and, for a rule whose pattern ends with a given byte at
// the end of the window (endsWith), whose window ends with it.
func (rs *ruleSet) sentenceRules(n []byte, seg segment, triggered uint64) uint64 {
	set := triggered
	if set == 0 {
		return 0
	}
	s := n[seg.start:seg.end]
	if f := rs.firsts.FindBytes(firstWord(s)); f != nil {
		set &= *f
	} else {
		return 0
	}
	if set&rs.endsWithRules != 0 {
		last := byte(0)
		if w := s[:min(len(s), maxSentenceMatch)]; len(w) > 0 {
			last = w[len(w)-1]
		}
		for rest := set & rs.endsWithRules; rest != 0; rest &= rest - 1 {
			if i := bits.TrailingZeros64(rest); last != rs.rules[i].endsWith {
				set &^= 1 << i
			}
		}
	}
	return set
}

// evaluate tries the rules anchored at each occurrence and the sentence
// rules sent (see sentenceRules), each rule at most once, and combines the
// ones that match (see combine); the strongest names the evidence. It may
// stop early, with no hit, where the score would stay below minScore.
func (rs *ruleSet) evaluate(n []byte, seg segment, occ []occurrence, sent uint64, minScore float64) (hit, bool) {
	s := n[seg.start:seg.end]
	var (
		done      uint64
		best      *rule
		bestScore float64
		matches   [64]match
		nm        int
		ms, me    = -1, -1
	)
	try := func(i, at int) {
		r := &rs.rules[i]
		if r.lineStart && !seg.lineStart {
			return
		}
		limit := maxWordMatch
		if r.bol {
			limit = maxSentenceMatch
		}
		w := s[at:min(len(s), at+limit)]
		if r.endsWith != 0 && (len(w) == 0 || w[len(w)-1] != r.endsWith) {
			return // the pattern ends with that byte at the end of the window
		}
		if !r.prefix.admits(w) || !r.holds.admits(w) {
			return // no match starts so, or holds one of those bytes
		}
		if r.prev != nil {
			before := s[max(0, at-maxPrev):at]
			if !r.prevSuffix.admits(before) || !r.prev.Match(before) {
				return
			}
		}
		if r.prevNot != nil && r.prevNot.Match(s[max(0, at-maxPrev):at]) {
			return
		}
		// A sentence rule's requires read the start of the sentence
		// wherever it matches, so they are checked first: mostly literal
		// searches, cheaper than the pattern.
		var near []byte
		if r.bol {
			near = s[:min(len(s), maxSentenceMatch)]
			if !r.meets(near) {
				return
			}
		}
		loc := r.re.FindIndex(cutWindow(w, r.maxLen))
		if loc == nil {
			return
		}
		a, b := at+loc[0], at+loc[1]
		if !r.bol {
			near = s[max(0, a-window):min(len(s), b+window)]
			if !r.meets(near) {
				return
			}
		}
		if r.unless.match(near) {
			return
		}
		done |= 1 << i
		score := r.score
		if r.boost.match(near) {
			score += r.boostBy
		}
		score = min(score, 0.99)
		matches[nm] = match{a, b, score}
		nm++
		if score > bestScore {
			best, bestScore = r, score
		}
		if ms < 0 || a < ms {
			ms = a
		}
		me = max(me, b)
	}
	allowed := seg.needs | rs.noNeeds
	for _, o := range occ {
		for set := o.rules & allowed &^ done; set != 0; set &= set - 1 {
			try(bits.TrailingZeros64(set), o.pos-seg.start)
		}
	}
	for set := sent &^ done; set != 0; set &= set - 1 {
		if nm == 0 && rs.boundOf(set) < minScore-1e-9 {
			// Nothing matched yet, and the rules left cannot reach
			// minScore together: the segment yields no finding.
			return hit{}, false
		}
		try(bits.TrailingZeros64(set), 0)
	}
	if best == nil {
		return hit{}, false
	}
	// Report the sentence, trimmed, but no more than maxContext bytes
	// either side of the matched words.
	a, b := 0, len(s)
	if ms-a > maxContext {
		a = runeStart(s, ms-maxContext)
	}
	if b-me > maxContext {
		b = runeStart(s, me+maxContext)
	}
	for a < b && s[a] == ' ' {
		a++
	}
	for b > a && s[b-1] == ' ' {
		b--
	}
	return hit{
		score:    combine(matches[:nm]),
		start:    seg.start + a,
		end:      seg.start + b,
		evidence: best.name,
	}, true
}

// bound returns an upper bound of the score evaluate can give seg, which
// tries the sentence rules sent: the score of every rule that could be
// tried there matching, each as its own cluster, at its highest (boosted)
// score. Most sentences only trigger weak rules (a question, a task, "you
// must"), whose bound stays under DefaultMinScore, so their patterns need
// not run.
func (rs *ruleSet) bound(seg segment, occ []occurrence, sent uint64) float64 {
	allowed := seg.needs | rs.noNeeds
	cand := sent
	for _, o := range occ {
		cand |= o.rules & allowed
	}
	if !seg.lineStart {
		cand &^= rs.lineStartRules
	}
	return rs.boundOf(cand)
}

// boundOf returns the highest score the rules in set can give together:
// each matching, as its own cluster, at its highest score.
func (rs *ruleSet) boundOf(set uint64) float64 {
	miss := 1.0
	for ; set != 0; set &= set - 1 {
		miss *= 1 - rs.maxScore[bits.TrailingZeros64(set)]
	}
	return min(1-miss, 0.99)
}

// firstWord returns the first word of a sentence, after what the bol
// pattern lets open a line (bullets, quotes, numbering), without quotes.
func firstWord(s []byte) []byte {
	i := 0
	for i < len(s) && i < 8 && !('a' <= s[i] && s[i] <= 'z') {
		i++
	}
	j := i
	for j < len(s) && ('a' <= s[j] && s[j] <= 'z' || s[j] == '\'') {
		j++
	}
	for j > i && s[j-1] == '\'' {
		j--
	}
	return s[i:j]
}

// match is a rule's match in a sentence.
type match struct {
	start, end int
	score      float64
}

// combine scores a sentence from its matches. Matches that overlap read the
// same words, so a cluster of overlapping matches counts once, at its best
// score; separate clusters combine as independent signals, 1 - Π(1-s),
// capped at 0.99.
func combine(ms []match) float64 {
	slices.SortFunc(ms, func(a, b match) int { return cmp.Compare(a.start, b.start) })
	miss, best, end := 1.0, 0.0, -1
	for _, m := range ms {
		if m.start >= end && end >= 0 {
			miss *= 1 - best
			best = 0
		}
		best = max(best, m.score)
		end = max(end, m.end)
	}
	miss *= 1 - best
	return min(1-miss, 0.99)
}

// runeStart moves i back to the first byte of the rune that holds it.
func runeStart(s []byte, i int) int {
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}

var _ detect.Scorer = (*Detector)(nil)

// Scores returns the highest score of any finding in text, however low,
// under the detector's category (0 when nothing matches at all).
func (d *Detector) Scores(text string) map[string]float64 {
	best := 0.0
	for _, f := range (&Detector{}).Detect(text) {
		best = max(best, f.Score)
	}
	return map[string]float64{Category: best}
}
