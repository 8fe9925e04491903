package refusal

// Held-out quality on XSTest's human-labelled completions in
// ../shared/data/xstest (never copied into the repository). It runs only
// when asked, and skips when the data is missing:
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/refusal -run TestQuality -v
//
// The rows are those whose prompt id has an odd FNV-1a 64 hash: 226 prompts
// × 5 models = 1,130 responses that neither training nor any tuning saw
// (train_test.go uses the even half). Beside the classifier, the same rows
// are scored for the two automatic classifiers shipped with XSTest: the
// string-match classifier (strmatch_label in *_streval.csv) and the GPT-4
// judge (gpt4_label in *_gpteval.csv, where 11 mistralinstruct rows hold
// raw GPT-4 text instead of a label: they count as wrong, and the figure
// without them is printed too).

import (
	"fmt"
	"strings"
	"testing"

	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

// heldOut holds the figures of one classifier on a set of rows.
type heldOut struct {
	c      confusion
	scores []float64
	pos    []bool
}

func (h *heldOut) add(gold, pred string, score float64) {
	h.c.add(gold, pred)
	h.scores = append(h.scores, score)
	h.pos = append(h.pos, gold != FullCompliance)
}

func TestQualityXSTest(t *testing.T) {
	dt.NeedData(t)
	rows := loadXSTest(t, 1)
	type group struct{ pair, alone, str, gpt, gptValid heldOut }
	groups := map[string]*group{"all": {}}
	for _, m := range xsModels {
		groups[m] = &group{}
	}
	for _, r := range rows {
		p := ClassifyPair(r.Prompt, r.Completion)
		a := Classify(r.Completion)
		for _, g := range []*group{groups["all"], groups[r.Model]} {
			g.pair.add(r.Label, p.Label, p.Score)
			g.alone.add(r.Label, a.Label, a.Score)
			g.str.add(r.Label, r.StrMatch, 0)
			g.gpt.add(r.Label, r.GPT4, 0)
			if r.GPT4 != "" {
				g.gptValid.add(r.Label, r.GPT4, 0)
			}
		}
		if dt.Verbose() && p.Label != r.Label {
			t.Logf("    miss %s %s: gold %s, got %s (%.2f) %v %.120q", r.Model, r.ID, r.Label, p.Label, p.Score, p.Evidence, r.Completion)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "XSTest completions, odd-hash half (HELD OUT): %d responses\n\n", len(rows))
	b.WriteString("| model | n | ClassifyPair | Classify (no prompt) | string match | GPT-4 judge | ClassifyPair binary F1 | AUPRC |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, m := range append([]string{"all"}, xsModels...) {
		g := groups[m]
		_, _, f, _ := g.pair.c.binary()
		gpt := fmt.Sprintf("%.3f", g.gpt.c.accuracy())
		if g.gpt.c.invalid > 0 {
			gpt += fmt.Sprintf(" (%.3f without its %d unlabelled rows)", g.gptValid.c.accuracy(), g.gpt.c.invalid)
		}
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f | %.3f | %s | %.3f | %.3f |\n", m, g.pair.c.n(),
			g.pair.c.accuracy(), g.alone.c.accuracy(), g.str.c.accuracy(), gpt, f, auprc(g.pair.scores, g.pair.pos))
	}
	b.WriteString("\nAll five models, held out:\n")
	all := groups["all"]
	b.WriteString(all.pair.c.report("ClassifyPair"))
	fmt.Fprintf(&b, "    AUPRC of the refusal score (refusal = full or partial): %.3f\n", auprc(all.pair.scores, all.pair.pos))
	b.WriteString(all.alone.c.report("Classify (no prompt; what the Detector sees)"))
	fmt.Fprintf(&b, "    AUPRC: %.3f\n", auprc(all.alone.scores, all.alone.pos))
	b.WriteString(all.str.c.report("string match (XSTest strmatch_label)"))
	b.WriteString(all.gpt.c.report("GPT-4 judge (XSTest gpt4_label; unlabelled rows counted wrong)"))
	b.WriteString(all.gptValid.c.report("GPT-4 judge (unlabelled rows left out)"))
	for _, m := range xsModels {
		b.WriteString("\n" + groups[m].pair.c.report("ClassifyPair "+m))
		b.WriteString(groups[m].str.c.report("string match " + m))
		b.WriteString(groups[m].gpt.c.report("GPT-4 judge " + m))
	}
	t.Log("\n" + b.String())

	// Floors a little under the figures measured when the model was
	// trained (README.md), so that a change that loses accuracy is noticed.
	floors := map[string]float64{
		"all": 0.88, "gpt4": 0.94, "llama2new": 0.85, "llama2orig": 0.83, "mistralguard": 0.87, "mistralinstruct": 0.91,
	}
	for m, floor := range floors {
		if acc := groups[m].pair.c.accuracy(); acc < floor {
			t.Errorf("%s: held-out accuracy %.3f below the floor %.2f", m, acc, floor)
		}
	}
	if _, _, f, _ := all.pair.c.binary(); f < 0.945 {
		t.Errorf("held-out binary refusal F1 %.3f below the floor 0.945", f)
	}
	if ap := auprc(all.pair.scores, all.pair.pos); ap < 0.985 {
		t.Errorf("held-out AUPRC %.3f below the floor 0.985", ap)
	}
	if _, _, f := all.pair.c.prf(2); f < 0.38 {
		t.Errorf("held-out partial_refusal F1 %.3f below the floor 0.38", f)
	}
	if acc, base := all.pair.c.accuracy(), all.str.c.accuracy(); acc < base+0.05 {
		t.Errorf("held-out accuracy %.3f not 5 points above the string match's %.3f", acc, base)
	}
}

// TestQualityTune prints the classifier's figures on the even half, which
// it was trained on: an upper bound, not a measurement (see TestTrainCV for
// cross-validated figures on that half).
func TestQualityTune(t *testing.T) {
	dt.NeedData(t)
	var c confusion
	for _, r := range loadXSTest(t, 0) {
		c.add(r.Label, ClassifyPair(r.Prompt, r.Completion).Label)
	}
	t.Log("\n" + c.report("ClassifyPair on the even half (TRAINING DATA)"))
}

// TestQualityStrmatch checks that strmatch (bench_test.go), the baseline of
// the benchmarks, is XSTest's string-match classifier: it gives
// strmatch_label on every one of the 2,250 rows.
func TestQualityStrmatch(t *testing.T) {
	dt.NeedData(t)
	rows := loadXSTest(t, 2)
	bad := 0
	for _, r := range rows {
		if strmatch(r.Completion) != r.StrMatch {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("strmatch differs from strmatch_label on %d of %d rows", bad, len(rows))
	}
}
