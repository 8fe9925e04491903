// Package injection finds instructions aimed at the model inside data: tool
// output, retrieved documents, web pages, e-mails, quoted text. Under the chain
// of command such text carries no authority, so an instruction found in it is
// an attempted injection, whatever it asks for.
//
// The detector is a set of hand-written rules over folded text (see
// internal/detect/internal/textnorm). Text is cut into sentences and lines; a
// sentence is matched only against the rules whose trigger words it contains,
// so that benign text costs one pass and a map lookup per word. Every rule is
// an RE2 expression run at most once per sentence, which keeps the whole
// detector linear in the length of the text.
//
// Like every detector it must never import net/http or database/sql and does
// no I/O at detection time.
package injection

import (
	"math"
	"math/bits"
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

var pool = sync.Pool{New: func() any { return new(textnorm.Text) }}

// Detect returns one finding per sentence or line that carries an injected
// instruction, with the span of that sentence or line in text.
func (d *Detector) Detect(text string) []detect.Finding {
	t := pool.Get().(*textnorm.Text)
	defer pool.Put(t)
	t.Reset(text)
	var out []detect.Finding
	scan(t.Norm, func(seg segment) {
		h, ok := evaluate(t.Norm, seg)
		if !ok || h.score < d.MinScore {
			return
		}
		start, end := t.Span(h.start, h.end)
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
	return out
}

// segment is one sentence or line of folded text, Norm[start:end], with the
// rules whose trigger words it contains.
type segment struct {
	start, end int
	lineStart  bool // the segment begins a line
	rules      uint64
}

// scan cuts n into sentences and lines and calls fn for each that contains a
// trigger word. A sentence ends at a line break or after '.', '!' or '?'
// followed by a space.
func scan(n []byte, fn func(segment)) {
	seg := segment{lineStart: true}
	word := -1
	flush := func(end int) {
		if seg.rules != 0 {
			seg.end = end
			fn(seg)
		}
	}
	for i := 0; i <= len(n); i++ {
		var c byte = '\n'
		if i < len(n) {
			c = n[i]
		}
		isWord := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '\'' || c == '_' || c >= 0x80
		if isWord {
			if word < 0 {
				word = i
			}
			continue
		}
		if word >= 0 {
			seg.rules |= triggers[string(n[word:i])]
			word = -1
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
			i = next - 1
		}
	}
}

// hit is the verdict on one segment.
type hit struct {
	score      float64
	start, end int // span in folded text
	evidence   string
}

// evaluate runs the rules triggered in seg and combines the ones that match:
// the strongest names the evidence, and the scores combine as independent
// signals (1 - Π(1-s)), capped at 0.99.
func evaluate(n []byte, seg segment) (hit, bool) {
	s := n[seg.start:seg.end]
	var (
		best      *rule
		bestScore float64
		miss      = 1.0
		ms, me    = -1, -1
	)
	for set := seg.rules; set != 0; set &= set - 1 {
		r := &rules[bits.TrailingZeros64(set)]
		if r.lineStart && !seg.lineStart {
			continue
		}
		loc := r.re.FindIndex(s)
		if loc == nil {
			continue
		}
		if !r.qualifies(s) {
			continue
		}
		score := r.score
		if r.boost != nil && r.boost.Match(s) {
			score += r.boostBy
		}
		score = min(score, 0.99)
		miss *= 1 - score
		if score > bestScore {
			best, bestScore = r, score
		}
		if ms < 0 || loc[0] < ms {
			ms = loc[0]
		}
		me = max(me, loc[1])
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
		score:    min(1-miss, 0.99),
		start:    seg.start + a,
		end:      seg.start + b,
		evidence: best.name,
	}, true
}

// runeStart moves i back to the first byte of the rune that holds it.
func runeStart(s []byte, i int) int {
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}
