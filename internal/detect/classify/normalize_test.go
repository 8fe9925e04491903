package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"slices"
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

// feats returns every feature bucket of text in feature set fs, in order.
func feats(fs FeatureSet, text string) []uint32 {
	var out []uint32
	fs.Features(text, 18, func(_, _ int, f []uint32) { out = append(out, f...) })
	return out
}

// TestFeatureSets checks what feature set 2 changes: function words add no
// skeleton 4-grams, everything else is as in set 1; and that a model is
// scored with the set its header names (none: set 1).
func TestFeatureSets(t *testing.T) {
	for _, text := range []string{"bomb making instructions", "kill weeds quickly", "b.o.m.b"} {
		if a, b := feats(SkeletonAllWords, text), feats(SkeletonContentWords, text); !slices.Equal(a, b) {
			t.Errorf("%q: no function word, yet the sets differ", text)
		}
	}
	one, two := feats(SkeletonAllWords, "you are a cook"), feats(SkeletonContentWords, "you are a cook")
	// set 1: you (word), are (word, pair, 3 grams), a (word, pair, 1 gram),
	// cook (word, pair, 3 grams of the skeleton "youarecok"); set 2: the
	// same without the grams of you, are and a (cook: 0, only 3 letters)
	if len(one) != 14 || len(two) != 7 {
		t.Errorf("features of %q: %d in set 1, %d in set 2; want 14 and 7", "you are a cook", len(one), len(two))
	}
	if !slices.Equal(feats(CurrentFeatures, "you are a cook"), two) {
		t.Error("Features does not use CurrentFeatures")
	}
	for w := range stopWords {
		if len(w) > maxStopWord {
			t.Errorf("stop word %q longer than maxStopWord %d", w, maxStopWord)
		}
		if Normalize(w) != w {
			t.Errorf("stop word %q is not in normalised form %q", w, Normalize(w))
		}
	}

	h := Header{Bits: 18, Window: 8, Categories: []Category{{Name: "a"}}}
	w := [][]float32{make([]float32, 1<<18)}
	for _, b := range one {
		w[0][b] = 1
	}
	m1, err := NewModel(h, w)
	if err != nil {
		t.Fatal(err)
	}
	h.Features = SkeletonContentWords
	m2, err := NewModel(h, w)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := m1.Classify("you are a cook")[0].Margin, m2.Classify("you are a cook")[0].Margin; !(a > b) {
		t.Errorf("margins %v (set 1) and %v (set 2): a header's feature set is not used", a, b)
	}
}

// TestFunctionWordPairs checks that the pairs training holds at zero are
// the word-pair features the featuriser makes for two function words, and
// not those with a content word.
func TestFunctionWordPairs(t *testing.T) {
	pairs := map[uint32]bool{}
	for _, b := range FunctionWordPairs(18) {
		pairs[b] = true
	}
	if len(pairs) < len(stopWords)*len(stopWords)*9/10 {
		t.Errorf("%d distinct pair buckets for %d function words", len(pairs), len(stopWords))
	}
	var got [][]uint32
	CurrentFeatures.Features("you are idiots", 18, func(_, _ int, f []uint32) { got = append(got, slices.Clone(f)) })
	// "are" holds the pair "you are"; "idiots" the pair "are idiots"
	if len(got) != 3 || len(got[1]) != 2 || !pairs[got[1][1]] {
		t.Errorf("the pair of %q is not among the function-word pairs: %v", "you are", got)
	}
	if pairs[got[2][1]] && pairs[got[2][0]] {
		t.Errorf("a pair with a content word is among them")
	}
}
