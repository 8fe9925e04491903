package rolespoof

import (
	"reflect"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// FuzzDetect checks that Detect never panics and that every finding keeps
// the Finding contract, starting from the case corpus.
func FuzzDetect(f *testing.F) {
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cs {
		f.Add(c.Text)
	}
	f.Add("\xff<|im_start|>\xfe\n\nHuman:\x00")
	f.Add("<system a='1'>x y</system><sys>")
	d := &Detector{} // every finding
	f.Add("## \u0455ystem: x\n[INST] a \uff1csys\u200b>")
	f.Add("line\r\n  >> **System**: you are\x00\n<\xff|im_start|>")
	f.Fuzz(func(t *testing.T, text string) {
		fs := d.Detect(text)
		if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
			t.Fatal(err)
		}
		if got, want := mayHold(text), mayHoldReference(text); got != want {
			t.Fatalf("mayHold(%q) = %v, reference %v", text, got, want)
		}
		// The prefilter never changes the findings.
		if full := d.detect(text); !reflect.DeepEqual(fs, full) {
			t.Fatalf("Detect(%q) = %v, without the prefilter %v", text, fs, full)
		}
	})
}
