// Package copyright finds verbatim reproduction of protected texts that the
// operator registers (books, lyrics, articles): the "respect creators and
// their rights" rule.
//
// The operator's texts are indexed once (Build, or LoadDir then Build, at
// start-up); the index hashes every run of ShingleWords consecutive words
// with a Rabin–Karp rolling hash over word hashes. Screening hashes the
// text's own shingles the same way, looks each up, and extends each hit word
// by word to the longest run the text and the document share. Runs of one
// document a few words apart are joined into one passage (MaxGap), and a
// passage is reported from DefaultMinWords words or DefaultMinChars
// characters on. Case, whitespace, line breaks, punctuation, quote and dash
// styles, Unicode compatibility forms (NFKC) and invisible characters are
// folded away first, and spans are mapped back to the original bytes.
//
// What it cannot do: it finds copies, not paraphrases, translations or
// summaries, and only of texts in the index; a text that is not registered
// is never found, whatever its fame.
//
// Like every detector it must never import net/http or database/sql and does
// no I/O at detection time: LoadDir reads files, and is for start-up only.
package copyright

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
)

// Identity of the detector's findings.
const (
	ID       = "detect.copyright"
	Clause   = "respect_creators"
	Category = "copyright"
)

// Default thresholds. A reproduced run is reported once it reaches
// DefaultMinWords words or DefaultMinChars characters, whichever comes
// first; it then scores 0.5, rising towards 1 (0.95 at three times the
// threshold).
//
// 50 words is two or three sentences of prose, or a verse and a half of a
// song: more than a short quotation with credit, which the rule allows, and
// well above the longest runs that unrelated texts share by chance (set
// phrases, and famous lines that a protected book itself quotes, such as the
// 35 words of "We hold these truths…", stay below it). In English prose 50
// words are about 300 characters; the character threshold takes over for
// long words and for scripts in which every character is a word.
const (
	DefaultMinWords = 50
	DefaultMinChars = 300
)

// DefaultMaxGap is the number of words by which New lets two verbatim runs
// of one document be apart, in the text and in the document, and still be
// reported as one passage: a song's "[Chorus]" label left out or added, a
// word changed every sentence or so. Each run still needs ShingleWords
// words of its own.
const DefaultMaxGap = 3

// steepness of the score's logistic curve: 0.5 at the threshold, 0.95 at
// three times the threshold.
var steepness = math.Log(19) / 2

// Detector reports passages of protected texts reproduced in a text. Use
// New; the zero value has no index and finds nothing.
type Detector struct {
	index *Index
	// MinWords and MinChars are the lengths, in words and in characters
	// of the screened text, from which a passage is reported: when it
	// reaches either (a zero value disables that threshold). With both
	// zero every passage (ShingleWords words or more) is reported, scored
	// against the defaults, for precision/recall curves.
	MinWords, MinChars int
	// MaxGap is the largest gap, in words, between two runs of one
	// document, both in the text and in the document, across which the
	// runs are joined into one passage (0: never joined). Thresholds and
	// scores apply to the passage's words and characters, gaps excluded.
	MaxGap int
}

var (
	_ detect.Detector = (*Detector)(nil)
	_ detect.Scorer   = (*Detector)(nil)
)

// New returns a detector over ix with the default thresholds and
// DefaultMaxGap. A nil index is an empty one: nothing is ever found.
func New(ix *Index) *Detector {
	return &Detector{index: ix, MinWords: DefaultMinWords, MinChars: DefaultMinChars, MaxGap: DefaultMaxGap}
}

// ID returns "detect.copyright".
func (*Detector) ID() string { return ID }

// Kinds returns the one kind of finding it reports.
func (*Detector) Kinds() []detect.Kind { return []detect.Kind{{Category: Category, Clause: Clause}} }

// Index returns the index the detector screens against.
func (d *Detector) Index() *Index { return d.index }

var pool = sync.Pool{New: func() any { return new(state) }}

// maxPooled is the largest word buffer that goes back to the pool.
const maxPooled = 1 << 18

// runs screens text and calls fn with the state holding its runs.
func (ix *Index) runs(text string, fn func(st *state)) {
	st := pool.Get().(*state)
	ix.find(st, text)
	fn(st)
	if cap(st.words) <= maxPooled {
		pool.Put(st)
	}
}

// Matches returns every verbatim run of at least ShingleWords words that
// text shares with a document of the index, whatever its length, sorted by
// Start. A part of text found in several documents gives one match per
// document.
func (ix *Index) Matches(text string) []Match {
	var out []Match
	ix.runs(text, func(st *state) {
		for _, r := range st.runs {
			out = append(out, ix.match(st, text, r))
		}
	})
	sortMatches(out)
	return out
}

// Longest returns the longest verbatim run (in words, then characters)
// that text shares with a document of the index, even when it is shorter
// than any threshold, or the zero Match (Words 0) when there is none. Runs
// shorter than ShingleWords words are not seen.
func (ix *Index) Longest(text string) Match {
	var best Match
	ix.runs(text, func(st *state) {
		for _, r := range st.runs {
			best = longer(best, ix.match(st, text, r))
		}
	})
	return best
}

// longer returns the longer of a and b, in words then characters; a on a tie.
func longer(a, b Match) Match {
	if b.Words > a.Words || b.Words == a.Words && b.Chars > a.Chars {
		return b
	}
	return a
}

func sortMatches(ms []Match) {
	slices.SortFunc(ms, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End), cmp.Compare(a.DocID, b.DocID))
	})
}

// passages calls fn with each passage of text: a verbatim run, or runs of
// one document joined across gaps of at most MaxGap words.
func (d *Detector) passages(text string, fn func(Match)) {
	ix := d.index
	ix.runs(text, func(st *state) {
		rs := st.runs
		if d.MaxGap > 0 {
			// Runs of one document are disjoint and in text order.
			slices.SortStableFunc(rs, func(a, b run) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.qs, b.qs)) })
		}
		for i := 0; i < len(rs); {
			m := ix.match(st, text, rs[i])
			j := i + 1
			for ; d.MaxGap > 0 && j < len(rs); j++ {
				p, r := rs[j-1], rs[j]
				dg := r.g - (p.g + p.qe - p.qs)
				if r.d != p.d || r.qs-p.qe > d.MaxGap || dg < 0 || dg > d.MaxGap {
					break
				}
				n := ix.match(st, text, r)
				m.End = n.End
				m.Words += n.Words
				m.Chars += n.Chars
				m.Runs++
			}
			fn(m)
			i = j
		}
	})
}

// Matches returns the passages of text, as Detect sees them but whatever
// their length, sorted by Start: verbatim runs, joined across gaps of at
// most MaxGap words.
func (d *Detector) Matches(text string) []Match {
	var out []Match
	d.passages(text, func(m Match) { out = append(out, m) })
	sortMatches(out)
	return out
}

// Longest returns the longest passage of text (in words, then characters)
// as Detect sees it, even when it is under the thresholds, or the zero
// Match when there is none: Detect reports a finding for it exactly when
// Score(Longest(text)) >= 0.5. With MaxGap 0 it is Index.Longest.
func (d *Detector) Longest(text string) Match {
	var best Match
	d.passages(text, func(m Match) { best = longer(best, m) })
	return best
}

// Detect returns one finding per passage that reaches the detector's
// thresholds, spanning the passage in text. Its evidence names the document
// and the passage's length, e.g. `poems/raven.txt "The Raven" (62 words,
// 341 chars)`, with the number of runs when it joins several.
func (d *Detector) Detect(text string) []detect.Finding {
	var out []detect.Finding
	d.passages(text, func(m Match) {
		x := d.ratio(m)
		if x < 1 && (d.MinWords > 0 || d.MinChars > 0) {
			return
		}
		out = append(out, detect.Finding{
			Detector: ID,
			Clause:   Clause,
			Category: Category,
			Score:    score(x),
			Start:    m.Start,
			End:      m.End,
			Evidence: evidence(m),
		})
	})
	detect.SortFindings(out)
	return out
}

// Scores returns the score of the longest reproduced run under the key
// "copyright" (0 when there is none).
func (d *Detector) Scores(text string) map[string]float64 {
	m := d.Longest(text)
	if m.Words == 0 {
		return map[string]float64{Category: 0}
	}
	return map[string]float64{Category: score(d.ratio(m))}
}

// Score returns the score Detect gives m: 0.5 when m just reaches the
// detector's thresholds, 0.95 at three times them.
func (d *Detector) Score(m Match) float64 {
	if m.Words == 0 {
		return 0
	}
	return score(d.ratio(m))
}

// ratio is m's length over the threshold, the larger of words and chars.
func (d *Detector) ratio(m Match) float64 {
	mw, mc := d.MinWords, d.MinChars
	if mw <= 0 && mc <= 0 {
		mw, mc = DefaultMinWords, DefaultMinChars
	}
	var x float64
	if mw > 0 {
		x = float64(m.Words) / float64(mw)
	}
	if mc > 0 {
		x = max(x, float64(m.Chars)/float64(mc))
	}
	return x
}

func score(x float64) float64 {
	s := 1 / (1 + math.Exp(-steepness*(x-1)))
	return detect.RoundScore(s)
}

// maxTitle bounds the title quoted in evidence, in bytes.
const maxTitle = 60

func evidence(m Match) string {
	n := fmt.Sprintf("(%d words, %d chars)", m.Words, m.Chars)
	if m.Runs > 1 {
		n = fmt.Sprintf("(%d words, %d chars, %d runs)", m.Words, m.Chars, m.Runs)
	}
	if m.Title == "" || m.Title == m.DocID {
		return m.DocID + " " + n
	}
	t := m.Title
	if len(t) > maxTitle {
		i := maxTitle
		for i > 0 && !utf8.RuneStart(t[i]) {
			i-- // cut on a rune boundary
		}
		t = t[:i] + "…"
	}
	return fmt.Sprintf("%s %q %s", m.DocID, t, n)
}
