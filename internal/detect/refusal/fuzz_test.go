package refusal

import (
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// FuzzDetect checks that Detect never panics and that every finding keeps
// the Finding contract, starting from the case corpus.
func FuzzDetect(f *testing.F) {
	for _, c := range loadCases(f) {
		f.Add(c.Response)
	}
	f.Add("\xffI can\xfe't help\x00. Sorry \xc3")
	f.Add("1. 2. 3. \"I cannot\" 'no,' No, no. - * \u2022 ```")
	d := &Detector{} // every response
	f.Fuzz(func(t *testing.T, text string) {
		fs := d.Detect(text)
		if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzClassifyPair checks ClassifyPair on any prompt and response: a valid
// label, scores in [0, 1], spans within the response on rune boundaries, and
// findings that keep the Finding contract.
func FuzzClassifyPair(f *testing.F) {
	for _, c := range loadCases(f) {
		f.Add(c.Prompt, c.Response)
	}
	f.Add("say \"I'm sorry\"", "I'm sorry")
	f.Fuzz(func(t *testing.T, prompt, response string) {
		r := ClassifyPair(prompt, response)
		checkResult(t, response, r)
		for _, sp := range r.Spans {
			if sp.Start < 0 || sp.End > len(response) || sp.Start > sp.End {
				t.Fatalf("span %v outside the response", sp)
			}
		}
		fs := New().DetectPair(prompt, response)
		if err := detecttest.Check(response, fs, ID, Clause, Category); err != nil {
			t.Fatal(err)
		}
	})
}
