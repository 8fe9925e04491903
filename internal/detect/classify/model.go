package classify

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
)

// File format: gzip of
//
//	"modelspec-classify\n"   magic
//	uint32 (little endian)    length of the header
//	header                    JSON, see Header
//	weights                   2^Bits × len(Categories) signed bytes, bucket-major:
//	                          the weights of one bucket for every category sit
//	                          together, so one feature costs one cache line
//
// A weight is the stored byte times its category's Scale. Gzip is written
// with no name and no time, so that the same model gives the same bytes.
const magic = "modelspec-classify\n"

// Format is the version of the file format this package reads and writes.
const Format = 1

// Limits on a model file, so that a corrupt or hostile file cannot make
// Decode allocate without bound.
const (
	minBits       = 8
	maxBits       = 22
	maxCategories = 16
	maxHeader     = 1 << 20
)

// ErrFormat is returned by Decode for a file that is not a model.
var ErrFormat = errors.New("not a classifier model")

// Header describes a model: its features, its categories and, opaque to
// this package, how it was trained.
type Header struct {
	Format int  `json:"format"`
	Bits   uint `json:"bits"`   // features hash into 2^Bits buckets
	Window int  `json:"window"` // words per scoring window
	// Features is the feature set the model was trained on; 0 (a file
	// written before the field existed) means SkeletonAllWords.
	Features   FeatureSet `json:"features,omitempty"`
	Categories []Category `json:"categories"`
	// Training is written by internal/train: the options, the checksum of
	// the training inputs and the held-out figures measured when the model
	// was made.
	Training json.RawMessage `json:"training,omitempty"`
}

// Category is one output of the model.
type Category struct {
	Name   string  `json:"name"`
	Clause string  `json:"clause"`
	Bias   float64 `json:"bias"`
	Scale  float64 `json:"scale"` // a weight is its stored byte times Scale
	// Threshold is the margin at which the score is 0.5: scores are the
	// logistic function of (margin − Threshold).
	Threshold float64 `json:"threshold"`
	// Requires names a category this one refines: its weights were trained
	// only on texts of that category (sexual_minors on sexual texts), and
	// its score is the lower of its own and that category's.
	Requires string `json:"requires,omitempty"`
}

// Model is a linear classifier over hashed features, one output per
// category. A Model is read-only and safe for concurrent use.
type Model struct {
	Header  Header
	weights []int8 // [bucket*k + category]
	k       int
	version string
}

// NewModel quantises weights, one slice of 2^h.Bits float weights per
// category of h, into a model: each category's weights are scaled so that
// the largest magnitude is 127 and rounded to the nearest byte.
func NewModel(h Header, weights [][]float32) (*Model, error) {
	h.Format = Format
	if err := h.validate(); err != nil {
		return nil, err
	}
	k, n := len(h.Categories), 1<<h.Bits
	if len(weights) != k {
		return nil, fmt.Errorf("%d weight vectors for %d categories", len(weights), k)
	}
	m := &Model{Header: h, weights: make([]int8, n*k), k: k}
	m.Header.Categories = append([]Category(nil), h.Categories...)
	for c, w := range weights {
		if len(w) != n {
			return nil, fmt.Errorf("category %s: %d weights, want %d", h.Categories[c].Name, len(w), n)
		}
		var top float64
		for _, v := range w {
			top = max(top, math.Abs(float64(v)))
		}
		scale := top / 127
		if scale == 0 {
			scale = 1
		}
		m.Header.Categories[c].Scale = scale
		for b, v := range w {
			m.weights[b*k+c] = int8(math.Round(float64(v) / scale))
		}
	}
	return m.Rehash()
}

func (h *Header) validate() error {
	switch {
	case h.Format != Format:
		return fmt.Errorf("%w: format %d, want %d", ErrFormat, h.Format, Format)
	case h.Bits < minBits || h.Bits > maxBits:
		return fmt.Errorf("%w: %d hash bits outside [%d, %d]", ErrFormat, h.Bits, minBits, maxBits)
	case h.Window < 1:
		return fmt.Errorf("%w: window %d", ErrFormat, h.Window)
	case h.Features < 0 || h.Features > CurrentFeatures:
		return fmt.Errorf("%w: feature set %d (this build knows 1 to %d)", ErrFormat, h.Features, CurrentFeatures)
	case len(h.Categories) == 0 || len(h.Categories) > maxCategories:
		return fmt.Errorf("%w: %d categories", ErrFormat, len(h.Categories))
	}
	seen := map[string]bool{}
	for _, c := range h.Categories {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("%w: category name %q empty or repeated", ErrFormat, c.Name)
		}
		seen[c.Name] = true
		if c.Requires != "" {
			r := h.Index(c.Requires)
			if r < 0 || c.Requires == c.Name || h.Categories[r].Requires != "" {
				return fmt.Errorf("%w: category %s requires %q, which is not a plain category", ErrFormat, c.Name, c.Requires)
			}
		}
		for _, v := range []float64{c.Bias, c.Scale, c.Threshold} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: category %s: non-finite parameter", ErrFormat, c.Name)
			}
		}
	}
	return nil
}

// Index returns the position of the category named name, or -1.
func (h *Header) Index(name string) int {
	for i, c := range h.Categories {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// EqualWeights reports whether m and o score every text the same: the same
// features, categories, parameters and weights (their training records may
// differ).
func (m *Model) EqualWeights(o *Model) bool {
	return m.Header.Bits == o.Header.Bits && m.Header.Window == o.Header.Window && m.featureSet() == o.featureSet() &&
		slices.Equal(m.Header.Categories, o.Header.Categories) && slices.Equal(m.weights, o.weights)
}

// featureSet is the feature set the model scores with.
func (m *Model) featureSet() FeatureSet {
	if m.Header.Features == 0 {
		return SkeletonAllWords
	}
	return m.Header.Features
}

// Version is a short hash of the model's encoding, to name it in findings
// and decision records.
func (m *Model) Version() string { return m.version }

// Encode writes the model in the file format.
func (m *Model) Encode(w io.Writer) error {
	raw, err := m.raw()
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	return zw.Close()
}

// Rehash checks the header and recomputes the version after the header
// was changed (by training, which fills in thresholds and provenance).
func (m *Model) Rehash() (*Model, error) {
	if err := m.Header.validate(); err != nil {
		return nil, err
	}
	_, err := m.raw()
	return m, err
}

// raw returns the uncompressed encoding and sets the version from it.
func (m *Model) raw() ([]byte, error) {
	hdr, err := json.MarshalIndent(m.Header, "", " ")
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 0, len(magic)+4+len(hdr)+len(m.weights))
	raw = append(raw, magic...)
	raw = binary.LittleEndian.AppendUint32(raw, uint32(len(hdr)))
	raw = append(raw, hdr...)
	for _, v := range m.weights {
		raw = append(raw, byte(v))
	}
	sum := sha256.Sum256(raw)
	m.version = hex.EncodeToString(sum[:6])
	return raw, nil
}

// Decode reads a model written by Encode.
func Decode(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	defer zr.Close()
	h := sha256.New()
	br := bufio.NewReader(io.TeeReader(zr, h))
	head := make([]byte, len(magic)+4)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(magic)]) != magic {
		return nil, ErrFormat
	}
	n := binary.LittleEndian.Uint32(head[len(magic):])
	if n > maxHeader {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrFormat, n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	m := &Model{}
	if err := json.Unmarshal(hdr, &m.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if err := m.Header.validate(); err != nil {
		return nil, err
	}
	m.k = len(m.Header.Categories)
	w := make([]byte, m.k<<m.Header.Bits)
	if _, err := io.ReadFull(br, w); err != nil {
		return nil, fmt.Errorf("%w: weights: %v", ErrFormat, err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing bytes after the weights", ErrFormat)
	}
	m.weights = make([]int8, len(w))
	for i, v := range w {
		m.weights[i] = int8(v)
	}
	m.version = hex.EncodeToString(h.Sum(nil)[:6])
	return m, nil
}

// Score is one category's verdict on a text.
type Score struct {
	Category string
	Clause   string
	// Score is in [0, 1] and is 0.5 at the category's threshold.
	Score float64
	// Margin is the linear model's output before the threshold shift.
	Margin float64
	// Start and End are the byte span of the window that scored highest,
	// on UTF-8 boundaries; both are 0 for a text without words.
	Start, End int
}

// window is the running state of one sliding window over words.
type window struct {
	m     *Model
	ring  []wordSum // the words in the window, oldest at head
	head  int
	count int
	sum   [maxCategories]int64
	n     int64
	best  [maxCategories]float64
	span  [maxCategories][2]int
	seen  bool // a window was evaluated
	words int
	tok   tokenizer
	addFn func(start, end int, feats []uint32) // w.add, made once
}

// wordSum is what one word adds to a window.
type wordSum struct {
	sum        [maxCategories]int32
	n          int32
	start, end int
}

var windowPool sync.Pool

// Classify scores every category of the model on text and returns the
// scores in the order of the model's categories. Each score is that of the
// highest-scoring window of Header.Window consecutive words (the whole text
// when it is shorter). Time is linear in len(text) and memory is bounded.
func (m *Model) Classify(text string) []Score {
	return m.classify(text, make([]Score, m.k))
}

func (m *Model) classify(text string, out []Score) []Score {
	w, _ := windowPool.Get().(*window)
	if w == nil || len(w.ring) != m.Header.Window {
		w = &window{ring: make([]wordSum, m.Header.Window)}
		w.addFn = w.add
	}
	w.m, w.head, w.count, w.sum, w.n, w.seen, w.words = m, 0, 0, [maxCategories]int64{}, 0, false, 0
	w.span = [maxCategories][2]int{}
	for c := range m.k {
		w.best[c] = math.Inf(-1)
	}
	w.tok.reset(1<<m.Header.Bits-1, m.featureSet(), w.addFn)
	w.tok.run(text)
	if !w.seen {
		w.eval()
	}
	for c, cat := range m.Header.Categories {
		margin := w.best[c]
		out[c] = Score{
			Category: cat.Name,
			Clause:   cat.Clause,
			Score:    sigmoid(margin - cat.Threshold),
			Margin:   margin,
			Start:    w.span[c][0],
			End:      w.span[c][1],
		}
	}
	for c, cat := range m.Header.Categories {
		if cat.Requires != "" {
			out[c].Score = min(out[c].Score, out[m.Header.Index(cat.Requires)].Score)
		}
	}
	w.m = nil
	w.tok.emit = nil
	windowPool.Put(w)
	return out
}

// add adds one word's features to the window and evaluates the window once
// it holds Window words.
func (w *window) add(start, end int, feats []uint32) {
	k := w.m.k
	var s wordSum
	s.start, s.end, s.n = start, end, int32(len(feats))
	weights := w.m.weights
	sum := s.sum[:k:k]
	for _, f := range feats {
		row := weights[int(f)*k:][:k:k]
		for c := range sum {
			sum[c] += int32(row[c])
		}
	}
	size := len(w.ring)
	if w.count == size {
		old := &w.ring[w.head]
		for c := range k {
			w.sum[c] -= int64(old.sum[c])
		}
		w.n -= int64(old.n)
		w.ring[w.head] = s
		w.head = (w.head + 1) % size
	} else {
		w.ring[(w.head+w.count)%size] = s
		w.count++
	}
	for c := range k {
		w.sum[c] += int64(s.sum[c])
	}
	w.n += int64(s.n)
	w.words++
	if w.count == size {
		w.eval()
	}
}

// eval scores the current window: margin = bias + scale·Σw / √n.
func (w *window) eval() {
	w.seen = true
	var start, end int
	if w.count > 0 {
		start = w.ring[w.head].start
		end = w.ring[(w.head+w.count-1)%len(w.ring)].end
	}
	norm := 0.0
	if w.n > 0 {
		norm = 1 / math.Sqrt(float64(w.n))
	}
	for c, cat := range w.m.Header.Categories {
		z := cat.Bias + cat.Scale*float64(w.sum[c])*norm
		if z > w.best[c] {
			w.best[c] = z
			w.span[c] = [2]int{start, end}
		}
	}
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
