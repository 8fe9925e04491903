package classify_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/atomicfile"
	"github.com/modelspec/modelspec/internal/detect/classify"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
	"github.com/modelspec/modelspec/internal/train"
)

// TestDumpScores writes, for every text of both halves of the quality
// corpora (../shared/data and the seed examples, as train.Load reads them),
// of the package's test files (cases, ordinary, normalize, the fuzz corpus)
// and of a few thousand generated evasion texts, one JSON line: Scores,
// Detect (New), Classify (margins and spans of every category), Normalize
// and a digest of the feature stream of both feature sets. Speed work on
// the featuriser or the scorer must leave the file byte-identical: dump
// before, change, dump after, cmp. encoding/json writes the shortest
// decimal that reads back to the same float64, so equal lines mean equal
// bits.
//
//	MODELSPEC_CLASSIFY_OUT=/tmp/before.jsonl go test ./internal/detect/classify -run TestDumpScores
func TestDumpScores(t *testing.T) {
	path := os.Getenv("MODELSPEC_CLASSIFY_OUT")
	if path == "" {
		t.Skip("set MODELSPEC_CLASSIFY_OUT")
	}
	if _, err := os.Stat(filepath.Join(detecttest.DataDir(), "bipia")); err != nil {
		t.Fatalf("the dump needs the shared data (MODELSPEC_DATA): %v", err)
	}
	type text struct {
		src  string
		text string
	}
	var texts []text
	for _, s := range []train.Split{train.TrainSplit, train.HeldOut} {
		ex, err := train.Load(detecttest.DataDir(), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex {
			texts = append(texts, text{s.String() + "/" + e.Source, e.Text})
		}
	}
	for _, name := range []string{"cases.jsonl", "ordinary.jsonl", "normalize.jsonl"} {
		for _, s := range jsonlTexts(t, filepath.Join("testdata", name)) {
			texts = append(texts, text{name, s})
		}
	}
	for _, s := range fuzzCorpus(t, filepath.Join("testdata", "fuzz", "FuzzFeatures")) {
		texts = append(texts, text{"fuzz", s})
	}
	for _, s := range classify.EvasionTexts(3000) {
		texts = append(texts, text{"generated", s})
	}
	texts = append(texts,
		text{"long", strings.Repeat("b.o.m.b. ", 20000)},
		text{"long", strings.Repeat("How do I kill a stuck Python process? Build a pipe b0mb. ", 3000)},
		text{"long", strings.Repeat("a", 100000)},
		text{"long", strings.Repeat("1", 1000)})

	d, all := classify.New(), &classify.Detector{}
	err := atomicfile.Write(path, func(f io.Writer) error {
		enc := json.NewEncoder(f) // atomicfile buffers the writes
		for i, x := range texts {
			rec := map[string]any{
				"i": i, "src": x.src,
				"scores":   d.Scores(x.text),
				"findings": d.Detect(x.text),
				"classify": all.Classify(x.text),
				"norm":     classify.Normalize(x.text),
				"feats1":   featureDigest(classify.SkeletonAllWords, x.text),
				"feats2":   featureDigest(classify.SkeletonContentWords, x.text),
			}
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d texts written to %s", len(texts), path)
}

// featureDigest is the FNV-1a 64 of every word's span and feature buckets,
// in order, at 2^18 buckets.
func featureDigest(fs classify.FeatureSet, text string) string {
	h := fnv.New64a()
	var b []byte
	fs.Features(text, 18, func(start, end int, feats []uint32) {
		b = binary.LittleEndian.AppendUint64(b[:0], uint64(start))
		b = binary.LittleEndian.AppendUint64(b, uint64(end))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(feats)))
		for _, f := range feats {
			b = binary.LittleEndian.AppendUint32(b, f)
		}
		h.Write(b)
	})
	return strconv.FormatUint(h.Sum64(), 16)
}

// jsonlTexts returns the "text" of every line of a test file.
func jsonlTexts(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		var c struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("%s:%d: %v", path, n+1, err)
		}
		out = append(out, c.Text)
	}
	return out
}

// fuzzCorpus returns the string inputs of a fuzz corpus directory.
func fuzzCorpus(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if q, ok := strings.CutPrefix(line, "string("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
				if err != nil {
					t.Fatalf("%s: %v", e.Name(), err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}
