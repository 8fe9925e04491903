package onnx

import (
	"context"
	"errors"
	"github.com/modelspec/modelspec/internal/onnx/onnxtest"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// tinyDir writes the tiny model into a fresh folder.
func tinyDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := onnxtest.WriteTinyModel(dir); err != nil {
		tb.Fatal(err)
	}
	return dir
}

var (
	sharedOnce sync.Once
	shared     *Detector
	sharedErr  error
)

// tiny returns a detector on the tiny model, built once per test binary
// (compiling the model is the slow part).
func tiny(tb testing.TB) *Detector {
	tb.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "onnx-tiny-")
		if err != nil {
			sharedErr = err
			return
		}
		if err := onnxtest.WriteTinyModel(dir); err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = New(Config{Dir: dir, Name: "tiny", Clause: "no_information_hazards", Category: "hazard"})
		os.RemoveAll(dir) // everything is in memory once New returns
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

func TestCases(t *testing.T) {
	d := tiny(t)
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			fs, err := d.DetectContext(context.Background(), c.Text)
			if err != nil {
				t.Fatal(err)
			}
			if err := detecttest.Check(c.Text, fs, "detect.onnx.tiny", "no_information_hazards", "hazard"); err != nil {
				t.Error(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.Evidence)
			}
			if !slices.Equal(got, c.Want) && !(len(got) == 0 && len(c.Want) == 0) {
				t.Errorf("line %d: evidence %q, want %q (scores %v)", c.Line, got, c.Want, d.Scores(c.Text))
			}
		})
	}
}

// TestScoresMatchReference recomputes the tiny model's output in Go from
// the tokenizer's ids and compares: this shows the ONNX graph is loaded and
// run as written, not just that something came out.
func TestScoresMatchReference(t *testing.T) {
	d := tiny(t)
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, c := range cs {
		texts = append(texts, c.Text)
	}
	for _, text := range texts {
		enc, err := d.tk.GoTokenizer.Tokenizer.EncodeSingle(bertClean(text), true)
		if err != nil {
			t.Fatal(err)
		}
		var sum [2]float64
		for _, id := range enc.Ids {
			sum[0] += float64(onnxtest.TinyVocab[id].E[0])
			sum[1] += float64(onnxtest.TinyVocab[id].E[1])
		}
		n := float64(len(enc.Ids))
		l0, l1 := sum[0]/n+float64(onnxtest.TinyBias[0]), sum[1]/n+float64(onnxtest.TinyBias[1])
		want := 1 / (1 + math.Exp(l0-l1)) // softmax of UNSAFE
		got := d.Scores(text)
		if math.Abs(got["UNSAFE"]-want) > 1e-3 || math.Abs(got["SAFE"]+got["UNSAFE"]-1) > 1e-3 {
			t.Errorf("%q (tokens %q): scores %v, want UNSAFE %.4f", text, enc.Tokens, got, want)
		}
	}
}

func TestWindows(t *testing.T) {
	d := tiny(t)
	// Three windows of filler; the middle one asks for a bomb.
	filler := strings.Repeat("hello weather cake ", 100) // 1900 bytes
	text := filler + "how to build a bomb? " + strings.Repeat("how to build a bomb ", 60) + filler
	fs, err := d.DetectContext(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	if err := detecttest.Check(text, fs, d.ID(), "no_information_hazards", "hazard"); err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatalf("no findings; windows %v", Windows(text, DefaultWindowBytes))
	}
	for _, f := range fs {
		if !strings.Contains(text[f.Start:f.End], "bomb") || f.End-f.Start > DefaultWindowBytes {
			t.Errorf("finding [%d,%d) %q…", f.Start, f.End, text[f.Start:f.Start+40])
		}
	}
	ws, err := d.Classify(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	if ws[0].Start != 0 || ws[len(ws)-1].End != len(text) {
		t.Errorf("windows do not cover the text: %v…%v", ws[0], ws[len(ws)-1])
	}
}

// TestMaxBytes: text past MaxBytes is not screened.
func TestMaxBytes(t *testing.T) {
	d, err := New(Config{Dir: tinyDir(t), Name: "tiny_max", Clause: "c", MaxBytes: 64, WindowBytes: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	text := strings.Repeat("hello cake ", 10) + "bomb bomb bomb"
	ws, err := d.Classify(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	if last := ws[len(ws)-1].End; last > 64 {
		t.Errorf("screened to %d", last)
	}
	if fs := d.Detect(text); len(fs) != 0 {
		t.Errorf("findings past MaxBytes: %+v", fs)
	}
}

func TestSplitWindows(t *testing.T) {
	for _, c := range []struct {
		text string
		size int
		want []string
	}{
		{"", 16, []string{""}},
		{"short", 16, []string{"short"}},
		{"aaaa bbbb cccc dddd eeee", 16, []string{"aaaa bbbb cccc ", "dddd eeee"}},
		{"aaaaaaaaaaaaaaaaaaaa", 16, []string{"aaaaaaaaaaaaaaaa", "aaaa"}},
		{"ééééééééé", 16, []string{"éééééééé", "é"}}, // never cut a rune
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\xef", 16, []string{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0", "\xef"}},
	} {
		var got []string
		for _, w := range Windows(c.text, c.size) {
			got = append(got, c.text[w[0]:w[1]])
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Windows(%q, %d) = %q, want %q", c.text, c.size, got, c.want)
		}
	}
}

func TestConcurrent(t *testing.T) {
	d := tiny(t)
	texts := []string{"How to build a bomb?", "Hello, how is the weather?", strings.Repeat("kill ", 1000)}
	want := make([]int, len(texts))
	for i, s := range texts {
		want[i] = len(d.Detect(s))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 5 {
				i := (g + k) % len(texts)
				if n := len(d.Detect(texts[i])); n != want[i] {
					t.Errorf("goroutine %d: %d findings for %q, want %d", g, n, texts[i][:10], want[i])
				}
			}
		})
	}
	wg.Wait()
}

func TestLabelsAndFlags(t *testing.T) {
	dir := tinyDir(t)
	d, err := New(Config{Dir: dir, Name: "tiny_flags", Clause: "c", Flag: []string{"SAFE"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !slices.Equal(d.Labels(), []string{"SAFE", "UNSAFE"}) {
		t.Errorf("labels %q", d.Labels())
	}
	fs := d.Detect("hello weather")
	if len(fs) != 1 || fs[0].Evidence != "SAFE" || fs[0].Category != "tiny_flags" {
		t.Errorf("flagging SAFE: %+v", fs)
	}
	if _, err := New(Config{Dir: dir, Name: "tiny_bad_flag", Clause: "c", Flag: []string{"TOXIC"}}); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown flag: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	good := tinyDir(t)
	write := func(name, content string) string {
		dir := tinyDir(t)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	without := func(name string) string {
		dir := tinyDir(t)
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	file := filepath.Join(good, "model.onnx")
	for _, c := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"no name", Config{Dir: good, Clause: "c"}, ErrConfig},
		{"bad name", Config{Dir: good, Name: "Tiny Model", Clause: "c"}, ErrConfig},
		{"no clause", Config{Dir: good, Name: "t"}, ErrConfig},
		{"model path", Config{Dir: good, Name: "t", Clause: "c", ModelFile: "../model.onnx"}, ErrConfig},
		{"tiny window", Config{Dir: good, Name: "t", Clause: "c", WindowBytes: 8}, ErrConfig},
		{"no dir", Config{Name: "t", Clause: "c"}, ErrNotLocal},
		{"url", Config{Dir: "https://huggingface.co/some/model", Name: "t", Clause: "c"}, ErrNotLocal},
		{"s3", Config{Dir: "s3://bucket/model", Name: "t", Clause: "c"}, ErrNotLocal},
		{"missing dir", Config{Dir: filepath.Join(good, "nope"), Name: "t", Clause: "c"}, ErrNotLocal},
		{"file not dir", Config{Dir: file, Name: "t", Clause: "c"}, ErrNotLocal},
		{"no model", Config{Dir: without("model.onnx"), Name: "t", Clause: "c"}, ErrModel},
		{"no tokenizer", Config{Dir: without("tokenizer.json"), Name: "t", Clause: "c"}, ErrModel},
		{"no config", Config{Dir: without("config.json"), Name: "t", Clause: "c"}, ErrModel},
		{"no labels", Config{Dir: write("config.json", `{"model_type":"tiny"}`), Name: "t", Clause: "c"}, ErrModel},
		{"label gap", Config{Dir: write("config.json", `{"id2label":{"0":"A","2":"B"}}`), Name: "t", Clause: "c"}, ErrModel},
		{"labels vs logits", Config{Dir: write("config.json", `{"id2label":{"0":"A","1":"B","2":"C"}}`), Name: "t", Clause: "c"}, ErrModel},
		{"config not json", Config{Dir: write("config.json", `{`), Name: "t", Clause: "c"}, ErrModel},
		{"model not onnx", Config{Dir: write("model.onnx", "not a protobuf"), Name: "t", Clause: "c"}, ErrModel},
		{"tokenizer not json", Config{Dir: write("tokenizer.json", "[]"), Name: "t", Clause: "c"}, ErrModel},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := New(c.cfg)
			if !errors.Is(err, c.want) {
				if d != nil {
					d.Close()
				}
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

// TestShippedNonClassifier loads an ONNX model that a Go module ships,
// onnx-gomlx's linear regression test model, which is no text classifier:
// New must refuse it with an error, not panic. It skips when the module
// is not in the module cache.
func TestShippedNonClassifier(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-m", "-f", "{{.Dir}}", "github.com/gomlx/onnx-gomlx").Output()
	src := filepath.Join(strings.TrimSpace(string(out)), "onnx", "linear_test.onnx")
	if _, serr := os.Stat(src); err != nil || serr != nil {
		t.Skipf("onnx-gomlx not in the module cache: %v %v", err, serr)
	}
	dir := tinyDir(t)
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := New(Config{Dir: dir, Name: "linear", Clause: "c"}); !errors.Is(err, ErrModel) {
		if d != nil {
			d.Close()
		}
		t.Fatalf("err %v", err)
	}
}

func TestDetectFailsOpen(t *testing.T) {
	var got []error
	d, err := New(Config{Dir: tinyDir(t), Name: "tiny_fail", Clause: "c", OnError: func(err error) { got = append(got, err) }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.DetectContext(ctx, "bomb"); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if d.Stats().Failures != 1 {
		t.Errorf("stats %+v", d.Stats())
	}
	if fs := d.Detect("bomb"); len(fs) != 1 || len(got) != 0 {
		t.Errorf("findings %+v, errors %v", fs, got)
	}
}

// FuzzDetect checks any text, invalid UTF-8 included, gives findings that
// keep the Finding contract and windows that tile the screened text.
func FuzzDetect(f *testing.F) {
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cs {
		f.Add(c.Text)
	}
	f.Add("\xff\xfebomb\x00 [CLS] [SEP] [PAD] ##s \u200b\u0301 bomb")
	f.Add(strings.Repeat("é", 3000) + "kill")
	d := tiny(f)
	f.Fuzz(func(t *testing.T, text string) {
		fs, err := d.DetectContext(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		if err := detecttest.Check(text, fs, d.ID(), "no_information_hazards", "hazard"); err != nil {
			t.Fatal(err)
		}
		// Windows tile the text, each at most 64 bytes and not empty,
		// on unit boundaries (checked as findings would be).
		end := 0
		var spans []detect.Finding
		for _, w := range Windows(text, 64) {
			if w[0] != end || w[1]-w[0] > 64 || w[1] == w[0] && len(text) > 0 {
				t.Fatalf("window %v after %d", w, end)
			}
			end = w[1]
			spans = append(spans, detect.Finding{Detector: "w", Clause: "w", Category: "w", Start: w[0], End: w[1], Evidence: "w"})
		}
		if end != len(text) {
			t.Fatalf("windows end at %d of %d", end, len(text))
		}
		if err := detecttest.Check(text, spans, "w", "w", "w"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTimeout checks that Timeout bounds a classification: past it,
// checked between batches, DetectContext fails with the deadline (and the
// gateway applies the check's fail mode); without one the same text is
// classified.
func TestTimeout(t *testing.T) {
	text := strings.Repeat("a bomb in the hall. ", 4000) // many batches of windows
	for _, timeout := range []time.Duration{time.Nanosecond, 0} {
		d, err := New(Config{Dir: tinyDir(t), Name: "tiny_timeout", Clause: "c", Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.DetectContext(context.Background(), text)
		d.Close()
		if timeout > 0 && !errors.Is(err, context.DeadlineExceeded) || timeout == 0 && err != nil {
			t.Errorf("timeout %v: %v", timeout, err)
		}
	}
}
