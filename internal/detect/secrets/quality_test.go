package secrets

// False alarms on third-party texts that hold no secrets, in ../shared/data
// (never copied into the repository). They run only when asked, and skip
// when the data is missing:
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/secrets -run TestQuality -v
//
// MODELSPEC_QUALITY=v also lists each finding.
//
// There is no labelled secrets data set in ../shared/data, so recall is
// measured only on the cases written for this package (testdata/cases.jsonl,
// TestCases), which were written with the detector at hand. What is measured
// on real data is the false-alarm rate: the share of texts with a finding,
// on sets that should hold no credentials. TestQualityTune prints it on the
// even FNV-1a half of each set (the half that may be looked at while
// changing the detector); TestQualityHeldOut prints it on the odd half and
// fails above a ceiling a little over what was measured. Both also check
// that Detect finds on every text what the whole-text reference finds.

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

// cleanSets returns, by name, the texts of the sets without secrets whose
// key has the given FNV-1a parity: Presidio's synthetic PII documents (key
// full_text), XSTest's 450 prompts (key id) and the 5 × 450 recorded model
// completions (key model/id), BIPIA's code, email and table test contexts
// (key: the context), and the paragraphs of the OpenAI Model Spec (key: the
// paragraph) and its example files (key: the file name).
func cleanSets(t *testing.T, parity uint64) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	keep := func(set, key, text string) {
		if dt.FNVParity(key) == parity {
			out[set] = append(out[set], text)
		}
	}
	var docs []struct {
		Text string `json:"full_text"`
	}
	if err := json.Unmarshal(readData(t, "presidio-research-synth-pii", "synth_dataset_v2.json"), &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		keep("presidio synthetic PII documents", d.Text, d.Text)
	}
	recs, err := csv.NewReader(strings.NewReader(string(readData(t, "xstest", "xstest_prompts.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		keep("xstest prompts (safe and unsafe)", r[0], r[1])
	}
	for _, name := range []string{"code", "email", "table"} {
		for _, c := range dt.BIPIAContexts(t, name+"/test.jsonl") {
			keep("bipia "+name+"/test contexts", c, c)
		}
	}
	for _, m := range []string{"gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct"} {
		recs, err := csv.NewReader(strings.NewReader(string(readData(t, "xstest", "model_completions", "xstest_v2_completions_"+m+".csv")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			keep("xstest model completions", m+"/"+r[0], r[3])
		}
	}
	examples, err := os.ReadDir(filepath.Join(dt.DataDir(), "openai-model-spec", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range examples {
		keep("openai model spec example files", e.Name(), string(readData(t, "openai-model-spec", "examples", e.Name())))
	}
	for _, p := range strings.Split(string(readData(t, "openai-model-spec", "model_spec.md")), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			keep("openai model spec paragraphs", p, p)
		}
	}
	return out
}

func readData(t *testing.T, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{dt.DataDir()}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// falseAlarms logs, per set, the share of texts with a finding at the
// default threshold and with any finding, and the rules that fired; it
// returns the rate at the default threshold by set.
func falseAlarms(t *testing.T, half string, sets map[string][]string) map[string]float64 {
	t.Helper()
	d := &Detector{}
	rates := map[string]float64{}
	for _, name := range slices.Sorted(maps.Keys(sets)) {
		var def, all dt.Rate
		rules := map[string]int{}
		bytes := 0
		for _, text := range sets[name] {
			compareReference(t, d, text)
			bytes += len(text)
			fs := d.Detect(text)
			hit := false
			for _, f := range fs {
				if f.Score >= DefaultMinScore {
					hit = true
					rules[f.Evidence]++
					if dt.Verbose() {
						t.Logf("    %s %.2f %q in %.120q", f.Evidence, f.Score, text[f.Start:f.End], text[max(0, f.Start-60):min(len(text), f.End+40)])
					}
				}
			}
			def.Add(hit)
			all.Add(len(fs) > 0)
		}
		var fired []string
		for _, r := range slices.SortedFunc(maps.Keys(rules), func(a, b string) int { return cmp.Compare(rules[b], rules[a]) }) {
			fired = append(fired, r+" "+itoa(rules[r]))
		}
		t.Logf("%-36s %s: %5d texts, %7d bytes; texts with a finding: score>=%.2f %s; any %s; rules: %s",
			name, half, def.N, bytes, DefaultMinScore, def, all, strings.Join(fired, ", "))
		rates[name] = def.Value()
	}
	return rates
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestQualityTune prints false alarms on the even halves, which may be
// looked at while changing the detector.
func TestQualityTune(t *testing.T) {
	dt.NeedData(t)
	falseAlarms(t, "even half (TUNING)", cleanSets(t, 0))
}

// TestQualityHeldOut prints false alarms on the odd halves, which were not
// looked at, and fails above ceilings set a little over the rates measured
// when the detector was written.
func TestQualityHeldOut(t *testing.T) {
	dt.NeedData(t)
	rates := falseAlarms(t, "odd half (HELD OUT)", cleanSets(t, 1))
	// Measured: no finding on any of these texts (0/24, 0/20, 0/57, 0/49,
	// 0/474, 0/774, 0/1126, 0/224); each ceiling allows about one text.
	ceiling := map[string]float64{
		"bipia code/test contexts":         0.05,
		"bipia email/test contexts":        0.05,
		"bipia table/test contexts":        0.02,
		"openai model spec example files":  0.03,
		"openai model spec paragraphs":     0.003,
		"presidio synthetic PII documents": 0.002,
		"xstest model completions":         0.001,
		"xstest prompts (safe and unsafe)": 0.005,
	}
	for name, r := range rates {
		if c, ok := ceiling[name]; !ok {
			t.Errorf("no ceiling for %s", name)
		} else if r > c {
			t.Errorf("%s: false-alarm rate %.3f above the ceiling %.3f", name, r, c)
		}
	}
}
