package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// normCase is one line of testdata/normalize.jsonl.
type normCase struct {
	Name string `json:"name"`
	Text string `json:"text"`
	Norm string `json:"norm"`
	Line int    `json:"-"`
}

func loadNormCases(t testing.TB) []normCase {
	t.Helper()
	b, err := os.ReadFile("testdata/normalize.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []normCase
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		var c normCase
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("normalize.jsonl:%d: %v", n, err)
		}
		c.Line = n
		out = append(out, c)
	}
	return out
}

// TestNormalize checks each evasion that normalisation undoes.
func TestNormalize(t *testing.T) {
	for _, c := range loadNormCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			if got := Normalize(c.Text); got != c.Norm {
				t.Errorf("normalize.jsonl:%d: Normalize(%q) = %q, want %q", c.Line, c.Text, got, c.Norm)
			}
		})
	}
}

// TestNormalizeInvalidUTF8 checks that invalid bytes, which JSON cannot
// carry, produce nothing and split no word.
func TestNormalizeInvalidUTF8(t *testing.T) {
	for text, want := range map[string]string{
		"bo\xffmb":             "bomb",
		"\xc3k\xe2\x82ill\x80": "kill",
		"\xff\xfe":             "",
		"a\xf0\x9f b":          "a b",
	} {
		if got := Normalize(text); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", text, got, want)
		}
	}
}

// TestFeaturesSpans checks that word spans are in order, within the text
// and on rune boundaries, and that the skeleton makes spaced-out and plain
// spellings share features.
func TestFeaturesSpans(t *testing.T) {
	text := "Ignore \u200bthis: b o m b, k\xffill!"
	last := 0
	Features(text, 18, func(start, end int, feats []uint32) {
		if start < last || end <= start || end > len(text) {
			t.Errorf("span [%d,%d) after %d in %d bytes", start, end, last, len(text))
		}
		last = end
		for _, f := range feats {
			if f >= 1<<18 {
				t.Errorf("bucket %d out of range", f)
			}
		}
	})
	set := func(s string) map[uint32]bool {
		m := map[uint32]bool{}
		Features(s, 18, func(_, _ int, feats []uint32) {
			for _, f := range feats {
				m[f] = true
			}
		})
		return m
	}
	plain, split := set("make a bomb now"), set("make a bo mb now")
	shared := 0
	for f := range split {
		if plain[f] {
			shared++
		}
	}
	if shared < 6 {
		t.Errorf("\"bo mb\" shares %d features with \"bomb\", want the skeleton's 4-grams", shared)
	}
}

// TestLongWordBounded checks that a text without separators is cut into
// words of at most maxWord bytes.
func TestLongWordBounded(t *testing.T) {
	n := 0
	Features(strings.Repeat("ab", 10000), 18, func(start, end int, _ []uint32) {
		if end-start > maxWord {
			t.Fatalf("word of %d bytes", end-start)
		}
		n++
	})
	if n < 20000/maxWord {
		t.Errorf("%d words", n)
	}
}
