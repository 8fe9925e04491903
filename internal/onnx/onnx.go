// Package onnx is a detector that runs a user-supplied ONNX text
// classifier: "detect.onnx.<name>". The model comes from a local folder in
// the layout Hugging Face exports (model.onnx, tokenizer.json, config.json
// with id2label) and runs in pure Go, with hugot's Go backend (GoMLX's
// simplego engine and a Go port of the tokenizers library): no cgo, no
// onnxruntime library, no build tag.
//
// Boundary. It must never download anything: New reads only the three
// files of the folder it is given, which must be a local directory (a URL
// or a remote scheme is refused before hugot sees it), and Detect reads
// nothing. hugot links packages that can fetch models (its downloader and
// the viant/afs remote file systems); this package never calls them, and
// builds with hugot's NODOWNLOAD tag leave the downloader out. Because of
// them, the package depends on net/http at link time, which the rest of
// internal/detect does not.
//
// The text is classified in windows of at most Config.WindowBytes bytes
// (cut at white space where possible), so that a long text is covered
// whole and each finding's span is the window it was found in. Texts past
// Config.MaxBytes are screened in their first MaxBytes bytes only.
//
// Lifecycle: New (loads and compiles the model) → Detect, Scores, Classify
// from any number of goroutines → Close.
package onnx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/knights-analytics/hugot"
	"github.com/knights-analytics/hugot/backends"
	"github.com/knights-analytics/hugot/pipelines"
	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/normalizer"

	"github.com/modelspec/modelspec/internal/detect"
)

// IDPrefix starts every detector id: IDPrefix + Config.Name.
const IDPrefix = "detect.onnx."

// Defaults applied by New to zero fields of Config.
const (
	DefaultModelFile   = "model.onnx"
	DefaultMinScore    = 0.5
	DefaultWindowBytes = 2048
	DefaultMaxBytes    = 256 << 10
	// BatchSize is the number of windows run through the model at once.
	BatchSize = 32
)

// Files read from the folder, besides the model.
const (
	TokenizerFile = "tokenizer.json"
	ConfigFile    = "config.json"
)

// Errors of New.
var (
	ErrNotLocal = errors.New("onnx: model folder must be a local directory")
	ErrConfig   = errors.New("onnx: invalid config")
	ErrModel    = errors.New("onnx: unusable model")
)

// Config says where the model is and what its findings mean.
type Config struct {
	// Dir is the local folder holding the model.
	Dir string
	// ModelFile is the model's file name in Dir (DefaultModelFile when "").
	ModelFile string
	// Name makes the detector id, IDPrefix + Name; required, lower case
	// letters, digits, '_' and '.' only.
	Name string
	// Clause is the id of the spec clause the findings serve; required.
	Clause string
	// Category of the findings (Name when "").
	Category string
	// Flag lists the labels (from config.json's id2label) that are
	// findings. Empty means every label except that of id 0, as in the
	// usual binary "0 = safe, 1 = unsafe" export.
	Flag []string
	// MinScore is the lowest score of a flagged label reported
	// (DefaultMinScore when 0; negative reports every window).
	MinScore float64
	// WindowBytes is the most bytes classified at once
	// (DefaultWindowBytes when 0).
	WindowBytes int
	// MaxBytes is the most bytes of a text screened (DefaultMaxBytes when 0).
	MaxBytes int
	// Timeout bounds one text's classification (none when 0): past it,
	// checked between batches, DetectContext returns
	// context.DeadlineExceeded, and the gateway applies the check's fail
	// mode.
	Timeout time.Duration
	// OnError, when set, is called with each error that Detect or Scores
	// swallows.
	OnError func(error)
}

// Detector runs one text classifier. It is safe for concurrent use.
type Detector struct {
	cfg      Config
	id       string
	minScore float64
	labels   []string // by id
	flagged  []bool   // by id

	session  *hugot.Session
	pipeline *pipelines.TextClassificationPipeline
	tk       *backends.Tokenizer
	inputMu  sync.Mutex
	// cleanText: remove what the normalizer's clean_text would, first.
	cleanText bool

	windows, failures atomic.Int64
}

var (
	_ detect.Detector = (*Detector)(nil)
	_ detect.Scorer   = (*Detector)(nil)
)

// New loads the model in cfg.Dir and compiles it. It reads nothing else
// and fetches nothing.
func New(cfg Config) (*Detector, error) {
	if err := validName(cfg.Name); err != nil {
		return nil, err
	}
	if cfg.Clause == "" {
		return nil, fmt.Errorf("%w: no clause", ErrConfig)
	}
	if cfg.ModelFile == "" {
		cfg.ModelFile = DefaultModelFile
	}
	if cfg.ModelFile != filepath.Base(cfg.ModelFile) || !strings.HasSuffix(cfg.ModelFile, ".onnx") {
		return nil, fmt.Errorf("%w: model file %q must be a .onnx file name in the folder", ErrConfig, cfg.ModelFile)
	}
	if cfg.Category == "" {
		cfg.Category = cfg.Name
	}
	if cfg.WindowBytes == 0 {
		cfg.WindowBytes = DefaultWindowBytes
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.WindowBytes < 16 || cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: window of %d bytes, max %d bytes", ErrConfig, cfg.WindowBytes, cfg.MaxBytes)
	}
	dir, err := localDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{cfg.ModelFile, TokenizerFile, ConfigFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrModel, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrModel, f)
		}
	}
	labels, multi, err := readConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, id: IDPrefix + cfg.Name, minScore: cfg.MinScore, labels: labels, flagged: make([]bool, len(labels))}
	if d.minScore == 0 {
		d.minScore = DefaultMinScore
	}
	if len(cfg.Flag) == 0 {
		for i := 1; i < len(labels); i++ {
			d.flagged[i] = true
		}
	}
	for _, f := range cfg.Flag {
		i := slices.Index(labels, f)
		if i < 0 {
			return nil, fmt.Errorf("%w: flagged label %q not among %q", ErrConfig, f, labels)
		}
		d.flagged[i] = true
	}

	// hugot's Go session: GoMLX's pure-Go engine, with its operations run
	// one after the other (see sequentialOps).
	sequentialOps()
	session, err := hugot.NewGoSession()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	agg := pipelines.WithSoftmax()
	if multi {
		agg = pipelines.WithSigmoid()
	}
	p, err := newPipeline(session, hugot.TextClassificationConfig{
		ModelPath:    dir,
		Name:         cfg.Name,
		OnnxFilename: cfg.ModelFile,
		Options:      []hugot.TextClassificationOption{agg, pipelines.WithMultiLabel()},
	})
	if err != nil {
		session.Destroy()
		return nil, fmt.Errorf("%w: %s: %v", ErrModel, cfg.ModelFile, err)
	}
	if p.Model.Tokenizer == nil || p.Model.Tokenizer.GoTokenizer == nil {
		session.Destroy()
		return nil, fmt.Errorf("%w: no Go tokenizer", ErrModel)
	}
	if n := len(p.Model.IDLabelMap); n != len(labels) {
		session.Destroy()
		return nil, fmt.Errorf("%w: %d labels in hugot, %d in %s", ErrModel, n, len(labels), ConfigFile)
	}
	d.cleanText, err = fixStripAccents(filepath.Join(dir, TokenizerFile), p.Model.Tokenizer.GoTokenizer.Tokenizer)
	if err != nil {
		session.Destroy()
		return nil, err
	}
	d.session, d.pipeline, d.tk = session, p, p.Model.Tokenizer
	return d, nil
}

// fixStripAccents makes the Go tokenizer strip accents as Hugging Face's
// tokenizers does for a BertNormalizer. The Go port reads
// "strip_accents": null as false, where the original reads it as "same as
// lowercase", and when it does strip it drops combining marks without
// decomposing first, so "ó" stays. Left alone, an uncased BERT export
// would tokenize "bómb" to [UNK] in Go and to "bomb" in Python. This
// replaces such a normalizer with the same one followed by NFD and the
// removal of combining marks.
//
// It also reports whether the normalizer cleans text (clean_text), in
// which case run removes the same characters first: the Go port's removal
// panics on some inputs (a zero-width space, then text, then a NUL).
func fixStripAccents(path string, tk *tokenizer.Tokenizer) (cleanText bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrModel, err)
	}
	var doc struct {
		Normalizer *struct {
			Type               string `json:"type"`
			CleanText          bool   `json:"clean_text"`
			HandleChineseChars bool   `json:"handle_chinese_chars"`
			StripAccents       *bool  `json:"strip_accents"`
			Lowercase          bool   `json:"lowercase"`
		} `json:"normalizer"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrModel, TokenizerFile, err)
	}
	n := doc.Normalizer
	if n == nil || n.Type != "BertNormalizer" {
		return false, nil
	}
	strip := n.Lowercase
	if n.StripAccents != nil {
		strip = *n.StripAccents
	}
	if strip {
		tk.WithNormalizer(normalizer.NewSequence([]normalizer.Normalizer{
			normalizer.NewBertNormalizer(n.CleanText, n.Lowercase, n.HandleChineseChars, false),
			normalizer.NewNFD(),
			normalizer.NewStripAccents(),
		}))
	}
	return n.CleanText, nil
}

// bertClean removes what a BertNormalizer with clean_text removes: NUL,
// U+FFFD and control and format characters other than tab, newline and
// carriage return.
func bertClean(s string) string {
	drop := func(r rune) bool {
		return r == 0 || r == utf8.RuneError || r != '\t' && r != '\n' && r != '\r' && unicode.In(r, unicode.Cc, unicode.Cf)
	}
	if strings.IndexFunc(s, drop) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if drop(r) {
			return -1
		}
		return r
	}, s)
}

// newPipeline turns hugot's panics (GoMLX reports errors by panicking)
// into errors.
func newPipeline(s *hugot.Session, c hugot.TextClassificationConfig) (p *pipelines.TextClassificationPipeline, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return hugot.NewPipeline(s, c)
}

// sequentialOps makes GoMLX's "go" backend, which hugot asks for by name
// with no options, run the operations of one model call one after the
// other. Its default runs them on parallel workers when a single call is
// live, and in gomlx v0.26.0 those workers race on the use counts of
// intermediate buffers (go test -race reports it in
// simplego.(*Executable).executeNode), which could free a buffer still in
// use. Concurrent Detect calls still run in parallel, each on its own
// goroutine. This replaces the registration for the whole process, once;
// nothing else in modelspec uses GoMLX.
var sequentialOps = sync.OnceFunc(func() {
	gobackends.Register("go", func(config string) (gobackends.Backend, error) {
		if config == "" {
			return simplego.New("ops_sequential")
		}
		return simplego.New("ops_sequential," + config)
	})
})

func validName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: no name", ErrConfig)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return fmt.Errorf("%w: name %q: want a-z, 0-9, '_' and '.'", ErrConfig, name)
		}
	}
	return nil
}

// localDir returns dir as an absolute path after checking that it names an
// existing local directory and not a URL (hugot's file layer would fetch
// http://, s3:// and the like).
func localDir(dir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("%w: no folder given", ErrNotLocal)
	}
	if strings.Contains(dir, "://") {
		return "", fmt.Errorf("%w: %q is a URL", ErrNotLocal, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotLocal, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotLocal, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory", ErrNotLocal, abs)
	}
	return abs, nil
}

// readConfig reads id2label and whether the model is multi-label from a
// Hugging Face config.json. The ids must run from 0 to n-1.
func readConfig(path string) (labels []string, multi bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrModel, err)
	}
	var c struct {
		ID2Label    map[string]string `json:"id2label"`
		ProblemType string            `json:"problem_type"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, false, fmt.Errorf("%w: %s: %v", ErrModel, ConfigFile, err)
	}
	if len(c.ID2Label) == 0 {
		return nil, false, fmt.Errorf("%w: %s has no id2label", ErrModel, ConfigFile)
	}
	labels = make([]string, len(c.ID2Label))
	for k, v := range c.ID2Label {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(labels) || labels[i] != "" || v == "" {
			return nil, false, fmt.Errorf("%w: %s: id2label must map ids 0..%d to names, got %q: %q", ErrModel, ConfigFile, len(labels)-1, k, v)
		}
		labels[i] = v
	}
	return labels, c.ProblemType == "multi_label_classification", nil
}

// ID returns IDPrefix + Config.Name.
func (d *Detector) ID() string { return d.id }

// Kinds returns the one kind of finding it reports.
func (d *Detector) Kinds() []detect.Kind {
	return []detect.Kind{{Category: d.cfg.Category, Clause: d.cfg.Clause}}
}

// Labels returns the model's labels, by id.
func (d *Detector) Labels() []string { return slices.Clone(d.labels) }

// Close frees the compiled model. The detector must not be used after.
func (d *Detector) Close() error { return d.session.Destroy() }

// Stats counts the windows a detector classified and its failed calls.
type Stats struct{ Windows, Failures int64 }

// Stats returns the detector's counts so far.
func (d *Detector) Stats() Stats {
	return Stats{Windows: d.windows.Load(), Failures: d.failures.Load()}
}

// Window is one classified piece of a text.
type Window struct {
	Start, End int                // byte offsets in the text
	Scores     map[string]float64 // every label's score, 0..1
}

// Detect returns one finding per window whose best flagged label scores
// MinScore or more, spanning the window, with the label as evidence. If
// the model fails it returns no findings — it fails open — after passing
// the error to Config.OnError; DetectContext returns the error instead.
func (d *Detector) Detect(text string) []detect.Finding {
	fs, err := d.DetectContext(context.Background(), text)
	if err != nil {
		d.swallow(err)
		return nil
	}
	return fs
}

// DetectContext is Detect returning the error of a failed call; ctx is
// checked between batches.
func (d *Detector) DetectContext(ctx context.Context, text string) ([]detect.Finding, error) {
	if d.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.Timeout)
		defer cancel()
	}
	ws, err := d.Classify(ctx, text)
	if err != nil {
		return nil, err
	}
	var out []detect.Finding
	for _, w := range ws {
		best, label := -1.0, ""
		for i, l := range d.labels {
			if d.flagged[i] && w.Scores[l] > best {
				best, label = w.Scores[l], l
			}
		}
		if label == "" || best < d.minScore {
			continue
		}
		out = append(out, detect.Finding{
			Detector: d.id,
			Clause:   d.cfg.Clause,
			Category: d.cfg.Category,
			Score:    detect.RoundScore(best),
			Start:    w.Start,
			End:      w.End,
			Evidence: label,
		})
	}
	return out, nil
}

// Scores returns each label's highest score over the windows of text (nil
// if the model fails, after passing the error to Config.OnError).
func (d *Detector) Scores(text string) map[string]float64 {
	ws, err := d.Classify(context.Background(), text)
	if err != nil {
		d.swallow(err)
		return nil
	}
	out := make(map[string]float64, len(d.labels))
	for _, l := range d.labels {
		out[l] = 0
	}
	for _, w := range ws {
		for l, s := range w.Scores {
			out[l] = max(out[l], s)
		}
	}
	return out
}

func (d *Detector) swallow(err error) {
	if d.cfg.OnError != nil {
		d.cfg.OnError(err)
	}
}

// Classify cuts the first MaxBytes of text into windows and returns every
// label's score for each. An empty text is one empty window.
func (d *Detector) Classify(ctx context.Context, text string) ([]Window, error) {
	ws, err := d.classify(ctx, text)
	if err != nil {
		d.failures.Add(1)
	}
	return ws, err
}

func (d *Detector) classify(ctx context.Context, text string) ([]Window, error) {
	spans := Windows(text[:cut(text, d.cfg.MaxBytes)], d.cfg.WindowBytes)
	out := make([]Window, 0, len(spans))
	for b := 0; b < len(spans); b += BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := spans[b:min(b+BatchSize, len(spans))]
		inputs := make([]string, len(batch))
		for i, s := range batch {
			inputs[i] = clean(text[s[0]:s[1]])
			if d.cleanText {
				inputs[i] = bertClean(inputs[i])
			}
		}
		scores, err := d.run(inputs)
		if err != nil {
			return nil, err
		}
		for i, s := range batch {
			out = append(out, Window{Start: s[0], End: s[1], Scores: scores[i]})
		}
	}
	d.windows.Add(int64(len(out)))
	return out, nil
}

// run classifies a batch of inputs. It does hugot's preprocessing itself,
// so that a tokenizer error comes back as an error (hugot's own
// preprocessing exits the process on one), and turns panics into errors.
func (d *Detector) run(inputs []string) (scores []map[string]float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			scores, err = nil, fmt.Errorf("onnx %s: panic: %v", d.cfg.Name, r)
		}
	}()
	batch := backends.NewBatch(len(inputs))
	defer func() { err = errors.Join(err, batch.Destroy()) }()
	if err := d.tokenize(batch, inputs); err != nil {
		return nil, fmt.Errorf("onnx %s: tokenize: %w", d.cfg.Name, err)
	}
	// hugot writes to the shared model while it builds the input
	// tensors (Model.FixedCacheSize), so that part runs one at a time.
	d.inputMu.Lock()
	err = backends.CreateInputTensors(batch, d.pipeline.Model, d.pipeline.Runtime)
	d.inputMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("onnx %s: inputs: %w", d.cfg.Name, err)
	}
	if err := d.pipeline.Forward(batch); err != nil {
		return nil, fmt.Errorf("onnx %s: run: %w", d.cfg.Name, err)
	}
	res, err := d.pipeline.Postprocess(batch)
	if err != nil {
		return nil, fmt.Errorf("onnx %s: outputs: %w", d.cfg.Name, err)
	}
	if len(res.ClassificationOutputs) != len(inputs) {
		return nil, fmt.Errorf("onnx %s: %d outputs for %d inputs", d.cfg.Name, len(res.ClassificationOutputs), len(inputs))
	}
	scores = make([]map[string]float64, len(inputs))
	for i, outs := range res.ClassificationOutputs {
		m := make(map[string]float64, len(outs))
		for _, o := range outs {
			s := float64(o.Score)
			if math.IsNaN(s) {
				return nil, fmt.Errorf("onnx %s: score NaN for %q", d.cfg.Name, o.Label)
			}
			m[o.Label] = math.Round(min(max(s, 0), 1)*1e4) / 1e4
		}
		scores[i] = m
	}
	return scores, nil
}

// tokenize fills batch.Input as hugot's Go tokenization does, truncating to
// the model's max_position_embeddings, but returns errors.
func (d *Detector) tokenize(batch *backends.PipelineBatch, inputs []string) error {
	tk := d.tk.GoTokenizer.Tokenizer
	maxTokens := d.tk.MaxAllowedTokens
	batch.Input = make([]backends.TokenizedInput, len(inputs))
	maxSeq := 0
	for i, in := range inputs {
		enc, err := tk.EncodeSingle(in, true)
		if err != nil {
			return err
		}
		n := len(enc.Ids)
		if maxTokens > 0 && n > maxTokens {
			n = maxTokens
		}
		n = min(n, len(enc.Tokens), len(enc.TypeIds), len(enc.AttentionMask), len(enc.SpecialTokenMask), len(enc.Offsets))
		last := 0
		for j := range n {
			if enc.AttentionMask[j] != 0 {
				last = j
			}
		}
		ti := backends.TokenizedInput{
			Raw:               in,
			Tokens:            enc.Tokens[:n],
			TokenIDs:          u32(enc.Ids[:n]),
			TypeIDs:           u32(enc.TypeIds[:n]),
			AttentionMask:     u32(enc.AttentionMask[:n]),
			SpecialTokensMask: u32(enc.SpecialTokenMask[:n]),
			Offsets:           make([][2]uint, n),
			MaxAttentionIndex: last,
		}
		for j, o := range enc.Offsets[:n] {
			ti.Offsets[j] = [2]uint{uint(max(o[0], 0)), uint(max(o[1], 0))}
		}
		batch.Input[i] = ti
		maxSeq = max(maxSeq, last)
	}
	batch.MaxSequenceLength = maxSeq + 1
	return nil
}

func u32(s []int) []uint32 {
	out := make([]uint32, len(s))
	for i, v := range s {
		out[i] = uint32(max(v, 0))
	}
	return out
}

// clean makes a window safe for the tokenizer without moving any byte
// offset (spans are of the original text): invalid bytes and combining
// marks become spaces,
// and a letter whose lower case has another UTF-8 length ("İ" -> "i",
// the Kelvin sign -> "k") becomes its lower case padded with spaces to
// the same length, since the tokenizer's offset mapping breaks when
// lower-casing changes a text's length (found by FuzzDetect).
func clean(s string) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if utf8.RuneLen(unicode.ToLower(r)) != utf8.RuneLen(r) || unicode.Is(unicode.Mn, r) {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch lower := unicode.ToLower(r); {
		case r == utf8.RuneError && w == 1:
			b.WriteByte(' ')
		case unicode.Is(unicode.Mn, r):
			// A combining mark after a letter that decomposes also breaks
			// the offset mapping ("ǫ" + U+05A4); uncased models strip
			// marks anyway.
			b.WriteString(strings.Repeat(" ", w))
		case utf8.RuneLen(lower) > 0 && utf8.RuneLen(lower) < w:
			b.WriteRune(lower)
			b.WriteString(strings.Repeat(" ", w-utf8.RuneLen(lower)))
		case utf8.RuneLen(lower) != w:
			b.WriteString(strings.Repeat(" ", w))
		default:
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	return b.String()
}

// Windows cuts text into spans of at most size bytes, [start, end), on
// UTF-8 boundaries, each ending after white space where one falls in the
// second half of the window. An empty text is one empty span.
func Windows(text string, size int) [][2]int {
	if len(text) <= size {
		return [][2]int{{0, len(text)}}
	}
	var out [][2]int
	for start := 0; start < len(text); {
		end := start + size
		if end >= len(text) {
			out = append(out, [2]int{start, len(text)})
			break
		}
		end = start + cut(text[start:], size)
		// Prefer the last white space in the second half.
		for i := end; i > start+size/2; {
			r, w := utf8.DecodeLastRuneInString(text[start:i])
			if unicode.IsSpace(r) {
				end = i
				break
			}
			i -= w
		}
		out = append(out, [2]int{start, end})
		start = end
	}
	return out
}

// cut returns the largest n <= limit such that s[:n] ends on a boundary
// that utf8.DecodeRuneInString walks from the start of s. With limit >= 4
// it is more than 0 for a non-empty s.
//
// Every byte that is not a continuation byte (utf8.RuneStart) is such a
// boundary, since no valid rune holds one past its first byte; so the walk
// can start at the last of them a few bytes before limit.
func cut(s string, limit int) int {
	if limit >= len(s) {
		return len(s)
	}
	n := max(limit-utf8.UTFMax, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	for n < limit {
		_, w := utf8.DecodeRuneInString(s[n:])
		if n+w > limit {
			break
		}
		n += w
	}
	return n
}
