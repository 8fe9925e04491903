package refusal

// Training of model.json, kept here so that the weights can be reproduced:
//
//	go generate ./internal/detect/refusal     (runs: go test -run TestTrain -update)
//
// reads the XSTest completions of all five models from ../shared/data/xstest
// and keeps the rows whose prompt id has an even FNV-1a 64 hash (the odd
// half is held out for quality_test.go), adds the examples written for this
// package in testdata/train_extra.jsonl (refusals phrased as XSTest's five
// models never did), fits a multinomial logistic regression over the
// features of features.go with full-batch Adam and L2 penalties, picks the
// refusal threshold from 5-fold cross-validation on the XSTest half (folds by
// prompt id), and writes model.json. Nothing is random and the output is
// rounded, so a run reproduces the file byte for byte on amd64; TestTrain
// without -update (MODELSPEC_QUALITY=1) checks it to within 1e-3.
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/refusal -run TestTrainCV -v
//
// prints the cross-validated figures on the even half for the options
// compared when the model was built (the odd half plays no part);
// REFUSAL_CV=v also lists the cross-validation errors.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

var update = flag.Bool("update", false, "retrain on the even half of XSTest and write model.json")

// trainOpts are the training options.
type trainOpts struct {
	name     string
	l2       float64 // L2 penalty on hand-made features
	l2Ngram  float64 // L2 penalty on n-gram features
	l2Cue    float64 // L2 penalty on per-cue features (q1:, qa:); 0 means l2
	minDF    int     // an n-gram is kept when this many prompts' responses hold it
	ngrams   bool    // use n-gram features at all
	prompt   bool    // train on ClassifyPair's features (cue phrases the prompt holds do not count)
	balanced bool    // weight classes by inverse frequency
	partialW float64 // weight of partial refusals (when not balanced; 0 means 1)
	// handOnly adds, for each example, a copy without its n-grams at this
	// weight, so that the hand-made features must carry the verdict on
	// their own: phrasings that XSTest's five models never used then
	// still count.
	handOnly float64
	noExtra  bool // leave out testdata/train_extra.jsonl
	iters    int
	lr       float64
}

// opts is the configuration model.json is trained with, chosen by
// TestTrainCV on the even half.
var opts = trainOpts{name: "chosen", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 8, ngrams: true, prompt: true, partialW: 2, iters: 600, lr: 0.05}

// example is one response as features, with its class and its prompt id.
type example struct {
	f     map[string]float64
	y     int
	group string
	model string
}

// nameSink records features by name.
type nameSink struct{ m map[string]float64 }

func (s *nameSink) add(name string, v float64) { s.m[name] += v }
func (s *nameSink) ngram(prefix, a, b string)  { s.m[ngramName(prefix, a, b)] = 1 }

func isNgram(name string) bool { return strings.HasPrefix(name, "f:") || strings.HasPrefix(name, "a:") }

func featurize(rows []xsRow, usePrompt bool) []example {
	var a analysis
	lx, _ := standard()
	out := make([]example, 0, len(rows))
	for _, r := range rows {
		prompt := ""
		if usePrompt {
			prompt = r.Prompt
		}
		a.analyse(lx, prompt, r.Completion)
		s := &nameSink{m: map[string]float64{}}
		a.features(lx, s)
		out = append(out, example{f: s.m, y: labelIndex(r.Label), group: r.ID, model: r.Model})
	}
	return out
}

// fitted is a trained model: weights by feature name.
type fitted struct {
	w map[string][3]float64
}

func (f *fitted) probs(x map[string]float64) [3]float64 {
	var z [3]float64
	for name, v := range x {
		if w, ok := f.w[name]; ok {
			for c := range z {
				z[c] += w[c] * v
			}
		}
	}
	return softmax(z)
}

type feat struct {
	j int
	v float64
}

// fit trains on ex with o. Features are ordered by name and examples are
// visited in order, so the result is the same on every run.
func fit(ex []example, o trainOpts) *fitted {
	weight := make([]float64, len(ex))
	for i := range weight {
		weight[i] = 1
	}
	if o.handOnly > 0 {
		n := len(ex)
		ex = slices.Clone(ex)
		for _, e := range ex[:n] {
			c := e
			c.f = maps.Clone(e.f)
			maps.DeleteFunc(c.f, func(name string, _ float64) bool { return isNgram(name) })
			ex = append(ex, c)
			weight = append(weight, o.handOnly)
		}
	}
	groups := map[string]map[string]bool{}
	for _, e := range ex {
		for name := range e.f {
			if !isNgram(name) {
				continue
			}
			if groups[name] == nil {
				groups[name] = map[string]bool{}
			}
			groups[name][e.group] = true
		}
	}
	keep := func(name string) bool {
		if !isNgram(name) {
			return true
		}
		return o.ngrams && len(groups[name]) >= o.minDF
	}
	nameSet := map[string]bool{}
	for _, e := range ex {
		for name := range e.f {
			if keep(name) {
				nameSet[name] = true
			}
		}
	}
	names := slices.Sorted(maps.Keys(nameSet))
	index := make(map[string]int, len(names))
	for j, n := range names {
		index[n] = j
	}
	X := make([][]feat, len(ex))
	for i, e := range ex {
		for _, n := range slices.Sorted(maps.Keys(e.f)) {
			if j, ok := index[n]; ok {
				X[i] = append(X[i], feat{j, e.f[n]})
			}
		}
	}
	var cw [3]float64
	for c := range cw {
		cw[c] = 1
	}
	if o.partialW > 0 {
		cw[2] = o.partialW
	}
	if o.balanced {
		var cnt [3]int
		for _, e := range ex {
			cnt[e.y]++
		}
		for c := range cw {
			cw[c] = float64(len(ex)) / (3 * float64(max(1, cnt[c])))
		}
	}
	penalty := make([]float64, len(names))
	for j, n := range names {
		switch {
		case n == "bias":
		case isNgram(n):
			penalty[j] = o.l2Ngram
		case o.l2Cue > 0 && (strings.HasPrefix(n, "q1:") || strings.HasPrefix(n, "qa:")):
			penalty[j] = o.l2Cue
		default:
			penalty[j] = o.l2
		}
	}

	W := make([][3]float64, len(names))
	m := make([][3]float64, len(names))
	v := make([][3]float64, len(names))
	g := make([][3]float64, len(names))
	const b1, b2, eps = 0.9, 0.999, 1e-8
	var n float64
	for _, w := range weight {
		n += w
	}
	for it := 1; it <= o.iters; it++ {
		clear(g)
		for i, x := range X {
			var z [3]float64
			for _, f := range x {
				for c := range z {
					z[c] += W[f.j][c] * f.v
				}
			}
			p := softmax(z)
			y := ex[i].y
			for c := range p {
				d := p[c]
				if c == y {
					d--
				}
				d *= cw[y] * weight[i] / n
				for _, f := range x {
					g[f.j][c] += d * f.v
				}
			}
		}
		c1 := 1 - math.Pow(b1, float64(it))
		c2 := 1 - math.Pow(b2, float64(it))
		for j := range W {
			for c := range 3 {
				gr := g[j][c] + penalty[j]*W[j][c]
				m[j][c] = b1*m[j][c] + (1-b1)*gr
				v[j][c] = b2*v[j][c] + (1-b2)*gr*gr
				W[j][c] -= o.lr * (m[j][c] / c1) / (math.Sqrt(v[j][c]/c2) + eps)
			}
		}
	}
	f := &fitted{w: make(map[string][3]float64, len(names))}
	for j, n := range names {
		f.w[n] = W[j]
	}
	return f
}

// cvFold is the cross-validation fold of a prompt id, from a hash other
// than the one that splits the halves.
func cvFold(id string, k int) int {
	h := fnv.New64a()
	h.Write([]byte("cv:" + id))
	return int(h.Sum64() % uint64(k))
}

// crossValidate returns out-of-fold class probabilities for ex; extra
// examples are added to every training fold.
func crossValidate(ex, extra []example, o trainOpts, k int) [][3]float64 {
	out := make([][3]float64, len(ex))
	for fold := range k {
		train := slices.Clone(extra)
		for _, e := range ex {
			if cvFold(e.group, k) != fold {
				train = append(train, e)
			}
		}
		f := fit(train, o)
		for i, e := range ex {
			if cvFold(e.group, k) == fold {
				out[i] = f.probs(e.f)
			}
		}
	}
	return out
}

// bestThreshold returns the refusal threshold, on a grid of 0.01, that
// gives the highest 3-class accuracy on probs; among equals, the one
// nearest 0.5.
func bestThreshold(ex []example, probs [][3]float64) float64 {
	best, bestAcc := 0.5, -1.0
	for t := 20; t <= 80; t++ {
		th := float64(t) / 100
		var c confusion
		for i, e := range ex {
			c.add(labels[e.y], decide(probs[i], th))
		}
		acc := c.accuracy()
		if acc > bestAcc+1e-12 || math.Abs(acc-bestAcc) < 1e-12 && math.Abs(th-0.5) < math.Abs(best-0.5) {
			best, bestAcc = th, acc
		}
	}
	return best
}

// TestTrainCV compares training options by 5-fold cross-validation on the
// even half (tuning data only).
func TestTrainCV(t *testing.T) {
	dt.NeedData(t)
	rows := loadXSTest(t, 0)
	var base confusion
	for _, r := range rows {
		base.add(r.Label, r.StrMatch)
	}
	t.Logf("even half, %d rows (TUNING DATA)\n%s", len(rows), base.report("string match"))
	variants := []trainOpts{
		opts,
		{name: "balanced classes", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 8, ngrams: true, prompt: true, balanced: true, iters: 600, lr: 0.05},
		{name: "unweighted classes", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 8, ngrams: true, prompt: true, iters: 600, lr: 0.05},
		{name: "without train_extra.jsonl", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 8, ngrams: true, prompt: true, partialW: 2, noExtra: true, iters: 600, lr: 0.05},
		{name: "no prompt echo", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 8, ngrams: true, prompt: false, partialW: 2, iters: 600, lr: 0.05},
		{name: "no n-grams", l2: 3e-4, l2Cue: 1e-2, ngrams: false, prompt: true, partialW: 2, iters: 600, lr: 0.05},
		{name: "n-grams in 4+ prompts", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 4, ngrams: true, prompt: true, partialW: 2, iters: 600, lr: 0.05},
		{name: "weaker penalties", l2: 1e-3, l2Ngram: 3e-3, minDF: 8, ngrams: true, prompt: true, partialW: 2, iters: 600, lr: 0.05},
		{name: "stronger penalties", l2: 1e-3, l2Ngram: 3e-2, l2Cue: 3e-2, minDF: 8, ngrams: true, prompt: true, partialW: 2, iters: 600, lr: 0.05},
		{name: "hand-only copies at weight 0.5", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 8, ngrams: true, prompt: true, partialW: 2, handOnly: 0.5, iters: 600, lr: 0.05},
		{name: "1500 iterations", l2: 3e-4, l2Ngram: 1e-2, l2Cue: 1e-2, minDF: 8, ngrams: true, prompt: true, partialW: 2, iters: 1500, lr: 0.05},
	}
	if s := os.Getenv("REFUSAL_CV"); s != "" { // REFUSAL_CV=1 runs only the chosen options; =v lists the errors
		variants = variants[:1]
	}
	if s := os.Getenv("REFUSAL_CV_ONLY"); s != "" {
		variants = slices.DeleteFunc(variants, func(o trainOpts) bool { return !strings.Contains(o.name, s) })
	}
	withPrompt, without := featurize(rows, true), featurize(rows, false)
	extraRows := loadExtra(t)
	extraWith, extraWithout := featurize(extraRows, true), featurize(extraRows, false)
	for _, o := range variants {
		ex, extra := without, extraWithout
		if o.prompt {
			ex, extra = withPrompt, extraWith
		}
		if o.noExtra {
			extra = nil
		}
		probs := crossValidate(ex, extra, o, 5)
		th := bestThreshold(ex, probs)
		var c, c50 confusion
		perModel := map[string]*confusion{}
		scores := make([]float64, len(ex))
		pos := make([]bool, len(ex))
		for i, e := range ex {
			c.add(labels[e.y], decide(probs[i], th))
			c50.add(labels[e.y], decide(probs[i], 0.5))
			if perModel[e.model] == nil {
				perModel[e.model] = &confusion{}
			}
			perModel[e.model].add(labels[e.y], decide(probs[i], th))
			scores[i], pos[i] = probs[i][1]+probs[i][2], e.y != 0
		}
		if os.Getenv("REFUSAL_CV") == "v" {
			for i, e := range ex {
				if pred := decide(probs[i], th); pred != labels[e.y] {
					r := rows[i]
					t.Logf("MISS gold %s pred %s (%.2f/%.2f/%.2f) %s %s %q\n  %.600q\n  %v", labels[e.y], pred, probs[i][0], probs[i][1], probs[i][2],
						r.Model, r.ID, r.Prompt, r.Completion, ClassifyPair(r.Prompt, r.Completion).Evidence)
				}
			}
		}
		var pm []string
		for _, m := range xsModels {
			pm = append(pm, fmt.Sprintf("%s %.3f", m, perModel[m].accuracy()))
		}
		t.Logf("%s\n    threshold 0.50: accuracy %.3f; CV-best threshold %.2f; AUPRC %.3f\n    per model: %s",
			c.report(fmt.Sprintf("5-fold CV %q %+v", o.name, o)), c50.accuracy(), th, auprc(scores, pos), strings.Join(pm, ", "))
	}
}

// trainModel trains model.json's content on the even half and
// testdata/train_extra.jsonl.
func trainModel(t *testing.T) []byte {
	rows := loadXSTest(t, 0)
	ex := featurize(rows, opts.prompt)
	extra := featurize(loadExtra(t), opts.prompt)
	th := bestThreshold(ex, crossValidate(ex, extra, opts, 5))
	f := fit(append(slices.Clone(ex), extra...), opts)
	return encodeModel(f, th, len(rows), len(extra))
}

// loadExtra reads testdata/train_extra.jsonl, examples written for this
// package.
func loadExtra(t testing.TB) []xsRow {
	t.Helper()
	b, err := os.ReadFile("testdata/train_extra.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []xsRow
	for n, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var r struct{ Prompt, Response, Label string }
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil || labelIndex(r.Label) < 0 {
			t.Fatalf("train_extra.jsonl:%d: %v (label %q)", n+1, err, r.Label)
		}
		out = append(out, xsRow{Model: "extra", ID: fmt.Sprintf("extra-%d", n+1), Prompt: r.Prompt, Completion: r.Response, Label: r.Label})
	}
	return out
}

// encodeModel writes model.json, one feature per line, names sorted,
// weights rounded to 4 decimals; features whose weights all round to zero
// are left out.
func encodeModel(f *fitted, threshold float64, n, extra int) []byte {
	var b bytes.Buffer
	note := fmt.Sprintf("multinomial logistic regression trained by TestTrain (train_test.go, go generate) on the %d XSTest completions "+
		"(5 models) whose prompt id has an even FNV-1a 64 hash and %d examples of testdata/train_extra.jsonl; options %+v; "+
		"threshold from 5-fold CV on the XSTest half", n, extra, opts)
	fmt.Fprintf(&b, "{\n\"note\": %s,\n\"classes\": [%q, %q, %q],\n\"threshold\": %.2f,\n\"weights\": {\n",
		jsonString(note), labels[0], labels[1], labels[2], threshold)
	first := true
	for _, name := range slices.Sorted(maps.Keys(f.w)) {
		w := f.w[name]
		var r [3]float64
		zero := true
		for c := range w {
			r[c] = math.Round(w[c]*1e4) / 1e4
			if r[c] != 0 {
				zero = false
			}
		}
		if zero {
			continue
		}
		if !first {
			b.WriteString(",\n")
		}
		first = false
		fmt.Fprintf(&b, "%s: [%s, %s, %s]", jsonString(name), num(r[0]), num(r[1]), num(r[2]))
	}
	b.WriteString("\n}\n}\n")
	return b.Bytes()
}

func num(x float64) string {
	if x == 0 {
		return "0"
	}
	return fmt.Sprintf("%.4g", x)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestTrain retrains model.json on the even half: with -update it writes
// the file; otherwise (MODELSPEC_QUALITY=1) it checks that the embedded
// model is what training produces.
func TestTrain(t *testing.T) {
	if !*update {
		dt.NeedData(t)
	}
	got := trainModel(t)
	if *update {
		if err := os.WriteFile("model.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote model.json (%d bytes)", len(got))
		return
	}
	var a, b modelFile
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(modelJSON, &b); err != nil {
		t.Fatal(err)
	}
	if a.Threshold != b.Threshold || len(a.Weights) != len(b.Weights) {
		t.Fatalf("model.json is stale (threshold %v vs %v, %d vs %d weights): run go generate", b.Threshold, a.Threshold, len(b.Weights), len(a.Weights))
	}
	for name, w := range a.Weights {
		for c := range w {
			if math.Abs(w[c]-b.Weights[name][c]) > 1e-3 {
				t.Fatalf("model.json is stale (%s: %v vs %v): run go generate", name, b.Weights[name], w)
			}
		}
	}
}
