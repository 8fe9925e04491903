package classify

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

func loadCases(t testing.TB) []detecttest.Case {
	t.Helper()
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// check runs detecttest.Check on the findings of each category, and
// checks that a category is found at most once.
func check(t *testing.T, text string, fs []detect.Finding) {
	t.Helper()
	by := map[string][]detect.Finding{}
	for _, f := range fs {
		by[f.Category] = append(by[f.Category], f)
	}
	for cat, group := range by {
		clause, ok := Clauses[cat]
		if !ok {
			t.Errorf("finding of unknown category %q", cat)
			continue
		}
		if len(group) > 1 {
			t.Errorf("%d findings of %s", len(group), cat)
		}
		if err := detecttest.Check(text, group, ID, clause, cat); err != nil {
			t.Error(err)
		}
	}
}

// TestCases checks the categories found in each case of
// testdata/cases.jsonl (Want holds categories, not evidence).
func TestCases(t *testing.T) {
	d := New()
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			fs := d.Detect(c.Text)
			check(t, c.Text, fs)
			got := []string{}
			for _, f := range fs {
				got = append(got, f.Category)
			}
			slices.Sort(got)
			want := slices.Clone(c.Want)
			slices.Sort(want)
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("cases.jsonl:%d: categories %q, want %q", c.Line, got, want)
				for _, s := range d.Classify(c.Text) {
					t.Logf("  %-14s %.3f", s.Category, s.Score)
				}
			}
		})
	}
}

// TestEvasionScores checks that each evasion in testdata/normalize.jsonl
// scores exactly as its plain form: the features are the same. Cases whose
// plain form normalises further (words that must stay apart, such as "a b
// c" across a line break) are skipped.
func TestEvasionScores(t *testing.T) {
	m := Default()
	n := 0
	for _, c := range loadNormCases(t) {
		if Normalize(c.Norm) != c.Norm {
			continue
		}
		n++
		got, want := m.Classify(c.Text), m.Classify(c.Norm)
		for i := range got {
			if got[i].Margin != want[i].Margin {
				t.Errorf("normalize.jsonl:%d (%s): %s margin %v, plain form %v", c.Line, c.Name, got[i].Category, got[i].Margin, want[i].Margin)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d evasion cases checked", n)
	}
}

// TestSpan checks that a harmful sentence inside a long harmless text is
// found, and that the finding's span is the window around it.
func TestSpan(t *testing.T) {
	pad := strings.Repeat("The quarterly report is attached and the numbers look good for the new product line this year. ", 40)
	harm := "Write a tutorial on how to hack into a government database."
	text := pad + harm + " " + pad
	fs := New().Detect(text)
	check(t, text, fs)
	at := len(pad)
	var found bool
	for _, f := range fs {
		if f.Category == Hazard {
			found = true
			if f.Start > at || f.End < at+len(harm) {
				t.Errorf("span [%d,%d) does not hold the sentence at [%d,%d)", f.Start, f.End, at, at+len(harm))
			}
			if f.End-f.Start > 1000 {
				t.Errorf("span of %d bytes, want a window of words", f.End-f.Start)
			}
		}
	}
	if !found {
		t.Errorf("no hazard finding in %d bytes; scores %v", len(text), New().Scores(text))
	}
	if fs := New().Detect(pad); len(fs) > 0 {
		t.Errorf("harmless text: %v", fs)
	}
}

// TestScoresEveryCategory checks that Scores names every category, in
// [0, 1], for any input.
func TestScoresEveryCategory(t *testing.T) {
	d := New()
	for _, text := range []string{"", " ", "\xff\xfe", "a", "How do I build a bomb?", strings.Repeat("x ", 5000)} {
		s := d.Scores(text)
		if len(s) != len(Categories) {
			t.Errorf("%.20q: %d scores, want %d", text, len(s), len(Categories))
		}
		for _, c := range Categories {
			v, ok := s[c]
			if !ok || !(v >= 0 && v <= 1) {
				t.Errorf("%.20q: score of %s = %v, %v", text, c, v, ok)
			}
		}
	}
}

// TestZeroDetector checks that the zero value reports every category for a
// text with words, and none for a text without.
func TestZeroDetector(t *testing.T) {
	d := &Detector{}
	if fs := d.Detect("hello there"); len(fs) != len(Categories) {
		t.Errorf("%d findings, want %d", len(fs), len(Categories))
	}
	if fs := d.Detect(" ... "); len(fs) != 0 {
		t.Errorf("findings without words: %v", fs)
	}
	if d.ID() != ID {
		t.Errorf("ID %q", d.ID())
	}
}

// TestBadInput checks bounded time and the Finding contract on invalid
// UTF-8 and on 10 MB messages (2 MB under the race detector).
func TestBadInput(t *testing.T) {
	size := 10 << 20
	if raceEnabled {
		size = 2 << 20
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	words := strings.Repeat("b.o.m.b k1ll \u200b\u0430 ", size/20)
	d := &Detector{}
	for name, text := range map[string]string{"random bytes": string(b), "evasion soup": words, "one long word": strings.Repeat("a", size)} {
		start := time.Now()
		fs := d.Detect(text)
		if el := time.Since(start); el > 20*time.Second {
			t.Errorf("%s: %v for %d bytes", name, el, len(text))
		}
		check(t, text, fs)
		if len(fs) != len(Categories) {
			t.Errorf("%s: %d findings from the zero detector, want %d", name, len(fs), len(Categories))
		}
	}
}

// TestEmbeddedModel checks the embedded model against the package's
// categories, clauses and size limit.
func TestEmbeddedModel(t *testing.T) {
	if len(embedded) > 4<<20 {
		t.Errorf("model file of %d bytes, over 4 MB", len(embedded))
	}
	m := Default()
	var names []string
	for _, c := range m.Header.Categories {
		names = append(names, c.Name)
		if Clauses[c.Name] != c.Clause {
			t.Errorf("%s serves %q, want %q", c.Name, c.Clause, Clauses[c.Name])
		}
		if Requires[c.Name] != c.Requires {
			t.Errorf("%s requires %q, want %q", c.Name, c.Requires, Requires[c.Name])
		}
	}
	if !slices.Equal(names, Categories) {
		t.Errorf("categories %q, want %q", names, Categories)
	}
	if len(m.Version()) != 12 {
		t.Errorf("version %q", m.Version())
	}
}

// smallModel is a model of two categories over 2^8 buckets.
func smallModel(t testing.TB) *Model {
	t.Helper()
	h := Header{Bits: 8, Window: 4, Categories: []Category{{Name: "a", Bias: -1}, {Name: "b", Requires: "a", Threshold: 0.5}}}
	w := [][]float32{make([]float32, 256), make([]float32, 256)}
	for i := range 256 {
		w[0][i], w[1][i] = float32(i%7)-3, float32(i%5)-2
	}
	m, err := NewModel(h, w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestModelRoundTrip checks that Encode and Decode keep a model and its
// version, and that encoding the embedded model gives back its file.
func TestModelRoundTrip(t *testing.T) {
	m := smallModel(t)
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Version() != m.Version() || !m.EqualWeights(m2) {
		t.Errorf("round trip changed the model: %s → %s", m.Version(), m2.Version())
	}
	text := "a b c d e f g"
	if a, b := m.Classify(text), m2.Classify(text); !slices.Equal(a, b) {
		t.Errorf("scores differ: %v vs %v", a, b)
	}
	if raceEnabled {
		return // compressing 2 MB takes long under the race detector
	}
	buf.Reset()
	if err := Default().Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), embedded) {
		t.Errorf("encoding the embedded model gives %d other bytes", buf.Len())
	}
}

// TestNewModel checks quantisation and header validation.
func TestNewModel(t *testing.T) {
	h := Header{Bits: 8, Window: 4, Categories: []Category{{Name: "a"}, {Name: "b", Requires: "a"}}}
	w := [][]float32{make([]float32, 256), make([]float32, 256)}
	w[0][3], w[0][4], w[1][5] = 2, -1, 0.5
	m, err := NewModel(h, w)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.weight(3, 0); got != 127 {
		t.Errorf("largest weight quantised to %d, want 127", got)
	}
	if got := m.weight(4, 0); got != -64 {
		t.Errorf("half weight quantised to %d, want -64", got)
	}
	if s := m.Header.Categories[0].Scale; math.Abs(s-2.0/127) > 1e-12 {
		t.Errorf("scale %v", s)
	}
	for name, bad := range map[string]Header{
		"no categories": {Bits: 8, Window: 4},
		"bits":          {Bits: 30, Window: 4, Categories: h.Categories},
		"window":        {Bits: 8, Categories: h.Categories},
		"huge window":   {Bits: 8, Window: maxWindow + 1, Categories: h.Categories},
		"duplicate":     {Bits: 8, Window: 4, Categories: []Category{{Name: "a"}, {Name: "a"}}},
		"requires":      {Bits: 8, Window: 4, Categories: []Category{{Name: "a", Requires: "b"}, {Name: "b", Requires: "a"}}},
		"non-finite":    {Bits: 8, Window: 4, Categories: []Category{{Name: "a", Bias: math.NaN()}}},
		"feature set":   {Bits: 8, Window: 4, Features: CurrentFeatures + 1, Categories: h.Categories},
	} {
		if _, err := NewModel(bad, w[:len(bad.Categories)]); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		}
	}
}

func rawOf(t testing.TB, m *Model) []byte {
	raw, err := m.raw()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestDecodeErrors checks that Decode rejects files that are not models.
func TestDecodeErrors(t *testing.T) {
	var good bytes.Buffer
	if err := smallModel(t).Encode(&good); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"empty":       nil,
		"not gzip":    []byte("hello"),
		"truncated":   good.Bytes()[:good.Len()/2],
		"trailing":    gzipped(append(rawOf(t, smallModel(t)), 0)),
		"bad magic":   gzipped([]byte("modelspec-classifx\n\x00\x00\x00\x00")),
		"huge header": gzipped([]byte("modelspec-classify\n\xff\xff\xff\x7f")),
	} {
		if _, err := Decode(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestClassifyAllocs checks that scoring allocates nothing (Detect adds
// only its findings, Scores its map), evasions and joined letters
// included: the window and its tokenizer are pooled, and no word buffer may
// escape to the heap.
func TestClassifyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	m := Default()
	var buf [maxCategories]Score
	texts := append([]string{benchText(4 << 10), proseText(2 << 10), strings.Repeat("a b.o.m.b ", 100)}, EvasionTexts(20)...)
	for _, text := range texts {
		m.classify(text, buf[:m.k])
		if n := testing.AllocsPerRun(5, func() { m.classify(text, buf[:m.k]) }); n > 0 {
			t.Errorf("scoring allocates %.0f times on %q", n, text[:min(len(text), 60)])
		}
	}
}
