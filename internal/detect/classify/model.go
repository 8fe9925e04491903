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
	// maxWindow bounds the words of a window: the detector keeps one
	// entry per word of the window, and the window sums are kept in 32-bit
	// lanes (see window).
	maxWindow = 1 << 16
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
	k       int
	version string

	// The weights, laid out for scoring rather than as in the file: each
	// bucket has stride words of eight weights, one per byte, each stored
	// as the weight plus 128 (a byte from 1 to 255; 128 is a zero weight,
	// also in the lanes past the last category). Categories 8j to 8j+7 of a
	// bucket are its word j, category r at byte lanePos[r], so that a sum
	// of rows split into 16-bit and then 32-bit lanes comes out in category
	// order (window.add).
	rows   []uint64 // [bucket*stride + j]
	stride int      // (k+7)/8: 1 for up to 8 categories, 2 for up to 16

	// From the header, for eval: no struct copies, no name look-ups.
	bias, scale [maxCategories]float64
	requires    [maxCategories]int // index of Category.Requires, or -1
}

// lanePos is the byte of a row word that holds category r (mod 8). A row
// word x is summed as x&lo8 (bytes 0, 2, 4, 6) and x>>8&lo8 (bytes 1, 3,
// 5, 7) in 16-bit lanes, each of those then as 32-bit lanes: its low and
// high halves (bytes 0 and 4; 2 and 6) and the same shifted by 16. Sum q
// of these four holds categories 2q and 2q+1.
var lanePos = [8]uint{0, 4, 2, 6, 1, 5, 3, 7}

// newRows allocates the scoring layout for k categories over 2^bits
// buckets, every weight zero.
func (m *Model) newRows(bits uint, k int) {
	m.k = k
	m.stride = (k + 7) / 8
	m.rows = make([]uint64, m.stride<<bits)
	for i := range m.rows {
		m.rows[i] = 0x8080808080808080
	}
}

// setWeight sets the weight of category c in bucket b.
func (m *Model) setWeight(b, c int, v int8) {
	i, sh := b*m.stride+c/8, 8*lanePos[c%8]
	m.rows[i] = m.rows[i]&^(0xff<<sh) | uint64(byte(v)^0x80)<<sh
}

// weight returns the weight of category c in bucket b.
func (m *Model) weight(b, c int) int8 {
	return int8(byte(m.rows[b*m.stride+c/8]>>(8*lanePos[c%8])) ^ 0x80)
}

// prepare fills in what eval reads from the header.
func (m *Model) prepare() {
	for c, cat := range m.Header.Categories {
		m.bias[c], m.scale[c], m.requires[c] = cat.Bias, cat.Scale, -1
		if cat.Requires != "" {
			m.requires[c] = m.Header.Index(cat.Requires)
		}
	}
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
	m := &Model{Header: h}
	m.newRows(h.Bits, k)
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
			m.setWeight(b, c, int8(math.Round(float64(v)/scale)))
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
	case h.Window < 1 || h.Window > maxWindow:
		return fmt.Errorf("%w: window %d outside [1, %d]", ErrFormat, h.Window, maxWindow)
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
		slices.Equal(m.Header.Categories, o.Header.Categories) && slices.Equal(m.rows, o.rows)
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
	m.prepare()
	_, err := m.raw()
	return m, err
}

// raw returns the uncompressed encoding and sets the version from it.
func (m *Model) raw() ([]byte, error) {
	hdr, err := json.MarshalIndent(m.Header, "", " ")
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 0, len(magic)+4+len(hdr)+m.k<<m.Header.Bits)
	raw = append(raw, magic...)
	raw = binary.LittleEndian.AppendUint32(raw, uint32(len(hdr)))
	raw = append(raw, hdr...)
	for b := range 1 << m.Header.Bits {
		for c := range m.k {
			raw = append(raw, byte(m.weight(b, c)))
		}
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
	k := len(m.Header.Categories)
	w := make([]byte, k<<m.Header.Bits)
	if _, err := io.ReadFull(br, w); err != nil {
		return nil, fmt.Errorf("%w: weights: %v", ErrFormat, err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing bytes after the weights", ErrFormat)
	}
	m.newRows(m.Header.Bits, k)
	for b := range 1 << m.Header.Bits {
		for c, v := range w[b*k : (b+1)*k] {
			m.setWeight(b, c, int8(v))
		}
	}
	m.prepare()
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
//
// Sums are kept exactly, in integers: as sums of biased weights (the
// weight plus 128, Model.rows) in lanes of uint64 words, 16 bits wide for
// one word's features and 32 bits wide for a window; a category's true sum
// is its lane minus 128 times the features counted. No lane can overflow:
//
//   - a word has at most maxWordFeatures (131) features, so a 16-bit lane
//     holds at most 131·255 = 33,405 < 2^16;
//   - a window holds at most maxWindow (2^16) words, so a 32-bit lane holds
//     at most 2^16·131·255 = 2,189,230,080 < 2^32.
//
// Adding a word's uint64 and subtracting the oldest one's is exact in every
// lane, since every lane of the result is in range (a carry or borrow
// between lanes along the way cancels modulo 2^64). The constants below
// fail to compile if the bounds stop holding.
type window struct {
	m      *Model
	size   int     // words per window
	stride int     // row words per bucket (Model.stride)
	sums   []lanes // [slot*stride + j]: each word's sums, zero in slots not filled yet
	ns     []int32 // each word's number of features
	spans  []span  // each word's source span
	head   int     // slot of the oldest word
	last   int     // slot of the newest word
	count  int
	sum    [maxStride]lanes // the window's sums
	n      int64            // the window's number of features
	best   [maxCategories]float64
	span   [maxCategories]span
	seen   bool // a window was evaluated
	tok    tokenizer
}

// lanes are the sums of one row word of eight categories in 32-bit lanes:
// lanes[q] holds categories 2q and 2q+1 (low and high half).
type lanes [4]uint64

// maxStride is the most row words per bucket.
const maxStride = maxCategories / 8

const (
	_ = uint16(maxWordFeatures * 255)             // a word's 16-bit lanes
	_ = uint32(maxWindow * maxWordFeatures * 255) // a window's 32-bit lanes
)

// Masks of the even bytes and of the even 16-bit lanes of a uint64.
const (
	lo8  = 0x00ff00ff00ff00ff
	lo16 = 0x0000ffff0000ffff
)

type span struct{ start, end int }

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
	if size := m.Header.Window; w == nil || w.size != size || w.stride != m.stride {
		w = &window{size: size, stride: m.stride, sums: make([]lanes, size*m.stride), ns: make([]int32, size), spans: make([]span, size)}
	} else {
		clear(w.sums)
		clear(w.ns)
	}
	w.m, w.head, w.last, w.count, w.sum, w.n, w.seen = m, 0, 0, 0, [maxStride]lanes{}, 0, false
	w.span = [maxCategories]span{}
	for c := range m.k {
		w.best[c] = math.Inf(-1)
	}
	w.tok.reset(1<<m.Header.Bits-1, m.featureSet(), w)
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
			Start:    w.span[c].start,
			End:      w.span[c].end,
		}
	}
	for c := range m.k {
		if r := m.requires[c]; r >= 0 {
			out[c].Score = min(out[c].Score, out[r].Score)
		}
	}
	w.m = nil
	w.tok.win = nil
	windowPool.Put(w)
	return out
}

// add adds one word's features to the window and evaluates the window once
// it holds Window words.
func (w *window) add(start, end int, feats []uint32) {
	var s [maxStride]lanes
	rows := w.m.rows
	if w.stride == 1 {
		// e: bytes 0, 2, 4, 6 of the rows summed in 16-bit lanes; o: 1, 3, 5, 7
		var e, o uint64
		for _, f := range feats {
			x := rows[f]
			e += x & lo8
			o += x >> 8 & lo8
		}
		s[0] = widen(e, o)
	} else {
		var e0, o0, e1, o1 uint64
		for _, f := range feats {
			r := rows[2*int(f):][:2]
			e0 += r[0] & lo8
			o0 += r[0] >> 8 & lo8
			e1 += r[1] & lo8
			o1 += r[1] >> 8 & lo8
		}
		s[0], s[1] = widen(e0, o0), widen(e1, o1)
	}
	// The slot of the oldest word, or an empty one (all zero) while the
	// window fills.
	slot := w.head
	if w.count == w.size {
		if w.head++; w.head == w.size {
			w.head = 0
		}
	} else {
		slot = w.count // the head stays at 0 until the window is full
		w.count++
	}
	for j := range w.stride { // j < maxStride: the masks only spare bounds checks
		old, sum, add := &w.sums[slot*w.stride+j], &w.sum[j&(maxStride-1)], s[j&(maxStride-1)]
		sum[0] += add[0] - old[0]
		sum[1] += add[1] - old[1]
		sum[2] += add[2] - old[2]
		sum[3] += add[3] - old[3]
		old[0], old[1], old[2], old[3] = add[0], add[1], add[2], add[3]
	}
	w.n += int64(len(feats)) - int64(w.ns[slot])
	w.ns[slot] = int32(len(feats))
	w.spans[slot] = span{start, end}
	w.last = slot
	if w.count == w.size {
		w.eval()
	}
}

// widen turns the 16-bit lane sums of a row word, e (bytes 0, 2, 4, 6)
// and o (bytes 1, 3, 5, 7), into 32-bit lanes in category order (lanePos).
func widen(e, o uint64) lanes {
	return lanes{e & lo16, e >> 16 & lo16, o & lo16, o >> 16 & lo16}
}

// eval scores the current window: margin = bias + scale·Σw / √n.
func (w *window) eval() {
	w.seen = true
	var sp span
	if w.count > 0 {
		sp = span{w.spans[w.head].start, w.spans[w.last].end}
	}
	var norm float64
	if w.n < int64(len(invSqrt)) {
		norm = invSqrt[w.n]
	} else {
		norm = 1 / math.Sqrt(float64(w.n))
	}
	off := 128 * w.n
	m := w.m
	// c < k <= maxCategories: the masks below only spare bounds checks
	for c := 0; c < m.k; c++ {
		c := c & (maxCategories - 1)
		v := w.sum[c>>3&(maxStride-1)][c>>1&3] >> (c & 1 * 32)
		s := int64(uint32(v)) - off
		z := m.bias[c] + m.scale[c]*float64(s)*norm
		if z > w.best[c] {
			w.best[c] = z
			w.span[c] = sp
		}
	}
}

// invSqrt[n] is 1/√n (0 for n = 0) as eval computes it, for the feature
// counts of ordinary windows (48 words of prose have about 300): a load
// instead of a square root and a division on every word.
var invSqrt = func() (t [1024]float64) {
	for n := 1; n < len(t); n++ {
		t[n] = 1 / math.Sqrt(float64(n))
	}
	return t
}()

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
