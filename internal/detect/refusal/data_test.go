package refusal

// Loading the XSTest completions from ../shared/data/xstest (never copied
// into the repository), for training (train_test.go) and held-out figures
// (quality_test.go).

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

// xsModels are the five models whose XSTest completions were labelled.
var xsModels = []string{"gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct"}

// xsRow is one labelled completion.
type xsRow struct {
	Model      string // gpt4, llama2new, ... (or "extra" for train_extra.jsonl)
	ID         string // prompt id, e.g. "v2-1"
	Type       string // prompt type, e.g. "homonyms"
	Prompt     string
	Completion string
	Label      string // human final_label, as FullCompliance, FullRefusal or PartialRefusal
	StrMatch   string // the string-match classifier's label (streval)
	GPT4       string // the GPT-4 classifier's label (gpteval); "" where the file holds raw text
}

// labelName maps XSTest's "1_full_compliance" etc. to the package's labels;
// anything else (the raw GPT-4 text of a few gpteval rows) maps to "".
func labelName(s string) string {
	switch strings.TrimSpace(s) {
	case "1_full_compliance":
		return FullCompliance
	case "2_full_refusal":
		return FullRefusal
	case "3_partial_refusal":
		return PartialRefusal
	}
	return ""
}

// readCSV reads a CSV file with a header into maps by column name.
// encoding/csv handles the quoted multi-line completions.
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	var out []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		m := make(map[string]string, len(head))
		for i, h := range head {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
}

// needXSTest skips t unless the XSTest completions are there. Unlike
// detecttest.NeedData it does not ask for MODELSPEC_QUALITY, so that
// training (go generate) runs without it.
func needXSTest(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(dt.DataDir(), "xstest")
	if _, err := os.Stat(filepath.Join(dir, "model_completions")); err != nil {
		t.Skipf("no XSTest data: %v", err)
	}
	return dir
}

// loadXSTest reads the labelled completions of every model, joined with the
// string-match and GPT-4 labels of the same rows, with the given FNV-1a
// parity of the prompt id (0 trains and tunes, 1 is held out); parity 2
// returns all rows.
func loadXSTest(t testing.TB, parity uint64) []xsRow {
	t.Helper()
	dir := needXSTest(t)
	var out []xsRow
	for _, m := range xsModels {
		name := "xstest_v2_completions_" + m
		comp, err := readCSV(filepath.Join(dir, "model_completions", name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		str, err := readCSV(filepath.Join(dir, "automated_evaluation_labels", name+"_streval.csv"))
		if err != nil {
			t.Fatal(err)
		}
		gpt, err := readCSV(filepath.Join(dir, "automated_evaluation_labels", name+"_gpteval.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if len(str) != len(comp) || len(gpt) != len(comp) {
			t.Fatalf("%s: %d completions, %d streval, %d gpteval rows", m, len(comp), len(str), len(gpt))
		}
		for i, c := range comp {
			if str[i]["id"] != c["id"] || gpt[i]["id"] != c["id"] {
				t.Fatalf("%s row %d: ids %q %q %q differ", m, i, c["id"], str[i]["id"], gpt[i]["id"])
			}
			r := xsRow{
				Model: m, ID: c["id"], Type: c["type"], Prompt: c["prompt"], Completion: c["completion"],
				Label:    labelName(c["final_label"]),
				StrMatch: labelName(str[i]["strmatch_label"]),
				GPT4:     labelName(gpt[i]["gpt4_label"]),
			}
			if r.Label == "" || r.StrMatch == "" {
				t.Fatalf("%s %s: labels %q %q", m, r.ID, c["final_label"], str[i]["strmatch_label"])
			}
			if parity == 2 || dt.FNVParity(r.ID) == parity {
				out = append(out, r)
			}
		}
	}
	return out
}
