package classify

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refFeatures is Features of the feature set fs on the reference
// featuriser (ref_test.go).
func refFeatures(fs FeatureSet, text string, bits uint, fn func(start, end int, feats []uint32)) {
	t := refTokenizer{mask: 1<<bits - 1, emit: fn, contentSkeleton: fs >= SkeletonContentWords, skipNumbers: fs >= WithoutNumbers}
	t.run(text)
}

// refNormalize is Normalize on the reference featuriser.
func refNormalize(text string) string {
	var out []byte
	t := refTokenizer{skipNumbers: CurrentFeatures >= WithoutNumbers, words: func(w []byte) {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, w...)
	}}
	t.run(text)
	return string(out)
}

// fileWeights returns the weights of m as the file stores them
// ([bucket*k + category]), from its encoding: TestModelRoundTrip checks
// that encoding the embedded model gives back its file.
func fileWeights(t testing.TB, m *Model) []int8 {
	raw := rawOf(t, m)
	n := binary.LittleEndian.Uint32(raw[len(magic):])
	w := raw[len(magic)+4+int(n):]
	if len(w) != m.k<<m.Header.Bits {
		t.Fatalf("%d weight bytes, want %d", len(w), m.k<<m.Header.Bits)
	}
	out := make([]int8, len(w))
	for i, b := range w {
		out[i] = int8(b)
	}
	return out
}

// wordFeatures is one word as Features reports it.
type wordFeatures struct {
	start, end int
	feats      []uint32
}

func collect(f func(fn func(start, end int, feats []uint32))) []wordFeatures {
	var out []wordFeatures
	f(func(start, end int, feats []uint32) {
		out = append(out, wordFeatures{start, end, slices.Clone(feats)})
	})
	return out
}

// sameScores reports whether a and b are equal, floats bit for bit.
func sameScores(a, b []Score) bool {
	return slices.EqualFunc(a, b, func(x, y Score) bool {
		return x.Category == y.Category && x.Clause == y.Clause && x.Start == y.Start && x.End == y.End &&
			math.Float64bits(x.Score) == math.Float64bits(y.Score) && math.Float64bits(x.Margin) == math.Float64bits(y.Margin)
	})
}

// randomModel is a model of k categories over 2^10 buckets, with windows
// of window words, random weights (a third of them zero), biases and
// thresholds, and the second category refining the first.
func randomModel(t testing.TB, k, window int, fs FeatureSet, seed uint64) *Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(k)))
	h := Header{Bits: 10, Window: window, Features: fs}
	w := make([][]float32, k)
	for c := range k {
		cat := Category{Name: fmt.Sprint("c", c), Bias: rng.NormFloat64(), Threshold: rng.NormFloat64()}
		if c == 1 {
			cat.Requires = "c0"
		}
		h.Categories = append(h.Categories, cat)
		w[c] = make([]float32, 1<<h.Bits)
		for b := range w[c] {
			if rng.IntN(3) > 0 {
				w[c][b] = float32(rng.NormFloat64())
			}
		}
	}
	m, err := NewModel(h, w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// referenceModels are the embedded model and random ones of one row word
// (up to 8 categories) and two (9 to 16), with windows shorter and longer
// than most texts, on both feature sets.
func referenceModels(t testing.TB) []*Model {
	ms := []*Model{Default()}
	for i, k := range []int{1, 2, 7, 8, 9, 16} {
		for j, window := range []int{1, 3, 48} {
			ms = append(ms, randomModel(t, k, window, FeatureSet(1+(i+j)%2), uint64(10*i+j)))
		}
	}
	return ms
}

// compareReference fails t where the featuriser or the scorer differs from
// the reference on text.
func compareReference(t *testing.T, text string, models []*Model, weights [][]int8) {
	t.Helper()
	if got, want := Normalize(text), refNormalize(text); got != want {
		t.Fatalf("Normalize(%q) = %q, reference %q", text, got, want)
	}
	for _, fs := range []FeatureSet{SkeletonAllWords, SkeletonContentWords} {
		for _, bits := range []uint{10, 18} {
			got := collect(func(fn func(int, int, []uint32)) { fs.Features(text, bits, fn) })
			want := collect(func(fn func(int, int, []uint32)) { refFeatures(fs, text, bits, fn) })
			if !slices.EqualFunc(got, want, func(a, b wordFeatures) bool {
				return a.start == b.start && a.end == b.end && slices.Equal(a.feats, b.feats)
			}) {
				t.Fatalf("features (set %d, %d bits) of %q differ from the reference:\n%v\n%v", fs, bits, text, got, want)
			}
			for _, w := range got {
				if len(w.feats) > maxWordFeatures {
					t.Fatalf("%d features in one word of %q, over maxWordFeatures", len(w.feats), text)
				}
			}
		}
	}
	for i, m := range models {
		if got, want := m.Classify(text), refClassify(m, weights[i], text); !sameScores(got, want) {
			t.Fatalf("model %d (%d categories, window %d): Classify(%q) =\n%v\nreference\n%v", i, m.k, m.Header.Window, text, got, want)
		}
	}
}

// TestReference checks that the featuriser and the scorer give exactly
// what the reference gives, on the test files, generated evasion texts and
// long texts, with the embedded model and random ones.
func TestReference(t *testing.T) {
	models := referenceModels(t)
	weights := make([][]int8, len(models))
	for i, m := range models {
		weights[i] = fileWeights(t, m)
	}
	texts := []string{"", " ", "a", "you are", benchText(1 << 10), proseText(2 << 10), strings.Repeat("b.o.m.b. ", 200)}
	for _, c := range loadCases(t) {
		texts = append(texts, c.Text)
	}
	for _, c := range loadNormCases(t) {
		texts = append(texts, c.Text)
	}
	n := 2000
	if testing.Short() || raceEnabled {
		n = 200
	}
	texts = append(texts, EvasionTexts(n)...)
	for _, text := range texts {
		compareReference(t, text, models, weights)
	}
}

// TestReferenceExtremes checks the bounds window's lanes rely on: words
// with the most features there can be, in a window of the most words a
// model may have, with every weight at the largest magnitude of either
// sign, score as in the reference.
func TestReferenceExtremes(t *testing.T) {
	// A run of maxPending one-rune words of four bytes is one word of 128
	// bytes, with no two equal bytes in a row: 128 skeleton 4-grams.
	var run strings.Builder
	for r := rune(0x10081); run.Len() < maxPending*5; r++ {
		if r&0x3f == 2 { // U+10082 ends in 0x82 0x82
			continue
		}
		run.WriteRune(r)
		run.WriteByte(' ')
	}
	most := 0
	Features("after "+run.String(), 18, func(_, _ int, feats []uint32) { most = max(most, len(feats)) })
	if most != maxWordFeatures-1 { // all but the decoded word, which needs ASCII letters and digits
		t.Fatalf("the longest word has %d features, want %d", most, maxWordFeatures-1)
	}
	if raceEnabled {
		t.Skip("10 MB under the race detector")
	}
	h := Header{Bits: 10, Window: maxWindow, Features: CurrentFeatures, Categories: []Category{{Name: "up"}, {Name: "down"}, {Name: "mixed"}}}
	w := [][]float32{make([]float32, 1<<10), make([]float32, 1<<10), make([]float32, 1<<10)}
	for b := range w[0] {
		w[0][b], w[1][b], w[2][b] = 1, -1, float32(b%2*2-1)
	}
	m, err := NewModel(h, w)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat(run.String()+"\n", maxWindow+100)
	if got, want := m.Classify(text), refClassify(m, fileWeights(t, m), text); !sameScores(got, want) {
		t.Fatalf("Classify = %v, reference %v", got, want)
	}
}

// FuzzReference compares the featuriser and the scorer with the reference
// on any text.
func FuzzReference(f *testing.F) {
	for _, c := range loadNormCases(f) {
		f.Add(c.Text)
	}
	for _, s := range EvasionTexts(50) {
		f.Add(s)
	}
	models := referenceModels(f)
	weights := make([][]int8, len(models))
	for i, m := range models {
		weights[i] = fileWeights(f, m)
	}
	f.Fuzz(func(t *testing.T, text string) {
		compareReference(t, text, models, weights)
	})
}

// EvasionTexts returns n pseudo-random texts (fixed seed) made of the
// pieces every rule of the featuriser reacts to: leetspeak, spaced and
// dotted letters, repeated letters, function words, apostrophes,
// confusable, compatibility, invisible and combining characters, tag
// characters, invalid bytes, line breaks and long runs. It is exported
// for the golden dump (dump_test.go, package classify_test).
func EvasionTexts(n int) []string {
	pieces := []string{
		"a", "b", "o", "m", "i", "k", "l", "e", "s", "t", "A", "B", "Z", "q",
		" ", " ", " ", " ", ". ", ".", "-", " - ", "*", "_", "\n", "\r\n", "\t", ",", "!", "?", "  ",
		"0", "1", "3", "4", "5", "7", "11", "@", "$", "10mg", "1st", "1990s", "python3", "ki11", "h4ck3r", "$ex", "r@pe",
		"bomb", "kill", "you", "are", "the", "a b o m b", "b.o.m.b", "k*i*l*l", "boooomb", "kiiiill", "aaa", "lll",
		"don't", "you're", "it\u2019s", "can\u02bct", "'", "\u2019",
		"вомв", "ΒΟΜΒ", "ａｂｃ", "𝐛𝐨𝐦𝐛", "ⓑⓞⓜⓑ", "ﬁ", "bömb", "b\u0336o\u0337", "\u0301\u0301", "ø", "ł", "ß", "İ",
		"\u200b", "\u202e", "\u00ad", "\ufe0f", "\U000e0062\U000e006f", "\U0001f1e7\U0001f1f4", "\U0001f170", "¼", "½",
		"\xff", "\xc3", "\xe2\x82", "\x80", "日本語", "テスト", "ह\u093f", "😀", "\u2028", "\u0085", "\v",
		"supercalifragilisticexpialidocious", strings.Repeat("x", 60), strings.Repeat("é", 30),
	}
	r := rand.New(rand.NewPCG(20260101, 7))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range r.IntN(400) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		out[i] = b.String()
	}
	return out
}
