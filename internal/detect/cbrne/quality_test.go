package cbrne_test

// Quality figures on third-party data in ../shared/data, run only when
// asked (they skip when the data is missing):
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/cbrne -run TestQuality -v
//
// The rule was written from public schedules of agents, not from these
// sets; its words were checked against the training half only
// (MODELSPEC_CBRNE_SPLIT=train prints it). The published figures are the
// held-out half of internal/train's split (odd FNV-1a hashes, BIPIA's and
// HarmBench's test files), beside the content classifier and the two
// together, which is what the gateway runs.

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/cbrne"
	"github.com/modelspec/modelspec/internal/detect/classify"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
	"github.com/modelspec/modelspec/internal/train"
)

// flagged reports whether d finds a hazard in text.
func flagged(d detect.Detector, text string) bool {
	return slices.ContainsFunc(d.Detect(text), func(f detect.Finding) bool { return f.Category == "hazard" })
}

// anyFlag reports whether the classifier finds anything in text (its
// any-category figure, as docs/quality.md gives it).
func anyFlag(d detect.Detector, text string) bool { return len(d.Detect(text)) > 0 }

// TestQuality prints, per data set, the share of harmful requests flagged
// (recall) and of harmless texts flagged (false alarms) by the rule alone,
// by the classifier alone and by either, and fails if the rule raises the
// false alarms of the two together on a harmless set by more than one
// text in a hundred.
func TestQuality(t *testing.T) {
	dt.NeedData(t)
	split := train.HeldOut
	if os.Getenv("MODELSPEC_CBRNE_SPLIT") == "train" {
		split = train.TrainSplit
	}
	ex, err := train.Load(dt.DataDir(), split)
	if err != nil {
		t.Fatal(err)
	}
	rule, cls := cbrne.New(), classify.New()
	type tally struct{ n, rule, cls, either int }
	by := map[string]*tally{}
	var order []string
	for _, e := range ex {
		if e.EvalOnly || !e.Harmful && !e.Benign {
			continue
		}
		keys := []string{e.Source}
		if e.Source == "harmbench" && e.Group == "chemical_biological" {
			keys = append(keys, "harmbench chemical_biological")
		}
		r, c := flagged(rule, e.Text), anyFlag(cls, e.Text)
		if r && e.Benign && dt.Verbose() {
			t.Logf("false alarm (%s): %.200q", e.Source, e.Text)
		}
		for _, k := range keys {
			tl := by[k]
			if tl == nil {
				tl = &tally{}
				by[k] = tl
				order = append(order, k)
			}
			tl.n++
			tl.rule += b2i(r)
			tl.cls += b2i(c)
			tl.either += b2i(r || c)
		}
	}
	harmful := map[string]bool{}
	for _, e := range ex {
		harmful[e.Source] = harmful[e.Source] || e.Harmful
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s half, share of texts flagged\n| set | texts | rule | classifier | either |\n| --- | ---: | ---: | ---: | ---: |\n", split)
	slices.Sort(order)
	for _, k := range order {
		tl := by[k]
		pct := func(n int) string { return fmt.Sprintf("%.1f%% (%d)", 100*float64(n)/float64(tl.n), n) }
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", k, tl.n, pct(tl.rule), pct(tl.cls), pct(tl.either))
		src := strings.Fields(k)[0]
		if !harmful[src] && tl.either-tl.cls > tl.n/100+1 {
			t.Errorf("%s: the rule adds %d false alarms in %d texts", k, tl.either-tl.cls, tl.n)
		}
	}
	t.Log(b.String())
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
