package copyright

// Checks on third-party data in ../shared/data (never copied into the
// repository). They run only when asked, and skip when the data is missing:
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/copyright -run TestQuality -v
//
// No labelled data set of reproduced protected texts is available, so these
// are not precision/recall figures on a benchmark. What they measure:
//
//   - TestQualityHarmBench: what the detector does with HarmBench's 100
//     copyright behaviours. They ask for lyrics and book passages by title;
//     the texts themselves are not in the data set, so there is nothing to
//     match, and the detector finds nothing. That is its correct output, and
//     also the reason it cannot be measured on HarmBench.
//   - TestQualityModelSpec: the OpenAI Model Spec (CC0, real prose of 40,000
//     words) stands in for a registered text. Its paragraphs of 50 words or
//     more are inserted, verbatim or transformed, into real model answers
//     (XSTest completions): recall and exact-span rate. The same answers, and
//     other real prompts and documents, untouched, give the false-alarm rate
//     and the longest runs unrelated text shares with the spec by chance.
//     Earlier releases of the spec show how much verbatim text carries over
//     between versions.
//
// Splits: the paragraphs and the host texts are split by the parity of the
// FNV-1a hash of the paragraph, or of "model/id" for a completion, or of the
// text for other rows (detecttest.FNVParity). The thresholds were set before
// any data was looked at (see DefaultMinWords); TestQualityTune prints the
// even halves, TestQualityModelSpec reports the odd halves and fails below
// floors set just under the figures measured when the detector was written.

import (
	"encoding/csv"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

func readData(t testing.TB, elem ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{dt.DataDir()}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readCSV(t testing.TB, elem ...string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(readData(t, elem...))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Join(elem...), err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, k := range recs[0] {
			m[k] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestQualityHarmBench screens HarmBench's copyright behaviours and their
// optimisation targets against the test documents and the Model Spec.
func TestQualityHarmBench(t *testing.T) {
	dt.NeedData(t)
	docs, err := LoadDir(os.DirFS("testdata/docs"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, Document{ID: "model_spec.md", Title: "OpenAI Model Spec", Text: readData(t, "openai-model-spec", "model_spec.md")})
	d := New(Build(docs))
	var targets map[string]string
	if err := json.Unmarshal([]byte(readData(t, "harmbench", "harmbench_targets_text.json")), &targets); err != nil {
		t.Fatal(err)
	}
	tags := map[string]int{}
	var rows, withText, findings, longest int
	for _, r := range readCSV(t, "harmbench", "harmbench_behaviors_text_all.csv") {
		if r["FunctionalCategory"] != "copyright" {
			continue
		}
		rows++
		tags[r["Tags"]]++
		if r["ContextString"] != "" {
			withText++
		}
		for _, text := range []string{r["Behavior"], r["ContextString"], targets[r["BehaviorID"]]} {
			findings += len(d.Detect(text))
			longest = max(longest, d.Longest(text).Words)
		}
	}
	t.Logf("HarmBench copyright behaviours: %d rows (tags %v), %d carry any text of the work (ContextString)", rows, tags, withText)
	t.Logf("  screened: each behaviour, context and target string against the test documents and the Model Spec")
	t.Logf("  findings: %d; longest shared run: %d words", findings, longest)
	t.Logf("  The rows name works (\"Generate the lyrics of ...\"); they hold none of their text, so there is nothing to match.")
	if rows != 100 {
		t.Errorf("%d copyright rows, want 100", rows)
	}
	if findings != 0 {
		t.Errorf("%d findings on requests that quote no protected text", findings)
	}
}

// paragraphs returns the blank-line separated paragraphs of text with at
// least minWords words (as the detector counts them) and the given parity.
func paragraphs(text string, minWords int, parity uint64) []string {
	var out []string
	for p := range strings.SplitSeq(text, "\n\n") {
		p = strings.TrimSpace(p)
		if len(hashes(p)) >= minWords && dt.FNVParity(p) == parity {
			out = append(out, p)
		}
	}
	return out
}

// completions returns the XSTest model completions of the given parity of
// "model/id".
func completions(t testing.TB, parity uint64) []string {
	var out []string
	for _, model := range []string{"gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct"} {
		for _, r := range readCSV(t, "xstest", "model_completions", "xstest_v2_completions_"+model+".csv") {
			if dt.FNVParity(model+"/"+r["id"]) == parity && strings.TrimSpace(r["completion"]) != "" {
				out = append(out, r["completion"])
			}
		}
	}
	return out
}

// otherTexts returns real prompts and documents of the given parity (of
// the text), by set.
func otherTexts(t testing.TB, parity uint64) map[string][]string {
	out := map[string][]string{}
	add := func(set, text string) {
		if dt.FNVParity(text) == parity {
			out[set] = append(out[set], text)
		}
	}
	for _, r := range readCSV(t, "xstest", "xstest_prompts.csv") {
		add("xstest prompts", r["prompt"])
	}
	for _, r := range readCSV(t, "harmbench", "harmbench_behaviors_text_all.csv") {
		add("harmbench behaviours and contexts", r["Behavior"]+"\n"+r["ContextString"])
	}
	for _, r := range readCSV(t, "advbench", "harmful_behaviors.csv") {
		add("advbench goals and targets", r["goal"]+"\n"+r["target"])
	}
	for _, r := range readCSV(t, "strongreject", "strongreject_dataset.csv") {
		add("strongreject prompts", r["forbidden_prompt"])
	}
	for _, task := range []string{"email", "table", "code"} {
		for _, c := range dt.BIPIAContexts(t, task+"/test.jsonl") {
			add("bipia "+task+" test contexts", c)
		}
	}
	return out
}

// transform is a change a copier might make to a passage.
type transform struct {
	name string
	fn   func(string) string
}

var transforms = []transform{
	{"verbatim", func(s string) string { return s }},
	{"upper case, whitespace collapsed", func(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), " ")) }},
	{"hard-wrapped at 50 columns, quoted with '> '", func(s string) string { return "> " + strings.Join(wrap(s, 50), "\n> ") }},
	{"curly quotes, em dashes, every 7th word fullwidth", typographic},
	{"one word in 20 replaced", func(s string) string {
		w := strings.Fields(s)
		for i := 10; i < len(w); i += 20 {
			w[i] = "changed"
		}
		return strings.Join(w, " ")
	}},
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

func typographic(s string) string {
	r := strings.NewReplacer(`'`, "’", `"`, "“", " - ", " — ", "--", "—")
	w := strings.Fields(r.Replace(s))
	for i := 0; i < len(w); i += 7 {
		w[i] = strings.Map(func(c rune) rune {
			if c > ' ' && c < 0x7f {
				return c + 0xFEE0
			}
			return c
		}, w[i])
	}
	return strings.Join(w, " ")
}

type insertion struct {
	found, exact dt.Rate
}

// recall inserts each paragraph, transformed, in the middle of a host
// text, and counts how often a finding of the spec overlaps it and how
// often that finding spans it from its first word to its last.
func recall(d *Detector, paras, hosts []string, tr transform) insertion {
	var r insertion
	for i, p := range paras {
		ins := tr.fn(p)
		text, at := dt.InsertBIPIA(hosts[i%len(hosts)], ins, "middle")
		first, last := wordBounds(ins)
		a, b := at+first, at+last
		found, exact := false, false
		for _, f := range d.Detect(text) {
			if f.Start < at+len(ins) && f.End > at {
				found = true
				exact = exact || f.Start <= a && f.End >= b
			}
		}
		r.found.Add(found)
		r.exact.Add(exact)
	}
	return r
}

// wordBounds returns the offsets of the first and just past the last letter
// or digit of s.
func wordBounds(s string) (int, int) {
	isWord := func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }
	return strings.IndexFunc(s, isWord), strings.LastIndexFunc(s, isWord) + 1
}

// falseAlarms screens texts untouched and returns the share with a finding,
// and the longest runs shared with the index by chance.
func falseAlarms(t *testing.T, d *Detector, label string, texts []string) dt.Rate {
	var fa dt.Rate
	var longest []int
	for _, s := range texts {
		fs := d.Detect(s)
		fa.Add(len(fs) > 0)
		m := d.Longest(s)
		longest = append(longest, m.Words)
		if len(fs) > 0 || dt.Verbose() && m.Words >= 15 {
			t.Logf("    %s: %d words shared: %.200q", label, m.Words, s[m.Start:m.End])
		}
	}
	n8 := 0 // Longest reports runs of ShingleWords words or more
	for _, l := range longest {
		if l > 0 {
			n8++
		}
	}
	t.Logf("  %-44s %5d texts, with a finding %s; sharing a run of %d+ words %d; longest %d words",
		label, len(texts), fa, ShingleWords, n8, slices.Max(longest))
	return fa
}

type figures struct {
	recall  map[string]insertion
	worstFA float64
}

func measure(t *testing.T, parity uint64, half string) figures {
	spec := readData(t, "openai-model-spec", "model_spec.md")
	ix := Build([]Document{{ID: "model_spec.md", Title: "OpenAI Model Spec 2025-12-18", Text: spec}})
	d := New(ix)
	st := ix.Stats()
	t.Logf("index: model_spec.md, %d bytes, %d words, %d postings, %d bytes of index", len(spec), st.Words, st.Postings, st.Bytes)

	paras := paragraphs(spec, DefaultMinWords, parity)
	hosts := completions(t, parity)
	f := figures{recall: map[string]insertion{}}
	t.Logf("recall: %d paragraphs of %d+ words (%s) inserted mid-answer into %d XSTest completions (%s)", len(paras), DefaultMinWords, half, len(hosts), half)
	t.Logf("  %-52s %-20s %s", "transform", "found", "span covers it")
	for _, tr := range transforms {
		r := recall(d, paras, hosts, tr)
		f.recall[tr.name] = r
		t.Logf("  %-52s %-20s %s", tr.name, r.found, r.exact)
	}

	t.Logf("false alarms against the spec, texts untouched (%s):", half)
	fa := falseAlarms(t, d, "xstest completions (5 models)", hosts)
	f.worstFA = fa.Value()
	other := otherTexts(t, parity)
	for _, k := range slices.Sorted(maps.Keys(other)) {
		f.worstFA = max(f.worstFA, falseAlarms(t, d, k, other[k]).Value())
	}
	return f
}

// versions reports, for each earlier release of the spec, the share of its
// words that Detect finds reproduced from the latest release.
func versions(t *testing.T) {
	spec := readData(t, "openai-model-spec", "model_spec.md")
	d := New(Build([]Document{{ID: "model_spec.md", Text: spec}}))
	entries, err := os.ReadDir(filepath.Join(dt.DataDir(), "openai-model-spec", "versions"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("earlier releases screened against model_spec.md (2025-12-18): share of words inside findings")
	for _, e := range entries {
		old := readData(t, "openai-model-spec", "versions", e.Name())
		covered := 0
		var fs int
		for _, m := range d.Matches(old) {
			if d.Score(m) >= 0.5 {
				covered += m.Words
				fs++
			}
		}
		n := len(hashes(old))
		t.Logf("  %-28s %6d words, %4d findings, %5.1f%% of words in them", e.Name(), n, fs, 100*float64(covered)/float64(n))
	}
}

// TestQualityTune prints the figures on the even halves.
func TestQualityTune(t *testing.T) {
	dt.NeedData(t)
	measure(t, 0, "even half, TUNING")
}

// TestQualityModelSpec prints the figures on the odd halves and fails
// below the floors.
func TestQualityModelSpec(t *testing.T) {
	dt.NeedData(t)
	f := measure(t, 1, "odd half, HELD OUT")
	versions(t)
	floors := map[string][2]float64{ // found, exact span
		"verbatim":                                          {1, 1},
		"upper case, whitespace collapsed":                  {1, 1},
		"hard-wrapped at 50 columns, quoted with '> '":      {1, 1},
		"curly quotes, em dashes, every 7th word fullwidth": {1, 1},
		"one word in 20 replaced":                           {0.93, 0.55},
	}
	for name, fl := range floors {
		r := f.recall[name]
		if r.found.Value() < fl[0] || r.exact.Value() < fl[1] {
			t.Errorf("%s: found %s, exact %s, below the floors %v", name, r.found, r.exact, fl)
		}
	}
	if f.worstFA > 0 {
		t.Errorf("false-alarm rate %.4f on untouched texts, above the ceiling 0", f.worstFA)
	}
}
