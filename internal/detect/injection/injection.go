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
// the text, and benign text costs little more than one pass and a map lookup
// per word.
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
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/modelspec/modelspec/internal/detect"
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

// state is the scratch space of one Detect call, pooled.
type state struct {
	rs   *ruleSet
	text textnorm.Text
	occ  []occurrence
}

// occurrence is an anchor word at pos in the folded text.
type occurrence struct {
	pos   int
	rules uint64
}

var pool = sync.Pool{New: func() any { return new(state) }}

// maxPooled is the largest folded text whose buffers go back to the pool.
const maxPooled = 1 << 20

// Detect returns one finding per sentence or line that carries an injected
// instruction, with the span of that sentence or line in text.
func (d *Detector) Detect(text string) []detect.Finding {
	rs := compiled()
	st := pool.Get().(*state)
	st.rs = rs
	st.text.Reset(text)
	n := st.text.Norm
	var out []detect.Finding
	st.scan(n, func(seg segment, occ []occurrence) {
		if d.MinScore > 0 && rs.bound(seg, occ) < d.MinScore-1e-9 {
			return // no combination of the rules it could match reaches MinScore
		}
		h, ok := rs.evaluate(n, seg, occ)
		if !ok || h.score < d.MinScore {
			return
		}
		start, end := st.text.Span(h.start, h.end)
		out = append(out, detect.Finding{
			Detector: ID,
			Clause:   Clause,
			Category: Category,
			Score:    math.Round(h.score*1000) / 1000,
			Start:    start,
			End:      end,
			Evidence: h.evidence,
		})
	})
	if cap(st.text.Norm) <= maxPooled {
		pool.Put(st)
	}
	return out
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
	for i := 0; i <= len(n); {
		if i < len(n) && wordByte[n[i]] {
			j := i + 1
			for j < len(n) && wordByte[n[j]] {
				j++
			}
			st.lookup(&seg, n, i, j)
			i = j
			continue
		}
		var c byte = '\n'
		if i < len(n) {
			c = n[i]
		}
		switch {
		case c == '\n':
			flush(i)
			seg = segment{start: i + 1, lineStart: true}
		case (c == '.' || c == '!' || c == '?') && (i+1 == len(n) || n[i+1] == ' '):
			flush(i + 1)
			next := i + 1
			if next < len(n) && n[next] == ' ' {
				next++
			}
			seg = segment{start: next}
			i = next
			continue
		}
		i++
	}
}

// wordByte reports the bytes of folded text that make up words: letters,
// digits, apostrophes, '_' and every byte of a non-ASCII character.
var wordByte = func() (w [256]bool) {
	for c := range 256 {
		w[c] = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '\'' || c == '_' || c >= 0x80
	}
	return w
}()

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
	if e := st.rs.index.FindBytes(n[start:end]); e != nil {
		anchor = e.anchor
		seg.sentence |= e.sentence
		seg.needs |= e.needs
	}
	if end-start > 2 && n[end-1] == 's' && n[end-2] == '\'' {
		if stem := st.rs.index.FindBytes(n[start : end-2]); stem != nil {
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

// evaluate tries the rules anchored at each occurrence and the sentence
// rules triggered in seg, each rule at most once, and combines the ones that
// match (see combine); the strongest names the evidence.
func (rs *ruleSet) evaluate(n []byte, seg segment, occ []occurrence) (hit, bool) {
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
		if r.prev != nil && !r.prev.Match(s[max(0, at-maxPrev):at]) {
			return
		}
		if r.prevNot != nil && r.prevNot.Match(s[max(0, at-maxPrev):at]) {
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
		loc := r.re.FindIndex(w)
		if loc == nil {
			return
		}
		a, b := at+loc[0], at+loc[1]
		near := s[max(0, a-window):min(len(s), b+window)]
		if r.bol {
			near = s[:min(len(s), maxSentenceMatch)]
		}
		if !r.qualifies(near) {
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
	if set := seg.sentence & allowed &^ done; set != 0 {
		first := firstWord(s)
		for ; set != 0; set &= set - 1 {
			if i := bits.TrailingZeros64(set); rs.rules[i].first[string(first)] {
				try(i, 0)
			}
		}
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

// bound returns an upper bound of the score evaluate can give seg: the
// score of every rule that could be tried there matching, each as its own
// cluster, at its highest (boosted) score. Most sentences only trigger weak
// rules (a question, a task, "you must"), whose bound stays under
// DefaultMinScore, so their patterns need not run.
func (rs *ruleSet) bound(seg segment, occ []occurrence) float64 {
	allowed := seg.needs | rs.noNeeds
	cand := seg.sentence & allowed
	for _, o := range occ {
		cand |= o.rules & allowed
	}
	if !seg.lineStart {
		cand &^= rs.lineStartRules
	}
	miss := 1.0
	for ; cand != 0; cand &= cand - 1 {
		miss *= 1 - rs.maxScore[bits.TrailingZeros64(cand)]
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
