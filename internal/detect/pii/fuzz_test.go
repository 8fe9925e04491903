package pii

import (
	"path/filepath"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// FuzzDetect checks that no detector panics and that every finding keeps
// the Finding contract, starting from every case file.
func FuzzDetect(f *testing.F) {
	for _, cat := range Categories {
		cs, err := detecttest.LoadCases(filepath.Join("testdata", cat+".jsonl"))
		if err != nil {
			f.Fatal(err)
		}
		for _, c := range cs {
			f.Add(c.Text)
		}
	}
	f.Add("\xffjane@\xfeexample.com 4111\xc3 1111 1111 1111 +1 (\xe2\x80")
	f.Add("Mr. \xc3\xa9 Dear X\n> 12 Baker St\n> Apt. 4\n> IL 62704 born 1/2/1980 ::ffff:1.2.3.4")
	_, all := detectors()
	f.Fuzz(func(t *testing.T, text string) {
		for cat, d := range all {
			fs := d.Detect(text)
			if err := detecttest.Check(text, fs, IDPrefix+cat, Clause, cat); err != nil {
				t.Fatalf("%s: %v", cat, err)
			}
			for _, f := range fs {
				if f.End <= f.Start {
					t.Fatalf("%s: empty span %+v", cat, f)
				}
			}
		}
		checkSkips(t, text)
	})
}
