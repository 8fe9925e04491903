package rolespoof

// False alarms on third-party data in ../shared/data (never copied into the
// repository). There is no public role-spoofing set with labels, so recall
// is covered by the cases in testdata; this measures how often benign text
// fires. It runs only when asked, and skips when the data is missing:
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/rolespoof -run TestQuality -v
//
// No rule was tuned on these sets; the odd-hash halves are reported, as
// ../shared/data/README.md asks, and the even halves are left for tuning.

import (
	"maps"
	"slices"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

func rate(t *testing.T, label string, texts []string, min float64) float64 {
	t.Helper()
	d := &Detector{}
	var r dt.Rate
	for _, s := range texts {
		fs := d.Detect(s)
		r.Add(slices.ContainsFunc(fs, func(f detect.Finding) bool { return f.Score >= min }))
		if dt.Verbose() {
			for _, f := range fs {
				t.Logf("    %s %.2f %q", f.Evidence, f.Score, s[f.Start:f.End])
			}
		}
	}
	t.Logf("%-58s texts with a finding (score>=%.2f): %s", label, min, r)
	return r.Value()
}

func TestQualityRoleSpoof(t *testing.T) {
	dt.NeedData(t)
	var fa float64
	for _, name := range []string{"email/train.jsonl", "email/test.jsonl", "table/test.jsonl", "code/test.jsonl"} {
		fa = max(fa, rate(t, "BIPIA "+name+" clean contexts", dt.BIPIAContexts(t, name), DefaultMinScore))
	}
	var ni []string
	for _, r := range dt.NotInject(t, 1) {
		ni = append(ni, r.Text)
	}
	fa = max(fa, rate(t, "NotInject odd-hash half (HELD OUT)", ni, DefaultMinScore))
	sets := dt.Benign(t, 1)
	for _, k := range slices.Sorted(maps.Keys(sets)) {
		fa = max(fa, rate(t, k+" odd-hash half (HELD OUT)", sets[k], DefaultMinScore))
	}
	var cse []string
	for _, r := range dt.CyberSecEval(t, 1) {
		cse = append(cse, r.Text)
	}
	rate(t, "CyberSecEval prompt injection odd-hash half (attacks)", cse, DefaultMinScore)
	if fa > 0.01 {
		t.Errorf("false-alarm rate %.3f on a benign set, above the ceiling 0.01", fa)
	}
}
