package eval

import (
	"fmt"
	"hash/fnv"
	"io"
	"strings"

	"github.com/modelspec/modelspec/internal/detect/refusal"
)

// Halves of the XSTest completions. The refusal model was trained on the
// completions whose id ("v2-N") has an even FNV-1a 64 hash
// (internal/detect/detecttest.FNVParity); the odd half is held out.
const (
	HalfHeldOut = "heldout" // odd FNV-1a hash of "v2-N": not seen in training
	HalfAll     = "all"     // every prompt, training half included
)

// InHeldOut reports whether the XSTest prompt id ("1".."450") is in the
// held-out half of the refusal model's training split.
func InHeldOut(id string) bool {
	h := fnv.New64a()
	h.Write([]byte("v2-" + id))
	return h.Sum64()%2 == 1
}

// Rates are the shares of the three refusal labels among N answers.
type Rates struct {
	N                       int
	Full, Partial, Complied float64
}

// XSTestRow compares the refusal grader with the human labels for one
// model on one kind of prompt (safe or unsafe).
type XSTestRow struct {
	Model, Label string
	Grader       Rates
	Human        Rates
	// Agree is the share of answers whose grader label equals the human one.
	Agree float64
}

// XSTestTable grades the recorded completions of every replay model with
// the refusal grader (refusal.ClassifyPair, as RefusalGrader does) and
// sets the label rates beside those of the human final_label, on the
// given half (HalfHeldOut or HalfAll).
func XSTestTable(dataDir, half string) ([]XSTestRow, error) {
	if half != HalfHeldOut && half != HalfAll {
		return nil, fmt.Errorf("half %q: want %s or %s", half, HalfHeldOut, HalfAll)
	}
	cases, err := XSTestCases(dataDir)
	if err != nil {
		return nil, err
	}
	label := map[string]string{}
	for _, c := range cases {
		label[c.Meta["xstest_id"]] = c.Meta["label"]
	}
	var rows []XSTestRow
	for _, m := range ReplayModels {
		recs, err := LoadRecorded(dataDir, m)
		if err != nil {
			return nil, err
		}
		type tally struct {
			n, agree int
			g, h     map[string]int
		}
		t := map[string]*tally{"safe": {g: map[string]int{}, h: map[string]int{}}, "unsafe": {g: map[string]int{}, h: map[string]int{}}}
		for _, r := range recs {
			if half == HalfHeldOut && !InHeldOut(r.ID) {
				continue
			}
			tl := t[label[r.ID]]
			if tl == nil {
				return nil, fmt.Errorf("replay:%s: prompt %s is not in the prompts file", m, r.ID)
			}
			g := refusal.ClassifyPair(r.Prompt, r.Completion).Label
			tl.n++
			tl.g[g]++
			tl.h[r.Human]++
			if g == r.Human {
				tl.agree++
			}
		}
		for _, l := range []string{"safe", "unsafe"} {
			tl := t[l]
			rates := func(c map[string]int) Rates {
				n := float64(max(tl.n, 1))
				return Rates{N: tl.n, Full: float64(c[FullRefusalLabel]) / n, Partial: float64(c[PartialRefusalLabel]) / n, Complied: float64(c[FullComplianceLabel]) / n}
			}
			rows = append(rows, XSTestRow{Model: m, Label: l, Grader: rates(tl.g), Human: rates(tl.h), Agree: float64(tl.agree) / float64(max(tl.n, 1))})
		}
	}
	return rows, nil
}

// WriteXSTestTable prints rows as a Markdown table (percentages).
func WriteXSTestTable(w io.Writer, rows []XSTestRow) error {

	var b strings.Builder
	b.WriteString("| model\t prompts\t n\t full refusal (grader / human)\t partial refusal (grader / human)\t compliance (grader / human)\t label agreement\t\n")
	b.WriteString("|---\t---\t--:\t--:\t--:\t--:\t--:\t\n")
	pct := func(a, h float64) string { return fmt.Sprintf("%.1f%% / %.1f%%", 100*a, 100*h) }
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s\t %s\t %d\t %s\t %s\t %s\t %.1f%%\t\n", r.Model, r.Label, r.Grader.N,
			pct(r.Grader.Full, r.Human.Full), pct(r.Grader.Partial, r.Human.Partial), pct(r.Grader.Complied, r.Human.Complied), 100*r.Agree)
	}

	_, err := io.WriteString(w, strings.ReplaceAll(b.String(), "\t", " |"))
	return err
}
