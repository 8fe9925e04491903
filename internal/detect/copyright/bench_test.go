package copyright

import (
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
)

// prose returns about n bytes of English-like text: sentences of words
// drawn with a Zipf law from a vocabulary of 20,000 made-up words (the 100
// most frequent are real function words), with punctuation and paragraph
// breaks. Texts from different seeds share words and short phrases, as real
// texts do, but seldom a run of ShingleWords words.
func prose(seed int64, n int) string {
	r := rand.New(rand.NewSource(seed))
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocabulary())-1))
	voc := vocabulary()
	var b strings.Builder
	b.Grow(n + 200)
	for b.Len() < n {
		words := 6 + r.Intn(20)
		for i := range words {
			w := voc[z.Uint64()]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else if r.Intn(12) == 0 {
				b.WriteByte(',')
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		b.WriteString(".")
		if r.Intn(6) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()[:n]
}

var vocabulary = sync.OnceValue(func() []string {
	common := strings.Fields(`the of and to a in is it you that he was for on are with as I his they be at one have this from
		or had by not word but what some we can out other were all there when up use your how said an each she which do their
		time if will way about many then them write would like so these her long make thing see him two has look more day could
		go come did number sound no most people my over know water than call first who may down side been now find any new`)
	r := rand.New(rand.NewSource(1))
	syll := []string{"ka", "lo", "mi", "ren", "sa", "tor", "ul", "ve", "dan", "ish", "or", "pe", "quin", "bra", "sel", "th", "ar", "en"}
	seen := map[string]bool{}
	for _, w := range common {
		seen[w] = true
	}
	for len(common) < 20000 {
		var w string
		for range 1 + r.Intn(4) {
			w += syll[r.Intn(len(syll))]
		}
		if !seen[w] {
			seen[w] = true
			common = append(common, w)
		}
	}
	return common
})

const corpusSize = 100 * 100 << 10 // 10,240,000 bytes

// corpus is 10 MB of protected documents, 100 of 100 KB.
var corpus = sync.OnceValue(func() []Document {
	var docs []Document
	for i := range 100 {
		docs = append(docs, Document{ID: fmt.Sprintf("doc%03d", i), Text: prose(int64(1000+i), 100<<10)})
	}
	return docs
})

var bigIndex = sync.OnceValue(func() *Index { return Build(corpus()) })

// haystack returns about n bytes of prose unrelated to the corpus with,
// every 16 KB, a 60-word passage copied from it (none in 1 KB).
func haystack(n int) string {
	text := prose(7, n)
	var b strings.Builder
	for i := 0; i < len(text); i += 16 << 10 {
		chunk := text[i:min(len(text), i+16<<10)]
		b.WriteString(chunk)
		if len(chunk) == 16<<10 {
			doc := corpus()[i/(16<<10)%len(corpus())].Text
			words := strings.Fields(doc[len(doc)/2:])
			b.WriteString(" " + strings.Join(words[1:61], " ") + " ")
		}
	}
	return b.String()
}

// needle is 50 words of prose that occur nowhere in the haystacks.
var needle = strings.Join(strings.Fields(prose(99, 2000))[:50], " ")

func BenchmarkBuild10MB(b *testing.B) {
	docs := corpus()
	b.SetBytes(corpusSize)
	b.ReportAllocs()
	var st Stats
	for b.Loop() {
		st = Build(docs).Stats()
	}
	b.ReportMetric(float64(st.Bytes)/(1<<20), "index-MB")
	b.ReportMetric(float64(st.Bytes)/float64(st.Words), "index-B/word")
}

// BenchmarkBuildBaselineFNV10MB is the floor for building: FNV-1a over the
// same 10 MB, hashing alone.
func BenchmarkBuildBaselineFNV10MB(b *testing.B) {
	docs := corpus()
	b.SetBytes(corpusSize)
	var h uint64
	for b.Loop() {
		for _, d := range docs {
			h += fnv1a(d.Text)
		}
	}
	sink = h
}

// BenchmarkTokenize10MB is normalising and cutting into words alone.
func BenchmarkTokenize10MB(b *testing.B) {
	docs := corpus()
	b.SetBytes(corpusSize)
	var sc scanner
	var ws []word
	for b.Loop() {
		for _, d := range docs {
			ws = sc.appendWords(ws[:0], d.Text)
		}
	}
}

func benchmarkDetect(b *testing.B, ix *Index, text string) {
	d := New(ix)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(text)
	}
}

// BenchmarkDetect1KB screens 64 different 1 KB texts in turn: repeating
// one short text lets the branch predictor learn it and flatters the figure.
func BenchmarkDetect1KB(b *testing.B) {
	d := New(bigIndex())
	texts := pieces(1 << 10)
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Detect(texts[i%len(texts)])
		i++
	}
}

// pieces returns 64 texts of n bytes of prose unrelated to the corpus.
func pieces(n int) []string {
	var out []string
	for i := range 64 {
		out = append(out, prose(int64(500+i), n))
	}
	return out
}

func BenchmarkDetect100KB(b *testing.B) { benchmarkDetect(b, bigIndex(), haystack(100<<10)) }

// BenchmarkDetect100KBSmallIndex screens against the six test documents
// (9 KB), where the whole index stays in cache.
func BenchmarkDetect100KBSmallIndex(b *testing.B) { benchmarkDetect(b, index(b), haystack(100<<10)) }

// BenchmarkDetect100KBNonASCII screens 100 KB of prose whose every word
// carries an accent, which sends it through NFKC.
func BenchmarkDetect100KBNonASCII(b *testing.B) {
	benchmarkDetect(b, bigIndex(), strings.ReplaceAll(haystack(100<<10), "e", "é")[:100<<10])
}

func benchmarkIndexBaseline(b *testing.B, text string) {
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if strings.Contains(text, needle) {
			b.Fatal("needle found")
		}
	}
}

// BenchmarkBaselineIndex* search the same haystacks for one 50-word needle
// with strings.Index: one exact string, no folding, against the detector's
// whole index.
func BenchmarkBaselineIndex1KB(b *testing.B) {
	texts := pieces(1 << 10)
	b.SetBytes(1 << 10)
	i := 0
	for b.Loop() {
		if strings.Contains(texts[i%len(texts)], needle) {
			b.Fatal("needle found")
		}
		i++
	}
}

func BenchmarkBaselineIndex100KB(b *testing.B) { benchmarkIndexBaseline(b, haystack(100<<10)) }

func benchmarkFNVBaseline(b *testing.B, text string) {
	b.SetBytes(int64(len(text)))
	var h uint64
	for b.Loop() {
		h += fnv1a(text)
	}
	sink = h
}

var sink uint64

// fnv1a is FNV-1a 64 over the bytes of s, as the tokenizer hashes words.
func fnv1a(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// BenchmarkBaselineFNV* hash the same haystacks with FNV-1a, byte by byte:
// the cost of touching every byte once.
func BenchmarkBaselineFNV1KB(b *testing.B) {
	texts := pieces(1 << 10)
	b.SetBytes(1 << 10)
	var h uint64
	i := 0
	for b.Loop() {
		h += fnv1a(texts[i%len(texts)])
		i++
	}
	sink = h
}

func BenchmarkBaselineFNV100KB(b *testing.B) { benchmarkFNVBaseline(b, haystack(100<<10)) }

// TestHaystack checks that the benchmark input is what it claims: the
// copied passages are found, and nothing else.
func TestHaystack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10 MB index")
	}
	ix := bigIndex()
	text := haystack(100 << 10)
	fs := New(ix).Detect(text)
	if len(fs) != 6 { // 100 KB / 16 KB
		t.Errorf("%d findings in the 100 KB haystack, want 6", len(fs))
	}
	for _, f := range fs {
		if !strings.Contains(f.Evidence, "(60 words") {
			t.Errorf("finding %s, want 60 words", f.Evidence)
		}
	}
	for _, p := range pieces(1 << 10) {
		if m := ix.Longest(p); m.Words != 0 {
			t.Errorf("1 KB piece shares %d words with the corpus", m.Words)
		}
		if strings.Contains(p, needle) {
			t.Error("needle in a 1 KB piece")
		}
	}
	if strings.Contains(text, needle) {
		t.Error("needle in the haystack")
	}
	st := ix.Stats()
	t.Logf("10 MB index: %+v (%.1f bytes per word, %.2f bytes per byte of text)", st, float64(st.Bytes)/float64(st.Words), float64(st.Bytes)/corpusSize)
}
