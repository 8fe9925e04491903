package eval

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelspec/modelspec/internal/detect/refusal"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/specload"
)

// Built-in suite names.
const (
	SuiteXSTest       = "xstest"
	SuiteSpecExamples = "spec-examples"
)

// SuiteInfo describes a built-in suite.
type SuiteInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Cases is the number of cases, or -1 when the suite could not be
	// loaded (Error says why).
	Cases int    `json:"cases"`
	Error string `json:"error,omitempty"`
}

var suiteDescriptions = []struct{ name, desc string }{
	{SuiteXSTest, "XSTest: 250 safe prompts to answer, 200 unsafe contrast prompts to refuse"},
	{SuiteSpecExamples, "the built-in spec's examples: refuse where the GOOD answer refuses, else comply"},
	{SuiteHarmBench, "HarmBench test split, standard and contextual behaviours: refuse"},
	{SuiteHarmBenchCopyright, "HarmBench test split, copyright behaviours (lyrics, book passages): refuse"},
	{SuiteAdvBench, "AdvBench harmful behaviours: refuse"},
	{SuiteStrongREJECT, "StrongREJECT forbidden prompts: refuse"},
	{SuiteBIPIA, "BIPIA email QA with an injected instruction in the tool output: answer, do not follow it"},
}

// Suites lists the built-in suites with their case counts, loading each
// from dataDir; a suite that cannot load is listed with its error.
func Suites(dataDir string) []SuiteInfo {
	var out []SuiteInfo
	for _, d := range suiteDescriptions {
		info := SuiteInfo{Name: d.name, Description: d.desc}
		cases, err := LoadSuite(d.name, dataDir)
		if err != nil {
			info.Cases = -1
			info.Error = err.Error()
		} else {
			info.Cases = len(cases)
		}
		out = append(out, info)
	}
	return out
}

// LoadSuite returns the cases of the built-in suite name, in case id order.
// A name ending in .yaml, .yml or .jsonl is a suite file (LoadSuiteFile).
func LoadSuite(name, dataDir string) ([]Case, error) {
	if IsSuiteFile(name) {
		return LoadSuiteFile(name)
	}
	switch name {
	case SuiteXSTest:
		return XSTestCases(dataDir)
	case SuiteSpecExamples:
		return SpecExampleCases()
	case SuiteHarmBench, SuiteHarmBenchCopyright:
		return HarmBenchCases(dataDir, name == SuiteHarmBenchCopyright)
	case SuiteAdvBench:
		return AdvBenchCases(dataDir)
	case SuiteStrongREJECT:
		return StrongREJECTCases(dataDir)
	case SuiteBIPIA:
		return BIPIACases(dataDir)
	}
	names := make([]string, len(suiteDescriptions))
	for i, d := range suiteDescriptions {
		names[i] = d.name
	}
	return nil, fmt.Errorf("%w suite %q (built-in: %s; or a .yaml, .yml or .jsonl file)", ErrUnknown, name, strings.Join(names, ", "))
}

// xstestClauses maps an XSTest prompt type to the clauses of the built-in
// spec that a wrong answer breaks. Safe prompts (to be answered) test
// over-refusal: help_developer_and_user and assume_best_intentions, since
// they are phrased to sound harmful while meaning no harm. Unsafe contrast
// prompts test under-refusal, by the harm they ask for: instructions for
// violence or self-harm (contrast_homonyms, _figurative_language,
// _safe_targets, _safe_contexts, _definitions) → no_information_hazards;
// discrimination and atrocity denial (contrast_discr,
// contrast_historical_events) → encourage_fairness; private data of
// real people (contrast_privacy) → protect_privacy.
func xstestClauses(typ, label string) []string {
	if label == "safe" {
		return []string{"help_developer_and_user", "assume_best_intentions"}
	}
	switch typ {
	case "contrast_discr", "contrast_historical_events":
		return []string{"encourage_fairness"}
	case "contrast_privacy":
		return []string{"protect_privacy"}
	}
	return []string{"no_information_hazards"}
}

// XSTestPath is the prompts file of XSTest under dataDir.
func XSTestPath(dataDir string) string {
	return filepath.Join(dataDir, "xstest", "xstest_prompts.csv")
}

// XSTestCases reads the 450 XSTest prompts: safe ones must be answered
// (comply), unsafe ones refused. Case ids are "xstest-NNN" from the prompt
// id; Meta holds xstest_id, type, label and focus.
func XSTestCases(dataDir string) ([]Case, error) {
	path, err := needFile(XSTestPath(dataDir), "suite xstest")
	if err != nil {
		return nil, err
	}
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	cases := make([]Case, 0, len(rows))
	for i, r := range rows {
		id, label := r["id"], r["label"]
		if id == "" || (label != "safe" && label != "unsafe") {
			return nil, fmt.Errorf("%s: row %d: bad id %q or label %q", path, i+2, id, label)
		}
		expect := Comply
		if label == "unsafe" {
			expect = Refuse
		}
		cases = append(cases, Case{
			ID:       xstestCaseID(id),
			Suite:    SuiteXSTest,
			Messages: []Message{{Role: "user", Content: r["prompt"]}},
			Expect:   expect,
			Clauses:  xstestClauses(r["type"], label),
			Meta:     map[string]string{"xstest_id": id, "type": r["type"], "label": label, "focus": r["focus"]},
		})
	}
	sortCases(cases)
	return cases, nil
}

func xstestCaseID(id string) string {
	var n int
	if _, err := fmt.Sscanf(id, "%d", &n); err == nil {
		return fmt.Sprintf("xstest-%03d", n)
	}
	return "xstest-" + id
}

// SpecExampleCases makes a case of every example record of the built-in
// spec that has a GOOD candidate. The expectation is a heuristic: refuse
// when refusal.Classify labels the GOOD candidate a full or partial
// refusal, else comply. It cannot express "answer, but differently from the
// BAD candidate"; such examples become comply cases, graded only on whether
// the answer refuses. The case's clause is the example's section.
func SpecExampleCases() ([]Case, error) {
	res, err := specload.Load("")
	if err != nil {
		return nil, fmt.Errorf("suite spec-examples: %w", err)
	}
	var cases []Case
	for _, rec := range spec.ExampleRecords(res.Spec) {
		var good *spec.RecordCandidate
		for i := range rec.Candidates {
			if rec.Candidates[i].Label == "GOOD" {
				good = &rec.Candidates[i]
				break
			}
		}
		if good == nil || len(rec.Messages) == 0 {
			continue
		}
		expect := Comply
		if refusal.Classify(good.Content).Refused() {
			expect = Refuse
		}
		msgs := make([]Message, len(rec.Messages))
		for i, m := range rec.Messages {
			msgs[i] = Message{Role: m.Role, Name: m.Name, Recipient: m.Recipient, Content: m.Content}
		}
		cases = append(cases, Case{
			ID:       fmt.Sprintf("spec-examples-%03d", len(cases)+1),
			Suite:    SuiteSpecExamples,
			Messages: msgs,
			Expect:   expect,
			Clauses:  []string{rec.Section},
			Meta: map[string]string{
				"section": rec.Section, "title": rec.Title,
				"line": fmt.Sprint(rec.Line), "good": good.Content,
			},
		})
	}
	return cases, nil
}

func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("read %s: empty", path)
	}
	head := recs[0]
	out := make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		m := make(map[string]string, len(head))
		for i, h := range head {
			if i < len(r) {
				m[strings.TrimSpace(h)] = r[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}
