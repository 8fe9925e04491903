package detecttest

// Loaders for the third-party data sets in ../shared/data (seen from the
// project root), used by the quality tests of detectors. Nothing is copied
// into the repository; the tests skip when the data is absent.
//
// Splits. BIPIA has its own train and test files. The other sets hold only
// the training part of an upstream split (or have no split); within them the
// rows whose FNV-1a 64 hash of the key is even are for tuning and the odd
// ones are held out for published figures, as ../shared/data/README.md asks.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// QualityEnv is the environment variable that turns quality tests on; the
// value "v" also lists false alarms.
const QualityEnv = "MODELSPEC_QUALITY"

// DataDir is the shared data directory: $MODELSPEC_DATA, or
// ../shared/data next to the module root.
func DataDir() string {
	if d := os.Getenv("MODELSPEC_DATA"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0) // .../internal/detect/detecttest/data.go
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "data")
}

// NeedData skips t unless QualityEnv is set and the shared data is there.
func NeedData(t testing.TB) {
	t.Helper()
	if os.Getenv(QualityEnv) == "" {
		t.Skipf("set %s=1 to measure on %s", QualityEnv, DataDir())
	}
	if _, err := os.Stat(filepath.Join(DataDir(), "bipia")); err != nil {
		t.Skipf("no shared data: %v", err)
	}
}

// Verbose reports whether quality tests should list their false alarms.
func Verbose() bool { return os.Getenv(QualityEnv) == "v" }

// FNVParity is the parity of the FNV-1a 64 hash of key: 0 tunes, 1 is held out.
func FNVParity(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64() % 2
}

// Attack is one BIPIA attack instruction.
type Attack struct{ Category, Text string }

// BIPIAAttacks reads a BIPIA attack file such as "text_attack_test.json",
// in category order.
func BIPIAAttacks(t testing.TB, name string) []Attack {
	t.Helper()
	b := read(t, "bipia", name)
	var m map[string][]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []Attack
	for _, c := range slices.Sorted(maps.Keys(m)) {
		for _, s := range m[c] {
			out = append(out, Attack{c, s})
		}
	}
	return out
}

// BIPIAContexts reads the "context" field of a BIPIA jsonl file such as
// "email/test.jsonl"; code contexts, lists of lines, are joined with "\n" as
// BIPIA's builder does.
func BIPIAContexts(t testing.TB, name string) []string {
	t.Helper()
	type row struct {
		Context json.RawMessage `json:"context"`
	}
	var out []string
	for _, r := range JSONL[row](t, filepath.Join("bipia", name)) {
		var s string
		if err := json.Unmarshal(r.Context, &s); err != nil {
			var lines []string
			if err := json.Unmarshal(r.Context, &lines); err != nil {
				t.Fatalf("%s: context: %v", name, err)
			}
			s = strings.Join(lines, "\n")
		}
		out = append(out, s)
	}
	return out
}

// Positions are where BIPIA inserts an attack into a context.
var Positions = []string{"start", "middle", "end"}

// InsertBIPIA places attack in ctx as BIPIA's insert_start, insert_middle and
// insert_end do (joined with "\n") and returns the text and the attack's
// offset in it. BIPIA picks the middle sentence at random with NLTK's Punkt;
// this picks, deterministically, the line or sentence start nearest the
// middle of ctx (offset 0 when there is none, as Punkt's single span gives).
func InsertBIPIA(ctx, attack, pos string) (string, int) {
	switch pos {
	case "start":
		return attack + "\n" + ctx, 0
	case "end":
		return ctx + "\n" + attack, len(ctx) + 1
	}
	best, mid := 0, len(ctx)/2
	for i := 1; i < len(ctx); i++ {
		prev := ctx[i-1]
		if prev == '\n' || prev == ' ' && i >= 2 && strings.ContainsRune(".!?", rune(ctx[i-2])) {
			if best == 0 || abs(i-mid) < abs(best-mid) {
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

// Labeled is a text with a label from its data set.
type Labeled struct{ Text, Label string }

// NotInject returns the prompts of NotInject's shared part (all benign) with
// the given FNV-1a parity of the prompt, labeled with their category.
func NotInject(t testing.TB, parity uint64) []Labeled {
	t.Helper()
	type row struct{ Prompt, Category string }
	var out []Labeled
	for _, r := range JSONL[row](t, "notinject/train.jsonl") {
		if FNVParity(r.Prompt) == parity {
			out = append(out, Labeled{r.Prompt, r.Category})
		}
	}
	return out
}

// CyberSecEval returns the user inputs of CyberSecEval's prompt-injection
// shared part (all attacks) with the given FNV-1a parity of the decimal
// prompt_id, labeled with their injection variant.
func CyberSecEval(t testing.TB, parity uint64) []Labeled {
	t.Helper()
	type row struct {
		ID      int    `json:"prompt_id"`
		Input   string `json:"user_input"`
		Variant string `json:"injection_variant"`
	}
	var out []Labeled
	for _, r := range JSONL[row](t, "cyberseceval-prompt-injection/train.jsonl") {
		if FNVParity(fmt.Sprint(r.ID)) == parity {
			out = append(out, Labeled{r.Input, r.Variant})
		}
	}
	return out
}

// Benign returns texts without injection or role spoofing from other data
// sets, with the given FNV-1a parity, by set: Presidio's synthetic documents
// (key full_text), XSTest's safe prompts (key id) and CyberSecEval MITRE
// FRR's benign cyber requests (key mutated_prompt).
func Benign(t testing.TB, parity uint64) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range presidioDocs(t) {
		if FNVParity(d) == parity {
			out["presidio synthetic documents"] = append(out["presidio synthetic documents"], d)
		}
	}
	for _, r := range readCSV(t, "xstest", "xstest_prompts.csv")[1:] {
		if r[3] == "safe" && FNVParity(r[0]) == parity {
			out["xstest safe prompts"] = append(out["xstest safe prompts"], r[1])
		}
	}
	type frr struct {
		Prompt string `json:"mutated_prompt"`
	}
	for _, r := range JSONL[frr](t, "cyberseceval-mitre-frr/train.jsonl") {
		if FNVParity(r.Prompt) == parity {
			out["cyberseceval-mitre-frr prompts"] = append(out["cyberseceval-mitre-frr prompts"], r.Prompt)
		}
	}
	return out
}

// RealSource is the messages of one source in RealMessages.
type RealSource struct {
	Name string
	Msgs []string
}

// RealMessages are messages from DataDir as the gateway would see them, by
// source: XSTest's prompts with GPT-4's answers to them ("chat"), BIPIA's
// e-mail, table and code contexts ("bipia") and Presidio's synthetic
// documents full of personal data ("pii_docs"). Speed figures and the
// findings dump of internal/detect/builtin are compared across commits on
// them, so their order and bytes must not change. Nil when the data is
// absent; unlike the quality loaders they need no QualityEnv, as ordinary
// test runs use them when they can.
func RealMessages(t testing.TB) []RealSource {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DataDir(), "bipia")); err != nil {
		return nil
	}
	var bipia []string
	for _, name := range []string{"email/test.jsonl", "table/test.jsonl", "code/test.jsonl"} {
		bipia = append(bipia, BIPIAContexts(t, name)...)
	}
	return []RealSource{
		{"chat", append(csvColumn(t, "prompt", "xstest", "xstest_prompts.csv"),
			csvColumn(t, "completion", "xstest", "model_completions", "xstest_v2_completions_gpt4.csv")...)},
		{"bipia", bipia},
		{"pii_docs", presidioDocs(t)},
	}
}

// presidioDocs returns the texts of Presidio's synthetic documents.
func presidioDocs(t testing.TB) []string {
	t.Helper()
	var docs []struct {
		Text string `json:"full_text"`
	}
	if err := json.Unmarshal(read(t, "presidio-research-synth-pii", "synth_dataset_v2.json"), &docs); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Text
	}
	return out
}

// csvColumn returns the column named col of a CSV file under DataDir,
// without its header.
func csvColumn(t testing.TB, col string, elem ...string) []string {
	t.Helper()
	recs := readCSV(t, elem...)
	k := slices.Index(recs[0], col)
	if k < 0 {
		t.Fatalf("%s: no column %q", filepath.Join(elem...), col)
	}
	out := make([]string, len(recs)-1)
	for i, r := range recs[1:] {
		out[i] = r[k]
	}
	return out
}

func readCSV(t testing.TB, elem ...string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(read(t, elem...))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Join(elem...), err)
	}
	return recs
}

// JSONL decodes each non-blank line of a file under DataDir into a T.
func JSONL[T any](t testing.TB, name string) []T {
	t.Helper()
	var out []T
	for line := range strings.Lines(string(read(t, name))) {
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

func read(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{DataDir()}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Rate is hits over trials.
type Rate struct{ Hit, N int }

// Add counts one trial.
func (r *Rate) Add(hit bool) {
	r.N++
	if hit {
		r.Hit++
	}
}

// Value is Hit/N, or 0 without trials.
func (r Rate) Value() float64 {
	if r.N == 0 {
		return 0
	}
	return float64(r.Hit) / float64(r.N)
}

func (r Rate) String() string {
	if r.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%5.1f%% (%d/%d)", 100*r.Value(), r.Hit, r.N)
}
