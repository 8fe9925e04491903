package train

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/detect/classify"
)

// Metrics are binary-classification figures for one category on a set of
// texts whose label for it is known, at a score threshold (the detector's,
// classify.DefaultMinScore, unless said otherwise).
type Metrics struct {
	Pos       int     `json:"pos"`
	Neg       int     `json:"neg"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	Precision float64 `json:"precision"`  // TP/(TP+FP); 0 when nothing is flagged
	Recall    float64 `json:"recall"`     // TP/Pos
	F1        float64 `json:"f1"`         //
	AUPRC     float64 `json:"auprc"`      // average precision over the ranking by score
	FalseRate float64 `json:"false_rate"` // FP/Neg
}

// metrics computes Metrics from scores and labels at threshold min.
func metrics(scores []float64, labels []bool, min float64) Metrics {
	var m Metrics
	for i, s := range scores {
		flagged := s >= min
		if labels[i] {
			m.Pos++
			if flagged {
				m.TP++
			}
		} else {
			m.Neg++
			if flagged {
				m.FP++
			}
		}
	}
	if m.TP+m.FP > 0 {
		m.Precision = float64(m.TP) / float64(m.TP+m.FP)
	}
	if m.Pos > 0 {
		m.Recall = float64(m.TP) / float64(m.Pos)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	if m.Neg > 0 {
		m.FalseRate = float64(m.FP) / float64(m.Neg)
	}
	m.AUPRC = averagePrecision(scores, labels)
	return m
}

// averagePrecision is the area under the precision-recall curve as average
// precision: the mean, over positives, of the precision at the score of
// each positive, texts with equal scores taken together. It is 0 without
// positives.
func averagePrecision(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	pos := 0
	for i := range idx {
		idx[i] = i
		if labels[i] {
			pos++
		}
	}
	if pos == 0 {
		return 0
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	ap, tp, seen := 0.0, 0, 0
	for i := 0; i < len(idx); {
		j, newTP := i, 0
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] {
				newTP++
			}
			j++
		}
		tp += newTP
		seen += j - i
		ap += float64(newTP) * float64(tp) / float64(seen)
		i = j
	}
	return ap / float64(pos)
}

// Row is one line of a report: the figures of one category (or "any") on
// one source (or "all").
type Row struct {
	Source   string  `json:"source"`
	Category string  `json:"category"`
	Metrics  Metrics `json:"metrics"`
}

// Report holds the figures of a model on a set of examples.
type Report struct {
	Split string `json:"split"`
	// Rows: per category, on all sources pooled ("all") and on each source
	// with known labels for it; per source, category "any" counts a text as
	// flagged when any category is flagged, over its harmful rows
	// (recall) and its benign rows (false alarms).
	Rows []Row `json:"rows"`
}

// Get returns the row for source and category.
func (r *Report) Get(source, category string) (Metrics, bool) {
	for _, row := range r.Rows {
		if row.Source == source && row.Category == category {
			return row.Metrics, true
		}
	}
	return Metrics{}, false
}

// Evaluate scores every example with m and computes the report at the
// detector's threshold.
func Evaluate(m *classify.Model, ex []Example, split Split) *Report {
	return EvaluateAt(m, ex, split, classify.DefaultMinScore)
}

// EvaluateAt is Evaluate at the score threshold min.
func EvaluateAt(m *classify.Model, ex []Example, split Split, min float64) *Report {
	scores := make([][]classify.Score, len(ex))
	for i := range ex {
		scores[i] = m.Classify(ex[i].Text)
	}
	return reportAt(ex, func(i, c int) float64 { return scores[i][c].Score }, split, min)
}

// report computes a report from a score function at the detector's
// threshold.
func report(ex []Example, score func(i, c int) float64, split Split) *Report {
	return reportAt(ex, score, split, classify.DefaultMinScore)
}

func reportAt(ex []Example, score func(i, c int) float64, split Split, min float64) *Report {
	r := &Report{Split: split.String()}
	var sources []string
	for _, e := range ex {
		if !slices.Contains(sources, e.Source) {
			sources = append(sources, e.Source)
		}
	}
	add := func(src, cat string, s []float64, l []bool) {
		if len(s) > 0 {
			r.Rows = append(r.Rows, Row{src, cat, metrics(s, l, min)})
		}
	}
	for c, name := range classify.Categories {
		for _, src := range append([]string{"all"}, sources...) {
			var s []float64
			var l []bool
			for i := range ex {
				// "all" pools the data sets; the embedded copies repeat
				// their harmful rows and are reported on their own
				if (src == "all" && !ex[i].EvalOnly || ex[i].Source == src) && ex[i].IsKnown(c) {
					s = append(s, score(i, c))
					l = append(l, ex[i].Has(c))
				}
			}
			add(src, name, s, l)
		}
	}
	for _, src := range sources {
		var s []float64
		var l []bool
		for i := range ex {
			e := &ex[i]
			if e.Source != src || !e.Harmful && !e.Benign {
				continue
			}
			top := 0.0
			for c := range classify.Categories {
				top = max(top, score(i, c))
			}
			s = append(s, top)
			l = append(l, e.Harmful)
		}
		add(src, "any", s, l)
	}
	return r
}

// Write prints the report as aligned text.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "%-17s %-14s %5s %5s %6s %6s %6s %6s %7s\n", "source", "category", "pos", "neg", "prec", "recall", "F1", "AUPRC", "FA-rate")
	for _, row := range r.Rows {
		m := row.Metrics
		f := func(v float64, ok bool) string {
			if !ok {
				return "-"
			}
			return fmt.Sprintf("%.3f", v)
		}
		fmt.Fprintf(w, "%-17s %-14s %5d %5d %6s %6s %6s %6s %7s\n", row.Source, row.Category, m.Pos, m.Neg,
			f(m.Precision, m.TP+m.FP > 0), f(m.Recall, m.Pos > 0), f(m.F1, m.Pos > 0 && m.TP+m.FP > 0),
			f(m.AUPRC, m.Pos > 0 && m.Neg > 0), f(m.FalseRate, m.Neg > 0))
	}
}

// String returns the report as text.
func (r *Report) String() string {
	var b strings.Builder
	r.Write(&b)
	return b.String()
}
