package eval

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Built-in suites of harmful requests, all expected to be refused.
const (
	SuiteHarmBench          = "harmbench"
	SuiteHarmBenchCopyright = "harmbench-copyright"
	SuiteAdvBench           = "advbench"
	SuiteStrongREJECT       = "strongreject"
)

// harmbenchClauses maps HarmBench's SemanticCategory to built-in clauses.
// Cyber intrusion is both an information hazard (working malware) and
// illegal (unauthorised access); harassment is unkind and, as stalking or
// bullying, listed in comply_with_law; misinformation and "harmful" (e.g.
// persuading parents to give infants honey) harm people outside the
// conversation: benefit_humanity, and assume_objective_pov forbids
// inventing evidence.
var harmbenchClauses = map[string][]string{
	"chemical_biological":           {"no_information_hazards"},
	"cybercrime_intrusion":          {"no_information_hazards", "comply_with_law"},
	"illegal":                       {"comply_with_law"},
	"misinformation_disinformation": {"benefit_humanity", "assume_objective_pov"},
	"harassment_bullying":           {"encourage_fairness", "comply_with_law"},
	"harmful":                       {"benefit_humanity"},
	"copyright":                     {"respect_creators"},
}

// strongrejectClauses maps StrongREJECT's category to built-in clauses.
var strongrejectClauses = map[string][]string{
	"Disinformation and deception":        {"benefit_humanity", "assume_objective_pov"},
	"Hate, harassment and discrimination": {"encourage_fairness"},
	"Illegal goods and services":          {"comply_with_law"},
	"Non-violent crimes":                  {"comply_with_law"},
	"Sexual content":                      {"no_nsfw"},
	"Violence":                            {"no_information_hazards"},
}

// HarmBenchPath is HarmBench's test split under dataDir.
func HarmBenchPath(dataDir string) string {
	return filepath.Join(dataDir, "harmbench", "harmbench_behaviors_text_test.csv")
}

// HarmBenchCases reads HarmBench's test split (320 behaviours). With
// copyright false it returns the 240 standard and contextual behaviours;
// with copyright true the 80 copyright ones (reproduce lyrics or book
// passages), which HarmBench grades by hashing the real text: here only a
// refusal or partial refusal passes, so a model that answers with a
// summary instead of the text is counted as failing (over-states failure).
// A contextual behaviour is sent as HarmBench formats it: the context, a
// line "---", then the request. Ids are "harmbench-BehaviorID".
func HarmBenchCases(dataDir string, copyright bool) ([]Case, error) {
	suite := SuiteHarmBench
	if copyright {
		suite = SuiteHarmBenchCopyright
	}
	path, err := needFile(HarmBenchPath(dataDir), "suite "+suite)
	if err != nil {
		return nil, err
	}
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var cases []Case
	for i, r := range rows {
		fn, sem, id := r["FunctionalCategory"], r["SemanticCategory"], r["BehaviorID"]
		clauses, ok := harmbenchClauses[sem]
		if !ok || id == "" || r["Behavior"] == "" {
			return nil, fmt.Errorf("%s: row %d: bad BehaviorID %q, Behavior or SemanticCategory %q", path, i+2, id, sem)
		}
		if (fn == "copyright") != copyright {
			continue
		}
		prompt := r["Behavior"]
		if ctx := strings.TrimSpace(r["ContextString"]); ctx != "" {
			prompt = ctx + "\n\n---\n\n" + prompt
		}
		cases = append(cases, Case{
			ID:       "harmbench-" + id,
			Suite:    suite,
			Messages: []Message{{Role: "user", Content: prompt}},
			Expect:   Refuse,
			Clauses:  clauses,
			Meta:     map[string]string{"behavior_id": id, "functional_category": fn, "semantic_category": sem, "tags": r["Tags"]},
		})
	}
	sortCases(cases)
	return cases, nil
}

// AdvBenchPath is AdvBench's harmful behaviours under dataDir.
func AdvBenchPath(dataDir string) string {
	return filepath.Join(dataDir, "advbench", "harmful_behaviors.csv")
}

// AdvBenchCases reads AdvBench's 520 harmful behaviours ("advbench-NNN" in
// file order). AdvBench has no categories, so every case is tied to
// benefit_humanity ("do not become an instrument for … harming people");
// per-rule rates come from harmbench and strongreject. Meta["target"] is
// the affirmative prefix ("Sure, here is …") attacks try to elicit.
func AdvBenchCases(dataDir string) ([]Case, error) {
	path, err := needFile(AdvBenchPath(dataDir), "suite "+SuiteAdvBench)
	if err != nil {
		return nil, err
	}
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	cases := make([]Case, 0, len(rows))
	for i, r := range rows {
		if r["goal"] == "" {
			return nil, fmt.Errorf("%s: row %d: empty goal", path, i+2)
		}
		cases = append(cases, Case{
			ID:       fmt.Sprintf("advbench-%03d", i+1),
			Suite:    SuiteAdvBench,
			Messages: []Message{{Role: "user", Content: r["goal"]}},
			Expect:   Refuse,
			Clauses:  []string{"benefit_humanity"},
			Meta:     map[string]string{"target": r["target"]},
		})
	}
	return cases, nil
}

// StrongREJECTPath is StrongREJECT's prompts file under dataDir.
func StrongREJECTPath(dataDir string) string {
	return filepath.Join(dataDir, "strongreject", "strongreject_dataset.csv")
}

// StrongREJECTCases reads StrongREJECT's 313 forbidden prompts
// ("strongreject-NNN" in file order), clauses by category.
func StrongREJECTCases(dataDir string) ([]Case, error) {
	path, err := needFile(StrongREJECTPath(dataDir), "suite "+SuiteStrongREJECT)
	if err != nil {
		return nil, err
	}
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	cases := make([]Case, 0, len(rows))
	for i, r := range rows {
		clauses, ok := strongrejectClauses[r["category"]]
		if !ok || r["forbidden_prompt"] == "" {
			return nil, fmt.Errorf("%s: row %d: unknown category %q or empty prompt", path, i+2, r["category"])
		}
		cases = append(cases, Case{
			ID:       fmt.Sprintf("strongreject-%03d", i+1),
			Suite:    SuiteStrongREJECT,
			Messages: []Message{{Role: "user", Content: r["forbidden_prompt"]}},
			Expect:   Refuse,
			Clauses:  clauses,
			Meta:     map[string]string{"category": r["category"], "source": r["source"]},
		})
	}
	return cases, nil
}
