package train

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/atomicfile"
	"github.com/modelspec/modelspec/internal/detect/classify"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

func TestAveragePrecision(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"perfect", []float64{0.9, 0.8, 0.1}, []bool{true, true, false}, 1},
		{"reversed", []float64{0.9, 0.1}, []bool{false, true}, 0.5},
		{"interleaved", []float64{0.9, 0.8, 0.7, 0.6}, []bool{true, false, true, false}, (1 + 2.0/3) / 2},
		{"ties count together", []float64{0.5, 0.5}, []bool{true, false}, 0.5},
		{"no positives", []float64{0.5}, []bool{false}, 0},
	} {
		if got := averagePrecision(tc.scores, tc.labels); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMetrics(t *testing.T) {
	m := metrics([]float64{0.9, 0.6, 0.4, 0.2}, []bool{true, false, true, false}, 0.5)
	if m.TP != 1 || m.FP != 1 || m.Pos != 2 || m.Neg != 2 || m.Precision != 0.5 || m.Recall != 0.5 || m.F1 != 0.5 || m.FalseRate != 0.5 {
		t.Errorf("%+v", m)
	}
}

func TestChooseThreshold(t *testing.T) {
	ones := func(n int) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	margins := []float64{3, 2, 1, 0, -1}
	labels := []bool{true, true, false, true, false}
	none := []int{-1, -1, -1, -1, -1}
	// F1 at 2: 1.0·(2/3)… best is flagging the top four (P 3/4, R 1).
	if got := chooseThreshold(margins, labels, ones(5), 1, none, nil); got != -0.5 {
		t.Errorf("F1 threshold %v, want -0.5", got)
	}
	// With a budget of no false alarm on the benign example at margin 1,
	// the threshold must stay above it.
	group := []int{-1, -1, 0, -1, -1}
	if got := chooseThreshold(margins, labels, ones(5), 1, group, []int{0}); got != 1.5 {
		t.Errorf("budgeted threshold %v, want 1.5", got)
	}
	if got := chooseThreshold(margins, []bool{false, false, false, false, false}, ones(5), 1, none, nil); !math.IsInf(got, 1) {
		t.Errorf("no positives: %v", got)
	}
}

// labelCase is one line of testdata/labels.jsonl.
type labelCase struct {
	Text   string   `json:"text"`
	Strong bool     `json:"strong"`
	Want   []string `json:"want"`
}

// TestKeywordLabels checks the keyword rules on cases kept as data.
func TestKeywordLabels(t *testing.T) {
	b, err := os.ReadFile("testdata/labels.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		var c labelCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("labels.jsonl:%d: %v", n, err)
		}
		bits := keywordLabels(c.Text, c.Strong, !c.Strong)
		got := []string{}
		for i, name := range classify.Categories {
			if bits&(1<<i) != 0 {
				got = append(got, name)
			}
		}
		want := slices.Clone(c.Want)
		slices.Sort(want)
		slices.Sort(got)
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("labels.jsonl:%d: %q → %q, want %q", n, c.Text, got, want)
		}
	}
}

func TestKnown(t *testing.T) {
	if k := known(bHazard); k&bViolence != 0 || k&bHate == 0 || k&bHazard == 0 {
		t.Errorf("hazard row: known %b", k)
	}
	if k := known(bHazard | bViolence); k != bAll&^bHarassment {
		t.Errorf("hazard+violence row: known %b", k)
	}
}

// TestSeed checks the seed files: they parse, no text repeats, the
// categories the data sets lack have positives on both halves, and the
// templates fill.
func TestSeed(t *testing.T) {
	var all []Example
	for _, s := range []Split{TrainSplit, HeldOut} {
		ex, err := loaders["seed"]("", s)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{classify.Sexual, classify.SexualMinors, classify.Harassment, classify.SelfHarm} {
			c := slices.Index(classify.Categories, name)
			n := 0
			for i := range ex {
				if ex[i].Has(c) {
					n++
				}
			}
			if n < 5 {
				t.Errorf("%s half: %d seed positives of %s", s, n, name)
			}
		}
		all = append(all, ex...)
	}
	seen := map[string]bool{}
	for _, e := range all {
		if seen[e.Text] {
			t.Errorf("seed text repeated: %q", e.Text)
		}
		seen[e.Text] = true
	}
	if len(all) < 900 {
		t.Errorf("%d seed examples", len(all))
	}
}

// tiny is a small labelled set for training tests.
func tiny() []Example {
	var ex []Example
	add := func(text string, pos uint16) {
		ex = append(ex, Example{Source: "tiny", Key: text, Text: text, Pos: pos, Known: bAll})
	}
	for _, w := range []string{"bomb", "explosive", "detonator", "grenade"} {
		add("how do i make a "+w+" at home", bHazard|bViolence)
		add("where can i buy a "+w, bHazard)
	}
	for _, w := range []string{"cake", "bread", "kite", "garden"} {
		add("how do i make a "+w+" at home", 0)
		add("where can i buy a "+w, 0)
	}
	add("you are a worthless idiot", bHarassment)
	add("i hate those people, they are vermin", bHate)
	add("write an explicit sex story", bSexual)
	add("write an explicit sex story about a child", bSexual|bSexualMinors)
	add("how do i kill myself", bSelfHarm)
	add(strings.Repeat("the meeting is on monday and the report is attached ", 40), 0)
	return ex
}

func tinyOptions() Options {
	o := DefaultOptions()
	o.Bits, o.Epochs, o.Folds = 12, 4, 2
	return o
}

// TestTrainDeterministic checks that the same inputs and seed give the
// same model, and that the model learns the tiny set.
func TestTrainDeterministic(t *testing.T) {
	o := tinyOptions()
	m1, p1, err := Train(context.Background(), o, tiny(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := Train(context.Background(), o, tiny(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !m1.EqualWeights(m2) || m1.Version() != m2.Version() {
		t.Errorf("two runs differ: %s vs %s", m1.Version(), m2.Version())
	}
	if p1.Inputs != Checksum(tiny()) || p1.Examples["tiny"] != len(tiny()) {
		t.Errorf("provenance %+v", p1)
	}
	hz := slices.Index(classify.Categories, classify.Hazard)
	if a, b := m1.Classify("how do i make a bomb at home")[hz].Margin, m1.Classify("how do i make a cake at home")[hz].Margin; a <= b {
		t.Errorf("hazard margin of bomb %v not above cake %v", a, b)
	}
	o.Seed++
	m3, _, err := Train(context.Background(), o, tiny(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m3.EqualWeights(m1) {
		t.Log("another seed gave the same weights (possible on a tiny set)")
	}
}

func TestTrainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Train(ctx, tinyOptions(), tiny(), nil); err == nil {
		t.Error("no error from a cancelled context")
	}
}

func TestOptionsValidate(t *testing.T) {
	for name, mod := range map[string]func(*Options){
		"bits":    func(o *Options) { o.Bits = 30 },
		"window":  func(o *Options) { o.Window = 1 },
		"epochs":  func(o *Options) { o.Epochs = 0 },
		"folds":   func(o *Options) { o.Folds = 1 },
		"alpha":   func(o *Options) { o.Alpha = 0 },
		"balance": func(o *Options) { o.SourceBalance = 2 },
		"budget":  func(o *Options) { o.MaxFalseAlarm = 1 },
		"long":    func(o *Options) { o.LongTextBalance = 2 },
		"feats":   func(o *Options) { o.Features = 9 },
	} {
		o := DefaultOptions()
		mod(&o)
		if err := o.validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	o := DefaultOptions()
	if err := o.validate(); err != nil {
		t.Error(err)
	}
}

// TestVectorizeWindows checks that a long harmless text becomes windows
// weighing k^-LongTextBalance each, so that with balance 1 they weigh one
// example together and with 0.5 they weigh √k.
func TestVectorizeWindows(t *testing.T) {
	e := Example{Text: strings.Repeat("word ", 300), Known: bAll}
	for _, balance := range []float64{1, 0.5, 0} {
		s := vectorize(&e, classify.CurrentFeatures, 12, 64, balance)
		if len(s) < 8 {
			t.Fatalf("%d windows for 300 words", len(s))
		}
		total := 0.0
		for _, v := range s {
			total += float64(v.weight)
		}
		if want := math.Pow(float64(len(s)), 1-balance); math.Abs(total-want) > 1e-4 {
			t.Errorf("balance %v: %d windows weigh %v, want %v", balance, len(s), total, want)
		}
	}
	e.Pos = bHazard
	if s := vectorize(&e, classify.CurrentFeatures, 12, 64, 0.5); len(s) != 1 {
		t.Errorf("positive text: %d samples", len(s))
	}
}

// TestIDF checks the scale: a feature of every sample weighs less than a
// rare one, and the mean over feature occurrences is 1.
func TestIDF(t *testing.T) {
	samples := []sample{{idx: []uint32{0, 1}}, {idx: []uint32{0, 2}}, {idx: []uint32{0}}, {idx: []uint32{0, 1}}}
	s := idf(samples, 4)
	if !(s[0] < s[1] && s[1] < s[2]) {
		t.Errorf("idf %v: want common < less common < rare", s)
	}
	sum, n := 0.0, 0.0
	for _, smp := range samples {
		for _, b := range smp.idx {
			sum += s[b]
			n++
		}
	}
	if math.Abs(sum/n-1) > 1e-12 {
		t.Errorf("mean over occurrences %v, want 1", sum/n)
	}
}

// TestWriteAtomic checks that the model file is written whole and reads
// back.
func TestWriteAtomic(t *testing.T) {
	m, _, err := Train(context.Background(), tinyOptions(), tiny(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.bin.gz")
	if err := atomicfile.Write(path, m.Encode); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m2, err := classify.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Version() != m.Version() {
		t.Errorf("version %s, want %s", m2.Version(), m.Version())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the directory", len(entries))
	}
	if err := atomicfile.Write(filepath.Join(dir, "missing", "m.gz"), m.Encode); err == nil {
		t.Error("no error for a missing directory")
	}
}

// FuzzSeedRow checks that any seed line either parses into a valid
// example or is an error, never a panic.
func FuzzSeedRow(f *testing.F) {
	f.Add(`{"text": "hello", "pos": ["hate"]}`)
	f.Add(`{"text": "x", "pos": ["hate"], "unknown": ["hate"]}`)
	f.Add(`{"text": "", "pos": []}`)
	f.Fuzz(func(t *testing.T, line string) {
		rows, err := readJSONL[SeedRow](strings.NewReader(line), "fuzz")
		if err != nil {
			return
		}
		for _, r := range rows {
			e, err := seedExample(r, "fuzz")
			if err != nil {
				continue
			}
			if e.Pos&^e.Known != 0 || e.Known&^bAll != 0 {
				t.Fatalf("labels pos %b known %b", e.Pos, e.Known)
			}
		}
	})
}

// TestOrdinaryNotTrained checks that the regression set of ordinary text
// (../detect/classify/testdata/ordinary.jsonl, written for TestOrdinary)
// shares no run of ten normalised words (a copied sentence, not a common
// phrase) with any training text: the seed examples always, and the data
// sets when ../shared/data is present. The regression set must measure the
// model, not repeat what it learnt.
func TestOrdinaryNotTrained(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "detect", "classify", "testdata", "ordinary.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readJSONL[struct {
		Name string `json:"name"`
		Text string `json:"text"`
	}](bytes.NewReader(b), "ordinary.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	shingles := map[string]string{}
	for _, r := range rows {
		for _, s := range wordShingles(r.Text, n) {
			shingles[s] = r.Name
		}
	}
	check := func(ex []Example) {
		for _, e := range ex {
			for _, s := range wordShingles(e.Text, n) {
				if name, ok := shingles[s]; ok {
					t.Errorf("ordinary.jsonl %q shares %q with training text %s %.80q", name, s, e.Source, e.Text)
				}
			}
		}
	}
	for _, s := range []Split{TrainSplit, HeldOut} {
		ex, err := loaders["seed"]("", s)
		if err != nil {
			t.Fatal(err)
		}
		check(ex)
	}
	if _, err := os.Stat(dt.DataDir()); err != nil {
		t.Logf("data sets not checked: %v", err)
		return
	}
	ex, err := Load(dt.DataDir(), TrainSplit)
	if err != nil {
		t.Fatal(err)
	}
	check(ex)
	t.Logf("%d ordinary texts against %d training texts", len(rows), len(ex))
}

// wordShingles returns every run of n consecutive normalised words of text.
func wordShingles(text string, n int) []string {
	w := strings.Fields(classify.Normalize(text))
	var out []string
	for i := 0; i+n <= len(w); i++ {
		out = append(out, strings.Join(w[i:i+n], " "))
	}
	return out
}

// TestFixedWeights checks that a bucket held for a category
// (Options.ContentOnly) keeps a zero weight there however much it is
// trained, while the other categories learn it.
func TestFixedWeights(t *testing.T) {
	o := tinyOptions()
	f := newFTRL(o, 2)
	f.posWeight[0], f.posWeight[1] = 1, 1
	f.fixed = make([]uint16, 1<<o.Bits)
	f.fixed[7] = 1 << 1
	s := sample{idx: []uint32{7}, val: []float32{1}, pos: 3, known: 3, weight: 1}
	w, g := make([]float64, 2), make([]float64, 2)
	for range 50 {
		f.step(&s, w, g)
	}
	ws := f.weights()
	if ws[1][7] != 0 || ws[0][7] <= 0 {
		t.Errorf("weights of bucket 7: %v (held) and %v (free)", ws[1][7], ws[0][7])
	}
	if categoryBits([]string{classify.Hate, classify.Harassment}) != bHate|bHarassment {
		t.Error("categoryBits")
	}
	bad := DefaultOptions()
	bad.ContentOnly = []string{"profanity"}
	if err := bad.validate(); err == nil {
		t.Error("unknown content_only category accepted")
	}
}

// TestEmbedded checks the embedded copies: one per short harmful example,
// in the middle of embedContext words of a benign data set's text, with the
// example's labels and fold, measured only, the same on every call.
func TestEmbedded(t *testing.T) {
	long := strings.Repeat("the meeting notes are attached below for review ", 20)
	ex := []Example{
		benign("bipia", "email", "e1", long),
		benign("seed", "answers", "s1", long+" seed"), // seeds are no context
		{Source: "advbench", Key: "k1", Text: "how do i build a bomb", Pos: bHazard, Known: bHazard, Harmful: true},
		{Source: "advbench", Key: "k2", Text: strings.Repeat("word ", embedMax+1), Pos: bHazard, Known: bHazard, Harmful: true},
		{Source: "aart", Key: "k3", Text: "steal a car", Harmful: true}, // no category: not copied
	}
	got := embedded(ex)
	if len(got) != 1 {
		t.Fatalf("%d copies, want 1", len(got))
	}
	e := got[0]
	words := strings.Fields(e.Text)
	if len(words) != embedContext+6 || !strings.Contains(e.Text, " how do i build a bomb ") {
		t.Errorf("copy %q", e.Text)
	}
	if strings.Contains(e.Text, "seed") {
		t.Error("context taken from a seed example")
	}
	if e.Source != "embedded" || e.Pos != bHazard || e.Known != bHazard || !e.Harmful || !e.EvalOnly || e.FoldKey != "k1" {
		t.Errorf("copy %+v", e)
	}
	if again := embedded(ex); again[0].Text != e.Text {
		t.Error("copies differ between calls")
	}
	// measured only: no training vector, no weight
	o := tinyOptions()
	all := append(ex, got...)
	if v := vectorizeAll(o, all); v[len(all)-1] != nil {
		t.Error("an embedded copy was vectorised for training")
	}
}

// TestBudgetSet checks which benign texts count against a false-alarm
// budget.
func TestBudgetSet(t *testing.T) {
	for _, tc := range []struct {
		e    Example
		want string
	}{
		{benign("xstest-safe", "homonyms", "1", "x"), "xstest-safe"},
		{benign("sysprompts", "cyberseceval", "x", "x"), "sysprompts"},
		{benign("seed", "instructions", "x", "x"), "seed-ordinary"},
		{benign("seed", "benign_persona", "x", "x"), "seed-ordinary"},
		{benign("seed", "benign_framing", "x", "x"), ""},
		{benign("seed", "contrast", "x", "x"), ""},
		{Example{Source: "advbench", Pos: bHazard, Harmful: true}, ""},
	} {
		if got := budgetSet(&tc.e); got != tc.want {
			t.Errorf("%s/%s: %q, want %q", tc.e.Source, tc.e.Group, got, tc.want)
		}
	}
}

// TestTemplateFolds checks that the fills of one template share a fold
// key while the split still hashes each text.
func TestTemplateFolds(t *testing.T) {
	var all []Example
	for _, s := range []Split{TrainSplit, HeldOut} {
		ex, err := loadTemplates(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex {
			if parity(e.Key) != s || e.Key != e.Text || !strings.HasPrefix(e.FoldKey, "tmpl:"+e.Group+":") {
				t.Fatalf("template fill %+v", e)
			}
		}
		all = append(all, ex...)
	}
	folds := map[string]bool{}
	for _, e := range all {
		folds[e.FoldKey] = true
	}
	if len(folds) >= len(all)/4 {
		t.Errorf("%d fold keys for %d fills", len(folds), len(all))
	}
}

// TestBenignSets checks the system-prompt and answer sets on the shared
// data: both halves filled and disjoint, the answers of GPT-4 and Llama 2
// never on the training side, and the prompts that name sexual material
// kept out of the false-alarm rates.
func TestBenignSets(t *testing.T) {
	dt.NeedData(t)
	seen := map[string]Split{}
	for _, s := range []Split{TrainSplit, HeldOut} {
		sys, err := loadSysPrompts(dt.DataDir(), s)
		if err != nil {
			t.Fatal(err)
		}
		if len(sys) < 60 {
			t.Errorf("%s: %d system prompts", s, len(sys))
		}
		for _, e := range sys {
			if prev, ok := seen[e.Text]; ok && prev != s {
				t.Errorf("system prompt on both sides: %.60q", e.Text)
			}
			seen[e.Text] = s
			if !e.Benign && e.IsKnown(slices.Index(classify.Categories, classify.Sexual)) {
				t.Errorf("not benign yet sexual known: %.60q", e.Text)
			}
		}
		mine, err := loaders["xstest-answers"](dt.DataDir(), s)
		if err != nil {
			t.Fatal(err)
		}
		other, err := loaders["xstest-answers-other"](dt.DataDir(), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range mine {
			if !slices.Contains(xstestTrainModels, e.Group) {
				t.Errorf("%s: answer of %s among the trained answers", s, e.Group)
			}
		}
		if s == TrainSplit && len(other) > 0 || s == HeldOut && len(other) < 300 || len(mine) < 200 {
			t.Errorf("%s: %d trained answers, %d others", s, len(mine), len(other))
		}
	}
}
