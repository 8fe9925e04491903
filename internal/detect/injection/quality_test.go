package injection

// Quality figures on third-party data in ../shared/data (never copied into the
// repository). They run only when asked, and skip when the data is missing:
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/injection -run TestQuality -v
//
// MODELSPEC_QUALITY=v also lists false alarms (and, on tuning data only, the
// attacks missed).
//
// TestQualityTune prints the figures on the data the rules were tuned on:
// BIPIA text_attack_train.json and code_attack_train.json inserted into
// email/train.jsonl (BIPIA ships no table or code training contexts), the
// clean email/train.jsonl contexts, and the even-hash halves of NotInject,
// CyberSecEval prompt injection and three benign sets.
//
// TestQualityBIPIA and TestQualityHeldOut print the figures on data the rules
// were not tuned on: text_attack_test.json inserted into email/test.jsonl and
// table/test.jsonl, code_attack_test.json into code/test.jsonl, each attack
// at the start, the middle and the end of each context, as BIPIA builds its
// test set; the clean test contexts for false alarms; and the odd-hash halves
// of the other sets.

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

// thresholds at which figures are reported: the default, and every finding.
var thresholds = []float64{DefaultMinScore, 0}

func overlaps(fs []detect.Finding, min float64, a, b int) bool {
	for _, f := range fs {
		if f.Score >= min && f.Start < b && f.End > a {
			return true
		}
	}
	return false
}

func anyAbove(fs []detect.Finding, min float64) bool {
	return overlaps(fs, min, -1, 1<<62)
}

type suite struct {
	task     string
	attacks  []dt.Attack
	contexts []string
}

// recall inserts every attack into every context at every position and
// logs, per threshold and group, the share of attacks that a finding
// overlaps. It returns the overall recall at the default threshold.
func recall(t *testing.T, label string, suites []suite) float64 {
	t.Helper()
	d := &Detector{} // every finding; thresholds applied below
	rates := map[string][]dt.Rate{}
	bump := func(group string, fs []detect.Finding, a, b int) {
		if rates[group] == nil {
			rates[group] = make([]dt.Rate, len(thresholds))
		}
		for i, th := range thresholds {
			rates[group][i].Add(overlaps(fs, th, a, b))
		}
	}
	for _, s := range suites {
		for _, a := range s.attacks {
			for _, ctx := range s.contexts {
				for _, pos := range dt.Positions {
					text, at := dt.InsertBIPIA(ctx, a.Text, pos)
					fs := d.Detect(text)
					for _, g := range []string{"all", "task " + s.task, "position " + pos, "category " + a.Category} {
						bump(g, fs, at, at+len(a.Text))
					}
				}
			}
		}
	}
	groups := slices.SortedFunc(maps.Keys(rates), func(a, b string) int {
		return cmp.Or(cmp.Compare(groupRank(a), groupRank(b)), cmp.Compare(a, b))
	})
	t.Logf("%s: recall (share of inserted attacks overlapped by a finding)", label)
	t.Logf("  %-62s %-22s %s", "group", fmt.Sprintf("score>=%.2f", thresholds[0]), "any finding")
	for _, g := range groups {
		t.Logf("  %-62s %-22s %s", g, rates[g][0], rates[g][1])
	}
	return rates["all"][0].Value()
}

func groupRank(g string) int {
	switch {
	case g == "all":
		return 0
	case strings.HasPrefix(g, "task"):
		return 1
	case strings.HasPrefix(g, "position"):
		return 2
	}
	return 3
}

// falseAlarms logs the share of clean texts with a finding, per threshold,
// and returns it at the default threshold.
func falseAlarms(t *testing.T, label string, texts []string) float64 {
	t.Helper()
	d := &Detector{}
	rs := make([]dt.Rate, len(thresholds))
	for _, s := range texts {
		fs := d.Detect(s)
		for i, th := range thresholds {
			rs[i].Add(anyAbove(fs, th))
		}
		if dt.Verbose() {
			for _, f := range fs {
				if f.Score >= DefaultMinScore {
					t.Logf("    false alarm %s %.2f %q", f.Evidence, f.Score, s[f.Start:f.End])
				}
			}
		}
	}
	t.Logf("%s: false alarms (share of texts with a finding): score>=%.2f %s; any finding %s", label, thresholds[0], rs[0], rs[1])
	return rs[0].Value()
}

// byLabel runs report on all texts and then on each label's texts.
func byLabel(rows []dt.Labeled, report func(label string, texts []string) float64) float64 {
	groups := map[string][]string{}
	var all []string
	for _, r := range rows {
		groups[r.Label] = append(groups[r.Label], r.Text)
		all = append(all, r.Text)
	}
	v := report("", all)
	for _, l := range slices.Sorted(maps.Keys(groups)) {
		report("  "+l, groups[l])
	}
	return v
}

// positives logs the share of attack texts with a finding.
func positives(t *testing.T, label string, texts []string) float64 {
	t.Helper()
	d := &Detector{}
	rs := make([]dt.Rate, len(thresholds))
	for _, s := range texts {
		fs := d.Detect(s)
		for i, th := range thresholds {
			rs[i].Add(anyAbove(fs, th))
		}
	}
	t.Logf("%-44s recall: score>=%.2f %-20s any finding %s", label, thresholds[0], rs[0], rs[1])
	return rs[0].Value()
}

func otherSets(t *testing.T, half string, parity uint64) (notInject float64) {
	notInject = byLabel(dt.NotInject(t, parity), func(l string, texts []string) float64 {
		return falseAlarms(t, "NotInject "+half+l, texts)
	})
	byLabel(dt.CyberSecEval(t, parity), func(l string, texts []string) float64 {
		return positives(t, "CyberSecEval prompt injection "+half+l, texts)
	})
	sets := dt.Benign(t, parity)
	for _, k := range slices.Sorted(maps.Keys(sets)) {
		falseAlarms(t, k+" "+half, sets[k])
	}
	return notInject
}

// TestQualityTune prints the figures on the data the rules were tuned on.
func TestQualityTune(t *testing.T) {
	dt.NeedData(t)
	emails := dt.BIPIAContexts(t, "email/train.jsonl")
	text := dt.BIPIAAttacks(t, "text_attack_train.json")
	code := dt.BIPIAAttacks(t, "code_attack_train.json")
	recall(t, "BIPIA train attacks in email/train contexts (TUNING DATA)", []suite{
		{"email+text_attack_train", text, emails},
		{"email+code_attack_train", code, emails},
	})
	if dt.Verbose() {
		d := &Detector{}
		for _, a := range append(text, code...) {
			if !anyAbove(d.Detect(a.Text), DefaultMinScore) {
				t.Logf("    missed (train) %-28s %.80q", a.Category, a.Text)
			}
		}
	}
	falseAlarms(t, "BIPIA email/train clean contexts (TUNING DATA)", emails)
	otherSets(t, "even-hash half (TUNING DATA)", 0)
}

// TestQualityBIPIA prints recall and false alarms on BIPIA's test split,
// which the rules were not tuned on, and fails below a floor so that a
// change that loses recall or adds false alarms is noticed. The floors sit a
// little under the figures measured when the detector was written.
func TestQualityBIPIA(t *testing.T) {
	dt.NeedData(t)
	text := dt.BIPIAAttacks(t, "text_attack_test.json")
	code := dt.BIPIAAttacks(t, "code_attack_test.json")
	email := dt.BIPIAContexts(t, "email/test.jsonl")
	table := dt.BIPIAContexts(t, "table/test.jsonl")
	codeCtx := dt.BIPIAContexts(t, "code/test.jsonl")
	r := recall(t, "BIPIA test attacks in test contexts (HELD OUT)", []suite{
		{"email", text, email},
		{"table", text, table},
		{"code", code, codeCtx},
	})
	var fa float64
	for _, c := range []struct {
		name string
		ctx  []string
	}{{"email", email}, {"table", table}, {"code", codeCtx}} {
		fa = max(fa, falseAlarms(t, "BIPIA "+c.name+"/test clean contexts (HELD OUT)", c.ctx))
	}
	if r < 0.65 {
		t.Errorf("recall %.3f at the default threshold, below the floor 0.65", r)
	}
	if fa > 0.02 {
		t.Errorf("false-alarm rate %.3f on clean BIPIA test contexts, above the ceiling 0.02", fa)
	}
}

// TestQualityHeldOut prints false alarms on the held-out halves of NotInject
// and the benign sets, and recall on the held-out half of CyberSecEval.
func TestQualityHeldOut(t *testing.T) {
	dt.NeedData(t)
	if fa := otherSets(t, "odd-hash half (HELD OUT)", 1); fa > 0.03 {
		t.Errorf("false-alarm rate %.3f on NotInject, above the ceiling 0.03", fa)
	}
}
