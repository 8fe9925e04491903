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
// that together weigh one example.
func TestVectorizeWindows(t *testing.T) {
	e := Example{Text: strings.Repeat("word ", 300), Known: bAll}
	s := vectorize(&e, 12, 64)
	if len(s) < 8 {
		t.Fatalf("%d windows for 300 words", len(s))
	}
	total := 0.0
	for _, v := range s {
		total += float64(v.weight)
	}
	if math.Abs(total-1) > 1e-5 {
		t.Errorf("windows weigh %v", total)
	}
	e.Pos = bHazard
	if s := vectorize(&e, 12, 64); len(s) != 1 {
		t.Errorf("positive text: %d samples", len(s))
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
