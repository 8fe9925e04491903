package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/modelspec/modelspec/internal/detect/classify"
)

// sample is one training vector: the features of a text (or of one window
// of a long negative text) with their values, count/√(features), as the
// detector computes them.
type sample struct {
	idx        []uint32
	val        []float32
	pos, known uint16
	// weight is k^-LongTextBalance for one of the k windows of a long
	// negative text, 1 otherwise; the source weight multiplies it.
	weight float32
}

// vectorize turns an example into samples of the features fs. A text of at
// most window words is one sample. A longer text that is positive for no
// category is cut into windows of window words every window/2 words,
// because the detector scores every such window and any of them could raise
// a false alarm; each of its k windows weighs k^-longBalance (1: the text
// weighs as much as a short one; 0: each window does). A longer positive
// text is one sample of its first 4·window words.
func vectorize(e *Example, fs classify.FeatureSet, bits uint, window int, longBalance float64) []sample {
	var words [][]uint32
	fs.Features(e.Text, bits, func(_, _ int, feats []uint32) {
		if len(words) < 64*window {
			words = append(words, slices.Clone(feats))
		}
	})
	mk := func(ws [][]uint32) sample {
		var all []uint32
		for _, w := range ws {
			all = append(all, w...)
		}
		slices.Sort(all)
		s := sample{pos: e.Pos, known: trainKnown(e), weight: 1}
		norm := float32(0)
		if len(all) > 0 {
			norm = float32(1 / math.Sqrt(float64(len(all))))
		}
		for i := 0; i < len(all); {
			j := i
			for j < len(all) && all[j] == all[i] {
				j++
			}
			s.idx = append(s.idx, all[i])
			s.val = append(s.val, float32(j-i)*norm)
			i = j
		}
		return s
	}
	if len(words) <= window || e.Pos != 0 {
		return []sample{mk(words[:min(len(words), 4*window)])}
	}
	var out []sample
	step := max(1, window/2)
	for start := 0; ; start += step {
		end := min(start+window, len(words))
		out = append(out, mk(words[start:end]))
		if end == len(words) {
			break
		}
	}
	for i := range out {
		out[i].weight = float32(math.Pow(float64(len(out)), -longBalance))
	}
	return out
}

// trainKnown is the categories an example trains: those whose label is
// known, except a refining category (classify.Requires) when the example is
// not in the category it refines.
func trainKnown(e *Example) uint16 {
	k := e.Known
	for c, name := range classify.Categories {
		if r, ok := classify.Requires[name]; ok && !e.Has(slices.Index(classify.Categories, r)) {
			k &^= 1 << c
		}
	}
	return k
}

// ftrl is FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from
// the Trenches", KDD 2013) for k logistic regressions at once: per-weight
// adaptive learning rates like AdaGrad, with L1 and L2 regularisation
// applied exactly and lazily, so rare features are not under-regularised.
type ftrl struct {
	k                   int
	alpha, beta, l1, l2 float64
	z, n                []float64 // [bucket*k + category]
	bz, bn              []float64 // biases: FTRL without regularisation
	posWeight           []float64 // weight of a positive example, per category
	// scale multiplies each bucket's feature values (IDF), nil for none;
	// the weights are returned multiplied by it, so that the detector
	// scores raw values.
	scale []float64
	// fixed has, per bucket, a bit for each category whose weight stays 0
	// (Options.ContentOnly).
	fixed []uint16
}

func newFTRL(o Options, k int) *ftrl {
	size := k << o.Bits
	return &ftrl{
		k: k, alpha: o.Alpha, beta: o.Beta, l1: o.L1, l2: o.L2,
		z: make([]float64, size), n: make([]float64, size),
		bz: make([]float64, k), bn: make([]float64, k),
		posWeight: make([]float64, k),
	}
}

// fixedAt returns the categories whose weight stays 0 in bucket b, read
// once per feature rather than once per category.
func (f *ftrl) fixedAt(b uint32) uint16 {
	if f.fixed == nil {
		return 0
	}
	return f.fixed[b]
}

func (f *ftrl) weight(z, n float64) float64 {
	if math.Abs(z) <= f.l1 {
		return 0
	}
	return -(z - math.Copysign(f.l1, z)) / ((f.beta+math.Sqrt(n))/f.alpha + f.l2)
}

func (f *ftrl) bias(c int) float64 {
	return -f.bz[c] / ((f.beta + math.Sqrt(f.bn[c])) / f.alpha)
}

// step trains on one sample and returns its weighted log loss.
func (f *ftrl) step(s *sample, w []float64, g []float64) float64 {
	k := f.k
	for c := range k {
		g[c] = f.bias(c)
	}
	for i, b := range s.idx {
		v := f.value(s, i)
		base := int(b) * k
		fixed := f.fixedAt(b)
		for c := range k {
			wt := f.weight(f.z[base+c], f.n[base+c])
			if fixed&(1<<c) != 0 {
				wt = 0
			}
			w[i*k+c] = wt
			g[c] += wt * v
		}
	}
	loss := 0.0
	for c := range k {
		bit := uint16(1) << c
		if s.known&bit == 0 {
			g[c] = 0
			continue
		}
		p := sigmoid(g[c])
		y, wt := 0.0, float64(s.weight)
		if s.pos&bit != 0 {
			y, wt = 1, wt*f.posWeight[c]
			loss -= wt * math.Log(max(p, 1e-12))
		} else {
			loss -= wt * math.Log(max(1-p, 1e-12))
		}
		g[c] = (p - y) * wt
		// bias
		sigma := (math.Sqrt(f.bn[c]+g[c]*g[c]) - math.Sqrt(f.bn[c])) / f.alpha
		f.bz[c] += g[c] - sigma*f.bias(c)
		f.bn[c] += g[c] * g[c]
	}
	for i, b := range s.idx {
		v := f.value(s, i)
		base := int(b) * k
		fixed := f.fixedAt(b)
		for c := range k {
			if g[c] == 0 || fixed&(1<<c) != 0 {
				continue
			}
			gi := g[c] * v
			j := base + c
			sigma := (math.Sqrt(f.n[j]+gi*gi) - math.Sqrt(f.n[j])) / f.alpha
			f.z[j] += gi - sigma*w[i*k+c]
			f.n[j] += gi * gi
		}
	}
	return loss
}

// categoryBits returns the category bits of the named categories; names
// are checked by Options.validate.
func categoryBits(names []string) uint16 {
	var out uint16
	for _, n := range names {
		if c := slices.Index(classify.Categories, n); c >= 0 {
			out |= 1 << c
		}
	}
	return out
}

// value is the i-th feature value of s, scaled.
func (f *ftrl) value(s *sample, i int) float64 {
	v := float64(s.val[i])
	if f.scale != nil {
		v *= f.scale[s.idx[i]]
	}
	return v
}

// idf returns each bucket's smoothed inverse document frequency over
// samples, ln((1+N)/(1+df)) + 1, divided by its mean over feature
// occurrences so that a typical value keeps its size: a feature found in
// every other text (a function word) then needs a larger weight, which L1
// and L2 resist, to move a score than a rarer, more specific one.
func idf(samples []sample, buckets int) []float64 {
	df := make([]float64, buckets)
	for i := range samples {
		for _, b := range samples[i].idx {
			df[b]++
		}
	}
	n := float64(len(samples))
	out := make([]float64, buckets)
	sum, count := 0.0, 0.0
	for b, d := range df {
		out[b] = math.Log((1+n)/(1+d)) + 1
		sum += out[b] * d
		count += d
	}
	if count > 0 {
		for b := range out {
			out[b] /= sum / count
		}
	}
	return out
}

// weights returns the final weights, one slice per category.
func (f *ftrl) weights() [][]float32 {
	out := make([][]float32, f.k)
	buckets := len(f.z) / f.k
	for c := range f.k {
		out[c] = make([]float32, buckets)
		for b := range buckets {
			j := b*f.k + c
			w := f.weight(f.z[j], f.n[j])
			if f.scale != nil {
				w *= f.scale[b]
			}
			out[c][b] = float32(w)
		}
	}
	return out
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// fit trains a model on samples: Epochs passes in an order shuffled by a
// PCG generator seeded with seed, so the same inputs give the same model.
// Thresholds are left at 0.
func fit(ctx context.Context, o Options, samples []sample, seed uint64, progress io.Writer, label string) (*classify.Model, error) {
	k := len(classify.Categories)
	f := newFTRL(o, k)
	if o.IDF {
		f.scale = idf(samples, 1<<o.Bits)
	}
	if content := categoryBits(o.ContentOnly); content != 0 {
		f.fixed = make([]uint16, 1<<o.Bits)
		for _, b := range classify.FunctionWordPairs(o.Bits) {
			f.fixed[b] |= content
		}
	}
	var pos, neg [16]float64
	for i := range samples {
		s := &samples[i]
		for c := range k {
			bit := uint16(1) << c
			switch {
			case s.pos&bit != 0:
				pos[c] += float64(s.weight)
			case s.known&bit != 0:
				neg[c] += float64(s.weight)
			}
		}
	}
	for c := range k {
		f.posWeight[c] = 1
		if pos[c] > 0 {
			f.posWeight[c] = min(o.MaxPosWeight, max(1, math.Sqrt(neg[c]/pos[c])))
		}
	}
	maxFeats := 0
	for i := range samples {
		maxFeats = max(maxFeats, len(samples[i].idx))
	}
	w := make([]float64, maxFeats*k)
	g := make([]float64, k)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	for epoch := range o.Epochs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss, total := 0.0, 0.0
		for _, i := range order {
			loss += f.step(&samples[i], w, g)
			total += float64(samples[i].weight)
		}
		if progress != nil && (epoch == o.Epochs-1 || o.Verbose) {
			fmt.Fprintf(progress, "  %s epoch %d/%d: mean weighted log loss %.4f\n", label, epoch+1, o.Epochs, loss/total)
		}
	}
	h := classify.Header{Bits: o.Bits, Window: o.Window, Features: o.Features}
	for c, name := range classify.Categories {
		h.Categories = append(h.Categories, classify.Category{Name: name, Clause: classify.Clauses[name], Bias: f.bias(c), Requires: classify.Requires[name]})
	}
	return classify.NewModel(h, f.weights())
}
