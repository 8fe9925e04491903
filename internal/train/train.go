// Package train makes the content-classifier model that
// internal/detect/classify embeds: it reads the labelled data sets in
// ../shared/data (the training half of each) and the project's own seed
// examples, trains one logistic regression per category with FTRL-Proximal,
// chooses each category's threshold by cross-validation on the training
// half, measures the result on the held-out half and writes the model file.
//
// It is pure Go, deterministic for a given seed and inputs, and does no
// network I/O. It imports classify for the featuriser, so that training and
// detection see exactly the same features; classify must never import it.
package train

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/modelspec/modelspec/internal/atomicfile"
	"github.com/modelspec/modelspec/internal/detect/classify"
)

// Options control training. DefaultOptions gives the values the embedded
// model was trained with.
type Options struct {
	DataDir string `json:"-"` // the shared data sets, ../shared/data from the project root
	Out     string `json:"-"` // the model file to write

	Seed   uint64 `json:"seed"`   // shuffling; the only randomness
	Bits   uint   `json:"bits"`   // features hash into 2^Bits buckets
	Window int    `json:"window"` // words per scoring window
	Epochs int    `json:"epochs"`
	Folds  int    `json:"folds"` // cross-validation folds for thresholds

	// FTRL-Proximal: learning rate alpha, beta, L1 and L2 strengths.
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
	L1    float64 `json:"l1"`
	L2    float64 `json:"l2"`
	// MaxPosWeight caps the weight of a positive example, √(neg/pos) per
	// category, which balances rare categories.
	MaxPosWeight float64 `json:"max_pos_weight"`
	// SourceBalance evens out the weight of data sets of different sizes:
	// an example of a set of n examples weighs n^-SourceBalance, scaled so
	// that the mean weight is 1 (0: every example weighs the same; 1: every
	// set weighs the same).
	SourceBalance float64 `json:"source_balance"`
	// ThresholdBalance is SourceBalance for the F-score that chooses
	// thresholds: 1 counts every data set the same, so that no one set
	// dictates the operating point.
	ThresholdBalance float64 `json:"threshold_balance"`
	// MaxFalseAlarm is the false-alarm budget of a threshold: at most this
	// share of the benign texts of every benign data set (of 50 texts or
	// more) may reach it, out of fold. 0 means no budget.
	MaxFalseAlarm float64 `json:"max_false_alarm"`
	// FBeta is the weight of recall against precision in the F-score that
	// thresholds maximise (1: F1; below 1 favours precision).
	FBeta float64 `json:"f_beta"`
	// LongTextBalance weighs each of the k windows of a long harmless text
	// k^-LongTextBalance: 1 makes the text count as much as a short one, 0
	// makes every window count as much, for the detector scores each of
	// them (a long answer has many chances of a false alarm).
	LongTextBalance float64 `json:"long_text_balance"`
	// IDF scales each feature by its inverse document frequency in the
	// training samples while training (and folds the scale into the
	// weights), so that a feature of half the texts needs more evidence to
	// move a score than a specific one.
	IDF bool `json:"idf"`
	// Features is the feature set (classify.FeatureSet) trained on; 0, as
	// in the options recorded by a model made before the field, is set 1.
	Features classify.FeatureSet `json:"features"`
	// ContentOnly names the categories whose weights for word pairs of two
	// function words ("you are", "are a") stay zero, so that only what a
	// text says, not its grammatical frame, can raise them.
	ContentOnly []string `json:"content_only,omitempty"`

	Verbose bool `json:"-"` // report every epoch
}

// DefaultOptions returns the options of the embedded model.
func DefaultOptions() Options {
	return Options{
		DataDir:          filepath.Join("..", "shared", "data"),
		Out:              filepath.Join("internal", "detect", "classify", "model.bin.gz"),
		Seed:             20260101,
		Bits:             18,
		Window:           48,
		Epochs:           24,
		Folds:            5,
		Alpha:            0.5,
		Beta:             1,
		L1:               0.2,
		L2:               1,
		MaxPosWeight:     5,
		SourceBalance:    0.5,
		ThresholdBalance: 1,
		MaxFalseAlarm:    0.03,
		FBeta:            1,
		LongTextBalance:  0,
		IDF:              true,
		Features:         classify.CurrentFeatures,
		ContentOnly:      []string{classify.Hate, classify.Harassment},
	}
}

func (o *Options) validate() error {
	switch {
	case o.Bits < 8 || o.Bits > 22:
		return fmt.Errorf("bits %d outside [8, 22]", o.Bits)
	case o.Window < 4:
		return fmt.Errorf("window %d below 4", o.Window)
	case o.Epochs < 1:
		return fmt.Errorf("epochs %d below 1", o.Epochs)
	case o.Folds < 2:
		return fmt.Errorf("folds %d below 2", o.Folds)
	case !(o.Alpha > 0) || o.Beta < 0 || o.L1 < 0 || o.L2 < 0 || !(o.MaxPosWeight >= 1) || !(o.FBeta > 0) ||
		o.SourceBalance < 0 || o.SourceBalance > 1 || o.ThresholdBalance < 0 || o.ThresholdBalance > 1 ||
		o.MaxFalseAlarm < 0 || o.MaxFalseAlarm >= 1 || o.LongTextBalance < 0 || o.LongTextBalance > 1:
		return errors.New("alpha must be positive, beta, l1 and l2 not negative, max_pos_weight at least 1, f_beta positive, source_balance, threshold_balance and long_text_balance in [0, 1], max_false_alarm in [0, 1)")
	case o.Features < 0 || o.Features > classify.CurrentFeatures:
		// 0, in the options of a model made before the field, is set 1
		return fmt.Errorf("features %d outside [%d, %d]", o.Features, classify.SkeletonAllWords, classify.CurrentFeatures)
	}
	for _, c := range o.ContentOnly {
		if !slices.Contains(classify.Categories, c) {
			return fmt.Errorf("content_only: unknown category %q", c)
		}
	}
	return nil
}

// Provenance is what the model header's "training" field holds: how the
// model was made, from what, and how it measured.
type Provenance struct {
	Options Options `json:"options"`
	// Inputs is the SHA-256 of the training examples (source, key, text and
	// labels, in order); the same inputs and options give the same model.
	Inputs    string         `json:"inputs_sha256"`
	Examples  map[string]int `json:"examples"`  // training examples per source
	Positives map[string]int `json:"positives"` // training positives per category
	GoVersion string         `json:"go_version"`
	GoArch    string         `json:"goarch"`
	// CV are the cross-validated figures on the training half at the chosen
	// thresholds; HeldOut the figures on the held-out half.
	CV      *Report `json:"cv"`
	HeldOut *Report `json:"held_out"`
}

// ReadProvenance decodes the training record of a model.
func ReadProvenance(m *classify.Model) (*Provenance, error) {
	var p Provenance
	if err := json.Unmarshal(m.Header.Training, &p); err != nil {
		return nil, fmt.Errorf("model %s: training record: %w", m.Version(), err)
	}
	return &p, nil
}

// Run loads the data, trains, measures and writes the model to o.Out
// (through a temporary file and a rename, so a reader never sees half a
// model). Progress and the figures go to progress.
func Run(ctx context.Context, o Options, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	if err := o.validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	start := time.Now()
	trainEx, err := Load(o.DataDir, TrainSplit)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	heldEx, err := Load(o.DataDir, HeldOut)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	fmt.Fprintf(progress, "loaded %d training and %d held-out examples from %s and the seed files\n", len(trainEx), len(heldEx), o.DataDir)
	m, prov, err := Train(ctx, o, trainEx, progress)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	prov.HeldOut = Evaluate(m, heldEx, HeldOut)
	fmt.Fprintf(progress, "\nheld-out half (never trained or tuned on):\n")
	prov.HeldOut.Write(progress)
	m, err = withProvenance(m, prov)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := atomicfile.Write(o.Out, m.Encode); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	fmt.Fprintf(progress, "\nwrote %s (model %s) in %s\n", o.Out, m.Version(), time.Since(start).Round(time.Second))
	return nil
}

// Train trains a model on ex: Folds-fold cross-validation chooses each
// category's threshold, then a model trained on all of ex gets those
// thresholds. The provenance has everything but the held-out figures.
func Train(ctx context.Context, o Options, ex []Example, progress io.Writer) (*classify.Model, *Provenance, error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	prov := &Provenance{
		Options:   o,
		Inputs:    Checksum(ex),
		Examples:  map[string]int{},
		Positives: map[string]int{},
		GoVersion: runtime.Version(),
		GoArch:    runtime.GOARCH,
	}
	for _, e := range ex {
		if e.EvalOnly {
			continue
		}
		prov.Examples[e.Source]++
		for c, name := range classify.Categories {
			if e.Has(c) {
				prov.Positives[name]++
			}
		}
	}
	fmt.Fprintf(progress, "training inputs sha256 %s\n", prov.Inputs)
	for _, name := range classify.Categories {
		fmt.Fprintf(progress, "  %-14s %5d positives\n", name, prov.Positives[name])
	}

	vecs := vectorizeAll(o, ex)
	cv, err := crossValidate(ctx, o, ex, vecs, progress)
	if err != nil {
		return nil, nil, err
	}
	prov.CV = cv.Report
	fmt.Fprintf(progress, "\ncross-validated on the training half (%d folds), at the chosen thresholds:\n", o.Folds)
	for _, row := range prov.CV.Rows {
		if row.Source == "all" {
			m := row.Metrics
			fmt.Fprintf(progress, "  %-14s threshold %+.3f  precision %.3f recall %.3f F1 %.3f AUPRC %.3f\n",
				row.Category, cv.Thresholds[slices.Index(classify.Categories, row.Category)], m.Precision, m.Recall, m.F1, m.AUPRC)
		}
	}

	var all []sample
	for i := range ex {
		all = append(all, vecs[i]...)
	}
	m, err := fit(ctx, o, all, o.Seed, progress, "final")
	if err != nil {
		return nil, nil, err
	}
	for c := range m.Header.Categories {
		m.Header.Categories[c].Threshold = cv.Thresholds[c]
	}
	m, err = withProvenance(m, prov)
	return m, prov, err
}

// CV is the outcome of cross-validation on the training half.
type CV struct {
	// Margins[i] are example i's margins, per category, from the model
	// that did not train on it.
	Margins [][]float64
	// Thresholds are the chosen margin thresholds, per category.
	Thresholds []float64
	// Report has the figures of the out-of-fold scores at Thresholds.
	Report *Report
}

// CrossValidate runs Folds-fold cross-validation on ex and chooses the
// thresholds, without training the final model.
func CrossValidate(ctx context.Context, o Options, ex []Example, progress io.Writer) (*CV, error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return crossValidate(ctx, o, ex, vectorizeAll(o, ex), progress)
}

// vectorizeAll turns examples into samples weighted by SourceBalance.
func vectorizeAll(o Options, ex []Example) [][]sample {
	w := sourceWeights(ex, o.SourceBalance)
	vecs := make([][]sample, len(ex))
	for i := range ex {
		if ex[i].EvalOnly {
			continue
		}
		vecs[i] = vectorize(&ex[i], o.Features, o.Bits, o.Window, o.LongTextBalance)
		for j := range vecs[i] {
			vecs[i][j].weight *= float32(w[i])
		}
	}
	return vecs
}

// sourceWeights weighs each example n^-p, n the examples of its source,
// scaled to a mean of 1 over the examples trained on (EvalOnly ones weigh
// nothing).
func sourceWeights(ex []Example, p float64) []float64 {
	n := map[string]int{}
	trained := 0
	for _, e := range ex {
		if !e.EvalOnly {
			n[e.Source]++
			trained++
		}
	}
	w := make([]float64, len(ex))
	total := 0.0
	for i, e := range ex {
		if !e.EvalOnly {
			w[i] = math.Pow(float64(n[e.Source]), -p)
			total += w[i]
		}
	}
	for i := range w {
		w[i] *= float64(trained) / total
	}
	return w
}

func crossValidate(ctx context.Context, o Options, ex []Example, vecs [][]sample, progress io.Writer) (*CV, error) {
	fold := make([]int, len(ex))
	for i := range ex {
		fold[i] = foldOf(ex[i].foldKey(), o.Folds, o.Seed)
	}
	// Out-of-fold scores: each example scored by the model that did not
	// train on it, through the detector's own path (windows, quantised
	// weights).
	k := len(classify.Categories)
	cv := &CV{Margins: make([][]float64, len(ex)), Thresholds: make([]float64, k)}
	for f := range o.Folds {
		var train []sample
		for i := range ex {
			if fold[i] != f {
				train = append(train, vecs[i]...)
			}
		}
		m, err := fit(ctx, o, train, o.Seed+uint64(f)+1, progress, fmt.Sprintf("fold %d/%d", f+1, o.Folds))
		if err != nil {
			return nil, err
		}
		for i := range ex {
			if fold[i] == f {
				cv.Margins[i] = make([]float64, k)
				for c, s := range m.Classify(ex[i].Text) {
					cv.Margins[i][c] = s.Margin
				}
			}
		}
	}
	tw := sourceWeights(ex, o.ThresholdBalance)
	benignN := map[string]int{}
	for i := range ex {
		if set := budgetSet(&ex[i]); set != "" {
			benignN[set]++
		}
	}
	for c := range k {
		var ms, ws []float64
		var ls []bool
		var group []int
		var budget []int // per group: the false alarms allowed
		groupOf := map[string]int{}
		for i := range ex {
			if ex[i].EvalOnly || trainKnown(&ex[i])&(1<<c) == 0 {
				continue
			}
			ms = append(ms, cv.Margins[i][c])
			ls = append(ls, ex[i].Has(c))
			ws = append(ws, tw[i])
			g := -1
			if src := budgetSet(&ex[i]); src != "" && o.MaxFalseAlarm > 0 && benignN[src] >= 50 {
				var ok bool
				if g, ok = groupOf[src]; !ok {
					g = len(budget)
					groupOf[src] = g
					budget = append(budget, int(o.MaxFalseAlarm*float64(benignN[src])))
				}
			}
			group = append(group, g)
		}
		cv.Thresholds[c] = chooseThreshold(ms, ls, ws, o.FBeta, group, budget)
	}
	cv.Report = report(ex, func(i, c int) float64 {
		s := sigmoid(cv.Margins[i][c] - cv.Thresholds[c])
		if r, ok := classify.Requires[classify.Categories[c]]; ok {
			j := slices.Index(classify.Categories, r)
			s = min(s, sigmoid(cv.Margins[i][j]-cv.Thresholds[j]))
		}
		return s
	}, TrainSplit)
	return cv, nil
}

// budgetSet names the benign set whose false-alarm budget an example
// counts against, or "" for none. Every benign data set counts, and so do
// the project's seed examples of ordinary text (system prompts and other
// instructions, answers, persona prompts) as one set; the other seed
// examples, written to look harmful (contrast prompts, harmful framings
// with harmless topics), only train: held to a budget, the project's own
// hard negatives would set every threshold, and they are a knob the
// project turns itself.
func budgetSet(e *Example) string {
	switch {
	case !e.Benign:
		return ""
	case e.Source != "seed":
		return e.Source
	case ordinarySeeds[e.Group]:
		return "seed-ordinary"
	}
	return ""
}

// ordinarySeeds are the seed groups of ordinary text.
var ordinarySeeds = map[string]bool{"instructions": true, "answers": true, "benign_persona": true}

// foldOf assigns a key to a fold by its FNV-1a hash, mixed with the seed.
func foldOf(key string, folds int, seed uint64) int {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(key))
	return int(h.Sum64() % uint64(folds))
}

// chooseThreshold returns the margin threshold that maximises the F-score
// (with weight beta on recall) of "margin ≥ threshold", each example
// counting with its weight, placed halfway between the lowest flagged
// margin and the next one below it. Ties go to the higher threshold.
//
// group[i] ≥ 0 puts a negative example in a benign group; a threshold may
// flag at most budget[g] examples of group g. The highest threshold is
// always allowed.
func chooseThreshold(margins []float64, labels []bool, weights []float64, beta float64, group, budget []int) float64 {
	idx := make([]int, len(margins))
	pos := 0.0
	for i := range idx {
		idx[i] = i
		if labels[i] {
			pos += weights[i]
		}
	}
	if pos == 0 {
		return math.Inf(1)
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(margins[b], margins[a]) })
	b2 := beta * beta
	used := make([]int, len(budget))
	best, bestAt, tp, flagged := -1.0, 0, 0.0, 0.0
	for i := 0; i < len(idx); {
		j := i
		over := false
		for j < len(idx) && margins[idx[j]] == margins[idx[i]] {
			if labels[idx[j]] {
				tp += weights[idx[j]]
			}
			if g := group[idx[j]]; g >= 0 {
				used[g]++
				over = over || used[g] > budget[g]
			}
			flagged += weights[idx[j]]
			j++
		}
		if over && bestAt > 0 {
			break
		}
		p, r := tp/flagged, tp/pos
		if f := (1 + b2) * p * r / (b2*p + r); p+r > 0 && f > best {
			best, bestAt = f, j
		}
		i = j
		if over {
			break
		}
	}
	lo := margins[idx[bestAt-1]]
	if bestAt < len(idx) {
		return (lo + margins[idx[bestAt]]) / 2
	}
	return lo - 1
}

// Checksum is the SHA-256 of the examples' sources, groups, keys, fold
// keys, texts and labels, in order.
func Checksum(ex []Example) string {
	h := sha256.New()
	var b [8]byte
	for _, e := range ex {
		for _, s := range []string{e.Source, e.Group, e.Key, e.FoldKey, e.Text} {
			binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
			h.Write(b[:])
			h.Write([]byte(s))
		}
		binary.LittleEndian.PutUint16(b[:], e.Pos)
		binary.LittleEndian.PutUint16(b[2:], e.Known)
		h.Write(b[:4])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// withProvenance returns m with prov in its header.
func withProvenance(m *classify.Model, prov *Provenance) (*classify.Model, error) {
	raw, err := json.Marshal(prov)
	if err != nil {
		return nil, err
	}
	m.Header.Training = raw
	return m.Rehash()
}
