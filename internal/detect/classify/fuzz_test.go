package classify

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// FuzzDetect checks that Detect and Scores never panic, that every finding
// keeps the Finding contract and that every category has a score in
// [0, 1], starting from the case and normalisation corpora.
func FuzzDetect(f *testing.F) {
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cs {
		f.Add(c.Text)
	}
	for _, c := range loadNormCases(f) {
		f.Add(c.Text)
	}
	f.Add("b\xff.o\xfe.m.b k1\u200bll \U000e0062\U000e006f \u0301\u0301\u0301 a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j")
	d := &Detector{} // every category
	f.Fuzz(func(t *testing.T, text string) {
		fs := d.Detect(text)
		check(t, text, fs)
		for _, f := range fs {
			if f.End <= f.Start {
				t.Fatalf("empty span %+v", f)
			}
		}
		s := d.Scores(text)
		if len(s) != len(Categories) {
			t.Fatalf("%d scores", len(s))
		}
		for c, v := range s {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("score of %s = %v", c, v)
			}
		}
	})
}

// FuzzFeatures checks the word spans and buckets that training relies on:
// in order, within the text, on unit boundaries, below 2^bits, at most
// maxWordFeatures per word (window's lanes rely on it); and that
// Normalize never panics.
func FuzzFeatures(f *testing.F) {
	for _, c := range loadNormCases(f) {
		f.Add(c.Text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		// bound[i]: offset i starts a unit that utf8.DecodeRuneInString
		// walks (a rune or one invalid byte), or is len(text)
		bound := make([]bool, len(text)+1)
		for i := 0; i < len(text); {
			bound[i] = true
			_, w := utf8.DecodeRuneInString(text[i:])
			i += w
		}
		bound[len(text)] = true
		// Words come in order: starts and ends never go back. Two words
		// can share a source rune ("¼" is "1⁄4").
		lastStart, lastEnd := 0, 0
		Features(text, 10, func(start, end int, feats []uint32) {
			if start < lastStart || end < lastEnd || end <= start || end > len(text) {
				t.Fatalf("span [%d,%d) after [%d,%d) in %d bytes", start, end, lastStart, lastEnd, len(text))
			}
			if !bound[start] || !bound[end] {
				t.Fatalf("span [%d,%d) not on unit boundaries", start, end)
			}
			lastStart, lastEnd = start, end
			if len(feats) > maxWordFeatures {
				t.Fatalf("%d features in one word, over maxWordFeatures", len(feats))
			}
			for _, b := range feats {
				if b >= 1<<10 {
					t.Fatalf("bucket %d", b)
				}
			}
		})
		if n := Normalize(text); !utf8.ValidString(n) {
			t.Fatalf("Normalize gave invalid UTF-8 %q", n)
		}
	})
}

// FuzzDecode checks that Decode never panics on a corrupt model file and
// that whatever it accepts can classify.
func FuzzDecode(f *testing.F) {
	h := Header{Bits: 8, Window: 4, Categories: []Category{{Name: "a"}, {Name: "b", Requires: "a"}}}
	w := [][]float32{make([]float32, 256), make([]float32, 256)}
	w[0][1] = 1
	m, err := NewModel(h, w)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		m.Classify("a b c d e f")
	})
}
