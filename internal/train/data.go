package train

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/detect/classify"
)

// Example is one labelled text.
type Example struct {
	Source string // data set, e.g. "harmbench"
	Group  string // the set's own label or category, for reports
	Key    string // what the split hashes
	// FoldKey, when set, is what the cross-validation folds hash instead
	// of Key: the fills of one template share a fold, so that a sibling
	// differing by one slot does not make out-of-fold scores look better
	// than they are.
	FoldKey string
	Text    string
	// Pos has a bit per category (classify.Categories order) the text
	// belongs to; Known has a bit per category whose label is known, positive
	// or negative. A category outside Known is neither trained nor scored.
	Pos, Known uint16
	// Harmful is set for rows of the harmful sets that fall in one of the
	// categories, whether or not a category could be named (they count for
	// the any-category recall); Benign for rows of the benign sets.
	Harmful, Benign bool
	// EvalOnly examples are measured, never trained on nor used to choose
	// a threshold (the embedded copies, see embedded).
	EvalOnly bool
}

// foldKey is what the cross-validation folds hash: FoldKey when set (so
// that variants of one example share a fold), else Key.
func (e *Example) foldKey() string {
	if e.FoldKey != "" {
		return e.FoldKey
	}
	return e.Key
}

// Has reports whether the label of category c is known and positive.
func (e *Example) Has(c int) bool { return e.Pos&(1<<c) != 0 }

// IsKnown reports whether the label of category c is known.
func (e *Example) IsKnown(c int) bool { return e.Known&(1<<c) != 0 }

// Split says which part of the data to load.
type Split int

const (
	// TrainSplit is the part used for training and for choosing thresholds:
	// rows whose key has an even FNV-1a 64 hash, BIPIA's train files and
	// HarmBench's validation file.
	TrainSplit Split = iota
	// HeldOut is the part used only for published figures: the odd-hash
	// rows, BIPIA's test files and the odd-hash rows of HarmBench's test
	// file.
	HeldOut
)

func (s Split) String() string {
	if s == TrainSplit {
		return "train"
	}
	return "held-out"
}

// parity is the FNV-1a 64 parity of key (0 trains, 1 is held out), as
// detecttest.FNVParity and ../shared/data/README.md define it.
func parity(key string) Split {
	h := fnv.New64a()
	h.Write([]byte(key))
	return Split(h.Sum64() % 2)
}

// Sources are the data sets, in the order they are read.
var Sources = []string{
	"harmbench", "advbench", "advbench-strings", "strongreject", "aart", "xstest-unsafe",
	"davidson", "toxigen", "hatecheck",
	"xstest-safe", "mitre-frr", "notinject", "bipia", "presidio",
	"sysprompts", "xstest-answers", "xstest-answers-other",
	"seed",
}

//go:embed seed/*.jsonl seed/templates.json
var seedFS embed.FS

// Load reads every data set's part s from dir (../shared/data) and the
// project's own seed examples. Rows come in the order of Sources, then file
// order, so that training is deterministic.
func Load(dir string, s Split) ([]Example, error) {
	var out []Example
	for _, src := range Sources {
		ex, err := loaders[src](dir, s)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", src, err)
		}
		out = append(out, ex...)
	}
	return append(out, embedded(out)...), nil
}

var loaders = map[string]func(dir string, s Split) ([]Example, error){
	"harmbench":        loadHarmBench,
	"advbench":         loadAdvBench,
	"advbench-strings": loadAdvBenchStrings,
	"strongreject":     loadStrongREJECT,
	"aart":             loadAART,
	"xstest-unsafe":    func(dir string, s Split) ([]Example, error) { return loadXSTest(dir, s, "unsafe") },
	"davidson":         loadDavidson,
	"toxigen":          loadToxiGen,
	"hatecheck":        loadHateCheck,
	"xstest-safe":      func(dir string, s Split) ([]Example, error) { return loadXSTest(dir, s, "safe") },
	"mitre-frr":        loadMITRE,
	"notinject":        loadNotInject,
	"bipia":            loadBIPIA,
	"presidio":         loadPresidio,
	"sysprompts":       loadSysPrompts,
	"xstest-answers": func(dir string, s Split) ([]Example, error) {
		return loadXSTestAnswers(dir, s, "xstest-answers", xstestTrainModels, true)
	},
	"xstest-answers-other": func(dir string, s Split) ([]Example, error) {
		return loadXSTestAnswers(dir, s, "xstest-answers-other", xstestOtherModels, false)
	},
	"seed": func(_ string, s Split) ([]Example, error) {
		ex, err := loadSeed(s)
		if err != nil {
			return nil, err
		}
		tex, err := loadTemplates(s)
		return append(ex, tex...), err
	},
}

// harmful returns the example for a harmful row with the set's category cat
// (0: none of ours), or false when no category can be named and the row is
// not wanted in training.
func harmful(src, group, key, text string, pos, knownMask uint16, ok bool, s Split) (Example, bool) {
	e := Example{Source: src, Group: group, Key: key, Text: text, Harmful: true}
	if ok {
		e.Pos, e.Known = pos, knownMask
	}
	return e, ok || s == HeldOut
}

func benign(src, group, key, text string) Example {
	return Example{Source: src, Group: group, Key: key, Text: text, Known: bAll, Benign: true}
}

// readCSV reads a CSV file with a header and returns rows as maps.
func readCSV(file string) ([]map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty", file)
	}
	head := recs[0]
	out := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		m := make(map[string]string, len(head))
		for i, h := range head {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// readJSONL decodes each non-blank line of r into a T.
func readJSONL[T any](r io.Reader, name string) ([]T, error) {
	var out []T
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

func readJSONLFile[T any](file string) ([]T, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readJSONL[T](f, file)
}

// HarmBench: the validation file trains; the test file splits by the
// parity of BehaviorID. Only the behaviour is used, not the context string.
// Copyright rows are negatives for every category (asking for lyrics is none
// of them); misinformation and "harmful" rows are labelled by keywords only.
func loadHarmBench(dir string, s Split) ([]Example, error) {
	var out []Example
	for _, f := range []string{"harmbench_behaviors_text_val.csv", "harmbench_behaviors_text_test.csv"} {
		rows, err := readCSV(filepath.Join(dir, "harmbench", f))
		if err != nil {
			return nil, err
		}
		val := strings.Contains(f, "_val")
		for _, r := range rows {
			id, text, cat := r["BehaviorID"], r["Behavior"], r["SemanticCategory"]
			if val && s != TrainSplit || !val && parity(id) != s {
				continue
			}
			if cat == "copyright" {
				out = append(out, benign("harmbench", cat, id, text))
				continue
			}
			pos, k, ok := labelHarmful(text, harmbenchCategory[cat])
			e, keep := harmful("harmbench", cat, id, text, pos, k, ok, s)
			if cat == "misinformation_disinformation" {
				e.Harmful = false // not one of our categories
			}
			if keep {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// AdvBench behaviours: all harmful, no categories; keyword rules label
// them, and a behaviour they cannot place counts as a hazard (the set is
// mostly weapons, hacking and fraud). Split by the parity of the goal.
func loadAdvBench(dir string, s Split) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "advbench", "harmful_behaviors.csv"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		text := r["goal"]
		if parity(text) != s {
			continue
		}
		pos := keywordLabels(text, false, true)
		if pos == 0 {
			pos = bHazard
		}
		out = append(out, Example{Source: "advbench", Group: "behaviors", Key: text, Text: text, Pos: pos, Known: pos, Harmful: true})
	}
	return out, nil
}

// AdvBench harmful strings (things a model must not say): keyword rules
// only; split by the parity of the string.
func loadAdvBenchStrings(dir string, s Split) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "advbench", "harmful_strings.csv"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		text := r["target"]
		if parity(text) != s {
			continue
		}
		pos, k, ok := labelHarmful(text, 0)
		if e, keep := harmful("advbench-strings", "strings", text, text, pos, k, ok, s); keep {
			out = append(out, e)
		}
	}
	return out, nil
}

// StrongREJECT: split by the parity of the prompt.
func loadStrongREJECT(dir string, s Split) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "strongreject", "strongreject_dataset.csv"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		text, cat := r["forbidden_prompt"], r["category"]
		if parity(text) != s {
			continue
		}
		pos, k, ok := labelStrongREJECT(text, cat)
		e, keep := harmful("strongreject", cat, text, text, pos, k, ok, s)
		if cat == "Disinformation and deception" {
			e.Harmful = false
		}
		if keep {
			out = append(out, e)
		}
	}
	return out, nil
}

// AART (the shared 80%): split by the parity of the prompt.
func loadAART(dir string, s Split) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "aart", "train.csv"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		text, crime := r["prompt"], r["crime"]
		if parity(text) != s {
			continue
		}
		cat, ours := aartCrime[crime]
		pos, k, ok := labelHarmful(text, cat)
		e, keep := harmful("aart", crime, text, text, pos, k, ok, s)
		e.Harmful = ours
		if keep {
			out = append(out, e)
		}
	}
	return out, nil
}

// XSTest: split by the parity of the id. Safe prompts are negatives for
// every category; unsafe contrast prompts are labelled by keywords (the
// privacy contrasts are none of our categories and are left out).
func loadXSTest(dir string, s Split, label string) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "xstest", "xstest_prompts.csv"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		id, text, typ := r["id"], r["prompt"], r["type"]
		if r["label"] != label || parity(id) != s {
			continue
		}
		if label == "safe" {
			out = append(out, benign("xstest-safe", typ, id, text))
			continue
		}
		if typ == "contrast_privacy" {
			continue
		}
		pos, k, ok := labelHarmful(text, 0)
		if e, keep := harmful("xstest-unsafe", typ, id, text, pos, k, ok, s); keep {
			out = append(out, e)
		}
	}
	return out, nil
}

// Davidson et al. (the shared 80%): split by the parity of the id. Class 0
// (hate speech) is hate; class 1 (offensive, not hate) is not hate, and its
// sexual, harassment and violence labels are unknown (profanity and insults
// are not hate, but may be those); class 2 (neither) is negative for all.
func loadDavidson(dir string, s Split) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "davidson-hate-offensive", "train.csv"))
	if err != nil {
		return nil, err
	}
	names := map[string]string{"0": "hate", "1": "offensive", "2": "neither"}
	var out []Example
	for _, r := range rows {
		id, text, class := r["id"], r["tweet"], r["class"]
		if parity(id) != s {
			continue
		}
		e := Example{Source: "davidson", Group: names[class], Key: id, Text: text}
		switch class {
		case "0":
			e.Pos, e.Known = bHate, bHazard|bHate|bSexualMinors|bSelfHarm
		case "1":
			e.Known = bHazard | bHate | bSexualMinors | bSelfHarm
		case "2":
			e.Known = bAll
		default:
			return nil, fmt.Errorf("davidson id %s: class %q", id, class)
		}
		out = append(out, e)
	}
	return out, nil
}

// ToxiGen seed statements (the shared 80%): split by the parity of the
// text. Hate statements are hate with harassment and violence unknown;
// neutral ones are negative for all.
func loadToxiGen(dir string, s Split) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "toxigen-seeds", "train.csv"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		text := r["text"]
		if parity(text) != s {
			continue
		}
		e := Example{Source: "toxigen", Group: r["label"], Key: text, Text: text, Known: bAll}
		if r["label"] == "hate" {
			e.Pos, e.Known = bHate, bAll&^(bHarassment|bViolence)
		}
		out = append(out, e)
	}
	return out, nil
}

// HateCheck (the shared 80%): split by the parity of "templ:<templ_id>", so
// a template's identity-swapped copies stay on one side. Hateful cases are
// hate (threats also violence), harassment unknown. Non-hateful cases are
// negative for all, except abuse of an individual (target_indiv_nh), which
// is harassment, and abuse of a non-protected group (target_group_nh),
// whose harassment label is unknown.
func loadHateCheck(dir string, s Split) ([]Example, error) {
	rows, err := readCSV(filepath.Join(dir, "hatecheck", "test_suite_cases.csv"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		text, fn := strings.TrimSpace(r["test_case"]), r["functionality"]
		if parity("templ:"+r["templ_id"]) != s {
			continue
		}
		e := Example{Source: "hatecheck", Group: fn, Key: "templ:" + r["templ_id"], Text: text, Known: bAll}
		switch {
		case r["label_gold"] == "hateful":
			e.Pos, e.Known = bHate, bAll&^bHarassment
			if strings.HasPrefix(fn, "threat_") {
				e.Pos |= bViolence
			}
		case fn == "target_indiv_nh":
			e.Pos = bHarassment
		case fn == "target_group_nh":
			e.Known = bAll &^ bHarassment
		}
		out = append(out, e)
	}
	return out, nil
}

// CyberSecEval MITRE false-refusal prompts (the shared 80%, all benign):
// split by the parity of the prompt.
func loadMITRE(dir string, s Split) ([]Example, error) {
	type row struct {
		Prompt string `json:"mutated_prompt"`
		Attack string `json:"attack_type"`
	}
	rows, err := readJSONLFile[row](filepath.Join(dir, "cyberseceval-mitre-frr", "train.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		if parity(r.Prompt) == s {
			out = append(out, benign("mitre-frr", "benign", r.Prompt, r.Prompt))
		}
	}
	return out, nil
}

// NotInject (the shared 80%, all benign): split by the parity of the prompt.
func loadNotInject(dir string, s Split) ([]Example, error) {
	type row struct{ Prompt, Category string }
	rows, err := readJSONLFile[row](filepath.Join(dir, "notinject", "train.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		if parity(r.Prompt) == s {
			out = append(out, benign("notinject", r.Category, r.Prompt, r.Prompt))
		}
	}
	return out, nil
}

// BIPIA clean contexts (no attack inserted): email/train.jsonl trains; the
// email, table and code test files are held out.
func loadBIPIA(dir string, s Split) ([]Example, error) {
	files := []string{"email/train.jsonl"}
	if s == HeldOut {
		files = []string{"email/test.jsonl", "table/test.jsonl", "code/test.jsonl"}
	}
	type row struct {
		Context json.RawMessage `json:"context"`
	}
	var out []Example
	for _, f := range files {
		rows, err := readJSONLFile[row](filepath.Join(dir, "bipia", filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			var text string
			if err := json.Unmarshal(r.Context, &text); err != nil {
				var lines []string
				if err := json.Unmarshal(r.Context, &lines); err != nil {
					return nil, fmt.Errorf("%s:%d: context: %w", f, i+1, err)
				}
				text = strings.Join(lines, "\n")
			}
			out = append(out, benign("bipia", path.Dir(f), fmt.Sprintf("%s:%d", f, i+1), text))
		}
	}
	return out, nil
}

// Presidio synthetic PII texts (all benign): split by the parity of the
// text.
func loadPresidio(dir string, s Split) ([]Example, error) {
	b, err := os.ReadFile(filepath.Join(dir, "presidio-research-synth-pii", "synth_dataset_v2.json"))
	if err != nil {
		return nil, err
	}
	var docs []struct {
		Text string `json:"full_text"`
	}
	if err := json.Unmarshal(b, &docs); err != nil {
		return nil, fmt.Errorf("presidio: %w", err)
	}
	var out []Example
	for _, d := range docs {
		if parity(d.Text) == s {
			out = append(out, benign("presidio", "text", d.Text, d.Text))
		}
	}
	return out, nil
}

// SeedRow is one line of a seed file (internal/train/seed/*.jsonl): a text
// the project wrote, the categories it belongs to (empty: a negative for
// every category) and the categories whose label is unknown.
type SeedRow struct {
	Text    string   `json:"text"`
	Pos     []string `json:"pos"`
	Unknown []string `json:"unknown,omitempty"`
}

// loadSeed reads the embedded seed files, split by the parity of the text.
func loadSeed(s Split) ([]Example, error) {
	names, err := seedFS.ReadDir("seed")
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".jsonl") {
			continue
		}
		f, err := seedFS.Open("seed/" + n.Name())
		if err != nil {
			return nil, err
		}
		rows, err := readJSONL[SeedRow](f, "seed/"+n.Name())
		f.Close()
		if err != nil {
			return nil, err
		}
		group := strings.TrimSuffix(n.Name(), ".jsonl")
		for i, r := range rows {
			e, err := seedExample(r, group)
			if err != nil {
				return nil, fmt.Errorf("seed/%s row %d: %w", n.Name(), i+1, err)
			}
			if parity(r.Text) == s {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// Templates is seed/templates.json: sets of templates whose {slot}s are
// filled from lists, for benign texts in the framings of the harmful sets.
type Templates struct {
	Note        string `json:"note"`
	PerTemplate int    `json:"per_template"`
	Sets        []struct {
		Name      string   `json:"name"`
		Templates []string `json:"templates"`
		Topic     []string `json:"topic,omitempty"`
		Place     []string `json:"place,omitempty"`
		Group     []string `json:"group,omitempty"`
		Event     []string `json:"event,omitempty"`
		Role      []string `json:"role,omitempty"`
	} `json:"sets"`
}

// Filled is a text made from a template: the template's index in its set.
type Filled struct {
	Text     string
	Template int
}

// Expand fills every template PerTemplate times: fill j of template i takes
// the slot values at fixed strides, (7i+5j), (3i+11j), (i+j), (i+j) and
// (5i+3j) modulo each list's length for topic, place, group, event and
// role. A text that starts with a filled slot is capitalised. Repeats are
// dropped.
func (t *Templates) Expand() map[string][]Filled {
	out := map[string][]Filled{}
	for _, set := range t.Sets {
		seen := map[string]bool{}
		for i, tmpl := range set.Templates {
			for j := range t.PerTemplate {
				text := tmpl
				for _, slot := range []struct {
					name string
					list []string
					at   int
				}{
					{"{topic}", set.Topic, 7*i + 5*j},
					{"{place}", set.Place, 3*i + 11*j},
					{"{group}", set.Group, i + j},
					{"{event}", set.Event, i + j},
					{"{role}", set.Role, 5*i + 3*j},
				} {
					if len(slot.list) > 0 {
						text = strings.ReplaceAll(text, slot.name, slot.list[slot.at%len(slot.list)])
					}
				}
				if text != "" {
					text = strings.ToUpper(text[:1]) + text[1:]
				}
				if !seen[text] {
					seen[text] = true
					out[set.Name] = append(out[set.Name], Filled{text, i})
				}
			}
		}
	}
	return out
}

// loadTemplates reads and expands seed/templates.json.
func loadTemplates(s Split) ([]Example, error) {
	b, err := seedFS.ReadFile("seed/templates.json")
	if err != nil {
		return nil, err
	}
	var t Templates
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("seed/templates.json: %w", err)
	}
	sets := t.Expand()
	var out []Example
	for _, set := range t.Sets {
		for _, f := range sets[set.Name] {
			if strings.Contains(f.Text, "{") {
				return nil, fmt.Errorf("seed/templates.json: set %s: unfilled slot in %q", set.Name, f.Text)
			}
			// the split hashes the text, as it always has, so that the
			// held-out half stays the one the published figures were
			// measured on (fills of one template fall on both sides, which
			// flatters the seed figures: README.md); the folds hash the
			// template, so that thresholds are chosen on honest scores
			if parity(f.Text) == s {
				e := benign("seed", set.Name, f.Text, f.Text)
				e.FoldKey = fmt.Sprintf("tmpl:%s:%d", set.Name, f.Template)
				out = append(out, e)
			}
		}
	}
	return out, nil
}

func seedExample(r SeedRow, group string) (Example, error) {
	e := Example{Source: "seed", Group: group, Key: r.Text, Text: r.Text, Known: bAll}
	if strings.TrimSpace(r.Text) == "" {
		return e, fmt.Errorf("empty text")
	}
	bit := func(name string) (uint16, error) {
		i := slices.Index(classify.Categories, name)
		if i < 0 {
			return 0, fmt.Errorf("unknown category %q", name)
		}
		return 1 << i, nil
	}
	for _, p := range r.Pos {
		b, err := bit(p)
		if err != nil {
			return e, err
		}
		e.Pos |= b
	}
	for _, u := range r.Unknown {
		b, err := bit(u)
		if err != nil {
			return e, err
		}
		e.Known &^= b
	}
	if e.Pos&^e.Known != 0 {
		return e, fmt.Errorf("a category is both positive and unknown")
	}
	e.Harmful, e.Benign = e.Pos != 0, e.Pos == 0 && e.Known == bAll
	return e, nil
}
