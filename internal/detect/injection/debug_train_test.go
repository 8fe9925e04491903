package injection

import (
	"os"
	"testing"
)

func TestDebugTrainMisses(t *testing.T) {
	if os.Getenv("DEBUG_TRAIN") == "" {
		t.Skip()
	}
	d := &Detector{}
	for _, f := range []string{"text_attack_train.json", "code_attack_train.json"} {
		for _, a := range loadAttacks(t, f) {
			fs := d.Detect(a.text)
			best := 0.0
			ev := ""
			for _, x := range fs {
				if x.Score > best {
					best, ev = x.Score, x.Evidence
				}
			}
			if best < 0.5 {
				line := a.text
				if len(line) > 120 {
					line = line[:120]
				}
				t.Logf("%.2f %-14s %-30s %q", best, ev, a.category, line)
			}
		}
	}
	p, _ := notInject(t, 0)
	for _, s := range p {
		for _, x := range d.Detect(s) {
			if x.Score >= 0.3 {
				t.Logf("NI %.2f %-14s %q", x.Score, x.Evidence, s[x.Start:x.End])
			}
		}
	}
}

func TestDebugCSE(t *testing.T) {
	if os.Getenv("DEBUG_TRAIN") == "" {
		t.Skip()
	}
	d := &Detector{}
	in, v := cyberSecEval(t, 0)
	for i, s := range in {
		best, ev := 0.0, ""
		for _, x := range d.Detect(s) {
			if x.Score > best {
				best, ev = x.Score, x.Evidence
			}
		}
		if len(s) > 220 {
			s = s[:220]
		}
		t.Logf("%.2f %-16s %-28s %q", best, ev, v[i], s)
	}
}
