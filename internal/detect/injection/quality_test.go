package injection

// Quality figures on third-party data in ../../../../shared/data (never copied
// into the repository). They run only when asked:
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/injection -run TestQuality -v
//
// TestQualityTune prints the figures on the parts the rules were tuned on:
// BIPIA text_attack_train.json and code_attack_train.json inserted into
// email/train.jsonl, and the NotInject rows whose FNV-1a 64 hash of the prompt
// is even. TestQualityBIPIA and TestQualityNotInject print the figures on
// data the rules were not tuned on: BIPIA text_attack_test.json into
// email/test.jsonl and table/test.jsonl, code_attack_test.json into
// code/test.jsonl, each attack inserted at the start, the middle and the end
// of each context; the clean test contexts for false alarms; and the odd-hash
// half of NotInject's shared training part for false alarms.

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
)

var dataDir = filepath.Join("..", "..", "..", "..", "shared", "data")

func needData(t *testing.T) {
	t.Helper()
	if os.Getenv("MODELSPEC_QUALITY") == "" {
		t.Skip("set MODELSPEC_QUALITY=1 to measure on ../../../../shared/data")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "bipia")); err != nil {
		t.Skipf("no shared data: %v", err)
	}
}

// thresholds at which figures are reported: the default, and every finding.
var thresholds = []float64{DefaultMinScore, 0}

type attack struct{ category, text string }

func loadAttacks(t *testing.T, name string) []attack {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "bipia", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string][]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []attack
	for _, c := range slices.Sorted(maps.Keys(m)) {
		for _, s := range m[c] {
			out = append(out, attack{c, s})
		}
	}
	return out
}

// loadContexts reads the "context" field of a BIPIA jsonl file; code contexts
// are lists of lines, joined with "\n" as BIPIA's builder does.
func loadContexts(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "bipia", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.Lines(string(b)) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var row struct {
			Context json.RawMessage `json:"context"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var s string
		if err := json.Unmarshal(row.Context, &s); err != nil {
			var lines []string
			if err := json.Unmarshal(row.Context, &lines); err != nil {
				t.Fatalf("%s: context: %v", name, err)
			}
			s = strings.Join(lines, "\n")
		}
		out = append(out, s)
	}
	return out
}

// insert places attack in ctx as BIPIA's insert_start, insert_middle and
// insert_end do (joined with "\n"), and returns the text and the attack's
// offset. BIPIA picks the middle sentence at random with Punkt; this picks,
// deterministically, the sentence or line start nearest the middle of ctx
// (offset 0 when there is none, as Punkt's single span gives).
func insert(ctx, attack, pos string) (string, int) {
	switch pos {
	case "start":
		return attack + "\n" + ctx, 0
	case "end":
		return ctx + "\n" + attack, len(ctx) + 1
	}
	best := 0
	for i := 1; i < len(ctx); i++ {
		prev := ctx[i-1]
		if prev == '\n' || (prev == ' ' && i >= 2 && strings.ContainsRune(".!?", rune(ctx[i-2]))) {
			if abs(i-len(ctx)/2) < abs(best-len(ctx)/2) || best == 0 {
				best = i
			}
		}
	}
	return ctx[:best] + "\n" + attack + "\n" + ctx[best:], best + 1
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// counter is hits over trials.
type counter struct{ hit, n int }

func (c *counter) add(ok bool) {
	c.n++
	if ok {
		c.hit++
	}
}

func (c counter) String() string {
	if c.n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%5.1f%% (%d/%d)", 100*float64(c.hit)/float64(c.n), c.hit, c.n)
}

func overlaps(fs []detect.Finding, min float64, a, b int) bool {
	for _, f := range fs {
		if f.Score >= min && f.Start < b && f.End > a {
			return true
		}
	}
	return false
}

func anyAbove(fs []detect.Finding, min float64) bool {
	for _, f := range fs {
		if f.Score >= min {
			return true
		}
	}
	return false
}

type suite struct {
	task     string
	attacks  []attack
	contexts []string
}

// recall inserts every attack into every context at every position and
// reports, per threshold, the share of attacks a finding overlaps. It
// returns the overall recall at the default threshold.
func recall(t *testing.T, label string, suites []suite) float64 {
	t.Helper()
	d := &Detector{} // every finding; thresholds applied below
	type key struct{ th, group string }
	counts := map[key]*counter{}
	bump := func(th float64, group string, ok bool) {
		k := key{fmt.Sprint(th), group}
		if counts[k] == nil {
			counts[k] = &counter{}
		}
		counts[k].add(ok)
	}
	var cats []string
	for _, s := range suites {
		for _, a := range s.attacks {
			if !slices.Contains(cats, a.category) {
				cats = append(cats, a.category)
			}
			for _, ctx := range s.contexts {
				for _, pos := range []string{"start", "middle", "end"} {
					text, at := insert(ctx, a.text, pos)
					fs := d.Detect(text)
					for _, th := range thresholds {
						ok := overlaps(fs, th, at, at+len(a.text))
						bump(th, "all", ok)
						bump(th, "task "+s.task, ok)
						bump(th, "position "+pos, ok)
						bump(th, "category "+a.category, ok)
					}
				}
			}
		}
	}
	var groups []string
	for k := range counts {
		if k.th == fmt.Sprint(thresholds[0]) && !slices.Contains(groups, k.group) {
			groups = append(groups, k.group)
		}
	}
	slices.SortFunc(groups, func(a, b string) int {
		return cmp.Or(cmp.Compare(groupRank(a), groupRank(b)), cmp.Compare(a, b))
	})
	t.Logf("%s: recall (attack span overlapped by a finding)", label)
	t.Logf("  %-58s %-22s %s", "group", fmt.Sprintf("score>=%.2f", thresholds[0]), "any finding")
	for _, g := range groups {
		t.Logf("  %-58s %-22s %s", g, counts[key{fmt.Sprint(thresholds[0]), g}], counts[key{fmt.Sprint(thresholds[1]), g}])
	}
	c := counts[key{fmt.Sprint(thresholds[0]), "all"}]
	return float64(c.hit) / float64(c.n)
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

// falseAlarms reports the share of clean texts with a finding, per threshold,
// and returns it at the default threshold. With verbose set it logs the
// findings at the default threshold.
func falseAlarms(t *testing.T, label string, texts []string, verbose bool) float64 {
	t.Helper()
	d := &Detector{}
	cs := make([]counter, len(thresholds))
	for _, s := range texts {
		fs := d.Detect(s)
		for i, th := range thresholds {
			cs[i].add(anyAbove(fs, th))
		}
		if verbose {
			for _, f := range fs {
				if f.Score >= DefaultMinScore {
					t.Logf("    false alarm %s %.2f %q", f.Evidence, f.Score, s[f.Start:f.End])
				}
			}
		}
	}
	t.Logf("%s: false alarms (texts with a finding): score>=%.2f %s; any finding %s", label, thresholds[0], cs[0], cs[1])
	return float64(cs[0].hit) / float64(cs[0].n)
}

// notInject returns the prompts of NotInject's shared part whose FNV-1a 64
// hash has the given parity, with their categories.
func notInject(t *testing.T, parity uint64) (prompts, cats []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "notinject", "train.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var row struct{ Prompt, Category string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		h := fnv.New64a()
		h.Write([]byte(row.Prompt))
		if h.Sum64()%2 == parity {
			prompts = append(prompts, row.Prompt)
			cats = append(cats, row.Category)
		}
	}
	return prompts, cats
}

func notInjectReport(t *testing.T, label string, parity uint64, verbose bool) float64 {
	prompts, cats := notInject(t, parity)
	all := falseAlarms(t, label, prompts, verbose)
	for _, c := range slices.Sorted(func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, c := range cats {
			if !seen[c] {
				seen[c] = true
				if !yield(c) {
					return
				}
			}
		}
	}) {
		var sub []string
		for i, p := range prompts {
			if cats[i] == c {
				sub = append(sub, p)
			}
		}
		falseAlarms(t, "  "+c, sub, false)
	}
	return all
}

// fnvParity reports the parity of the FNV-1a 64 hash of key.
func fnvParity(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64() % 2
}

// readJSONL decodes each non-blank line of a file under dataDir into a new T.
func readJSONL[T any](t *testing.T, name string) []T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for line := range strings.Lines(string(b)) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	return out
}

// cyberSecEval returns the user inputs of CyberSecEval's shared part whose
// FNV-1a 64 hash of the decimal prompt_id has the given parity, with their
// injection variants.
func cyberSecEval(t *testing.T, parity uint64) (inputs, variants []string) {
	type row struct {
		ID      int    `json:"prompt_id"`
		Input   string `json:"user_input"`
		Variant string `json:"injection_variant"`
		Type    string `json:"injection_type"`
	}
	for _, r := range readJSONL[row](t, "cyberseceval-prompt-injection/train.jsonl") {
		if fnvParity(fmt.Sprint(r.ID)) == parity {
			inputs = append(inputs, r.Input)
			variants = append(variants, r.Variant)
		}
	}
	return inputs, variants
}

func cyberSecEvalReport(t *testing.T, label string, parity uint64) float64 {
	inputs, variants := cyberSecEval(t, parity)
	d := &Detector{}
	all := make([]counter, len(thresholds))
	per := map[string][]counter{}
	for i, s := range inputs {
		fs := d.Detect(s)
		if per[variants[i]] == nil {
			per[variants[i]] = make([]counter, len(thresholds))
		}
		for j, th := range thresholds {
			ok := anyAbove(fs, th)
			all[j].add(ok)
			per[variants[i]][j].add(ok)
		}
	}
	t.Logf("%s: recall (input with a finding): score>=%.2f %s; any finding %s", label, thresholds[0], all[0], all[1])
	for _, v := range slices.Sorted(maps.Keys(per)) {
		t.Logf("  %-36s score>=%.2f %-20s any finding %s", v, thresholds[0], per[v][0], per[v][1])
	}
	return float64(all[0].hit) / float64(all[0].n)
}

// benign returns texts from other datasets that carry no injection, with the
// given FNV-1a 64 parity: Presidio's synthetic documents (key full_text),
// XSTest's safe prompts (key id) and CyberSecEval MITRE FRR's benign cyber
// requests (key mutated_prompt).
func benign(t *testing.T, parity uint64) map[string][]string {
	out := map[string][]string{}
	b, err := os.ReadFile(filepath.Join(dataDir, "presidio-research-synth-pii", "synth_dataset_v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		Text string `json:"full_text"`
	}
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if fnvParity(d.Text) == parity {
			out["presidio synthetic documents"] = append(out["presidio synthetic documents"], d.Text)
		}
	}
	f, err := os.Open(filepath.Join(dataDir, "xstest", "xstest_prompts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		if r[3] == "safe" && fnvParity(r[0]) == parity {
			out["xstest safe prompts"] = append(out["xstest safe prompts"], r[1])
		}
	}
	type frr struct {
		Prompt string `json:"mutated_prompt"`
	}
	for _, r := range readJSONL[frr](t, "cyberseceval-mitre-frr/train.jsonl") {
		if fnvParity(r.Prompt) == parity {
			out["cyberseceval-mitre-frr prompts"] = append(out["cyberseceval-mitre-frr prompts"], r.Prompt)
		}
	}
	return out
}

func benignReport(t *testing.T, label string, parity uint64, verbose bool) {
	sets := benign(t, parity)
	for _, k := range slices.Sorted(maps.Keys(sets)) {
		falseAlarms(t, k+" "+label, sets[k], verbose)
	}
}

// TestQualityTune prints the figures on the data the rules were tuned on.
func TestQualityTune(t *testing.T) {
	needData(t)
	emails := loadContexts(t, "email/train.jsonl")
	recall(t, "BIPIA train attacks in email/train contexts (TUNING DATA)", []suite{
		{"email+text_attack_train", loadAttacks(t, "text_attack_train.json"), emails},
		{"email+code_attack_train", loadAttacks(t, "code_attack_train.json"), emails},
	})
	falseAlarms(t, "BIPIA email/train clean contexts (TUNING DATA)", emails, true)
	verbose := os.Getenv("MODELSPEC_QUALITY") == "v"
	notInjectReport(t, "NotInject even-hash half (TUNING DATA)", 0, verbose)
	cyberSecEvalReport(t, "CyberSecEval prompt injection even-hash half (TUNING DATA)", 0)
	benignReport(t, "even-hash half (TUNING DATA)", 0, verbose)
}

// TestQualityBIPIA prints recall and false alarms on BIPIA's test split,
// which the rules were not tuned on, and fails below a floor so that a
// change that loses much recall or adds false alarms is noticed.
func TestQualityBIPIA(t *testing.T) {
	needData(t)
	text := loadAttacks(t, "text_attack_test.json")
	code := loadAttacks(t, "code_attack_test.json")
	email := loadContexts(t, "email/test.jsonl")
	table := loadContexts(t, "table/test.jsonl")
	codeCtx := loadContexts(t, "code/test.jsonl")
	r := recall(t, "BIPIA test attacks in test contexts (HELD OUT)", []suite{
		{"email", text, email},
		{"table", text, table},
		{"code", code, codeCtx},
	})
	verbose := os.Getenv("MODELSPEC_QUALITY") == "v"
	fe := falseAlarms(t, "BIPIA email/test clean (HELD OUT)", email, verbose)
	ft := falseAlarms(t, "BIPIA table/test clean (HELD OUT)", table, verbose)
	fc := falseAlarms(t, "BIPIA code/test clean (HELD OUT)", codeCtx, verbose)
	_, _, _, _ = r, fe, ft, fc
}

// TestQualityNotInject prints false alarms on the held-out half of NotInject
// and of other benign sets, and recall on the held-out half of CyberSecEval.
func TestQualityNotInject(t *testing.T) {
	needData(t)
	verbose := os.Getenv("MODELSPEC_QUALITY") == "v"
	notInjectReport(t, "NotInject odd-hash half (HELD OUT)", 1, verbose)
	cyberSecEvalReport(t, "CyberSecEval prompt injection odd-hash half (HELD OUT)", 1)
	benignReport(t, "odd-hash half (HELD OUT)", 1, verbose)
}
