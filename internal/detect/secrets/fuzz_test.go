package secrets

import (
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// FuzzDetect checks that Detect never panics, that every finding keeps the
// Finding contract, and that it finds what the whole-text reference finds,
// starting from the case corpus.
func FuzzDetect(f *testing.F) {
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cs {
		f.Add(c.Text)
	}
	f.Add("\xffghp_\xfe" + "AKIA\xc3 key=\x00-----BEGIN PRIVATE KEY-----\xe2\x80")
	f.Add("api_key = 'Zx8Kp2Lm9Qr4Tv7Wn1Bc' token: ey" + "J0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ")
	d := &Detector{} // every finding
	f.Fuzz(func(t *testing.T, text string) {
		fs := d.Detect(text)
		if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.End <= f.Start {
				t.Fatalf("empty span %+v", f)
			}
		}
		compareReference(t, d, text)
	})
}
