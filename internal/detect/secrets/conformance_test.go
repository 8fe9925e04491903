package secrets

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"testing"
)

// TestGitleaksSamples checks each rule, alone, on the true and false
// positives gitleaks' own rule generator validates it with
// (cmd/generate/config/rules/*.go of the same release): every true positive
// must be found and no false positive. The samples are generated at random
// by gitleaks' code and are not kept here; to run it, add to
// utils.Validate in a copy of the gitleaks module a dump of each sample as a
// JSON line {"rule", "tp", "text"}, run `go run ./cmd/generate/config x`
// there, and point GITLEAKS_SAMPLES at the file.
func TestGitleaksSamples(t *testing.T) {
	path := os.Getenv("GITLEAKS_SAMPLES")
	if path == "" {
		t.Skip("set GITLEAKS_SAMPLES to a file of gitleaks' rule samples")
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rs := New().set()
	single := map[string]*Detector{}
	for _, r := range rs.rules {
		one := &ruleSet{rules: []*rule{r}, global: rs.global, kw: newAutomaton(r.keywords)}
		for i := range r.keywords {
			anchor := false
			for _, a := range r.anchors {
				anchor = anchor || a == i
			}
			one.kwRules = append(one.kwRules, []kwUse{{0, anchor}})
		}
		single[r.id] = &Detector{rules: one}
	}
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	var tp, tpHit, fp, fpHit, skipped int
	miss := map[string]int{}
	for sc.Scan() {
		var s struct {
			Rule string
			TP   bool
			Text string
		}
		json.Unmarshal(sc.Bytes(), &s)
		d := single[s.Rule]
		if d == nil {
			skipped++
			continue
		}
		got := len(d.Detect(s.Text)) > 0
		if s.TP {
			tp++
			if got {
				tpHit++
			} else {
				miss[s.Rule]++
				if miss[s.Rule] <= 2 {
					t.Logf("missed %s: %.200q", s.Rule, s.Text)
				}
			}
			compareReference(t, d, s.Text)
		} else {
			fp++
			if got {
				fpHit++
				t.Logf("false positive found %s: %.200q", s.Rule, s.Text)
			}
		}
	}
	var ks []string
	for k := range miss {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		t.Errorf("%s: %d true positives missed", k, miss[k])
	}
	t.Logf("true positives found %d/%d, false positives found %d/%d, samples of rules not in use %d", tpHit, tp, fpHit, fp, skipped)
	if fpHit > 0 {
		t.Errorf("%d false positives found", fpHit)
	}
}
