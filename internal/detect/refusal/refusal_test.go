package refusal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// testCase is one line of testdata/cases.jsonl.
type testCase struct {
	Name     string `json:"name"`
	Prompt   string `json:"prompt"`
	Response string `json:"response"`
	Want     string `json:"want"` // a label, or "refusal" for either refusal
	Line     int    `json:"-"`
}

func loadCases(t testing.TB) []testCase {
	t.Helper()
	b, err := os.ReadFile("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []testCase
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		var c testCase
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("cases.jsonl:%d: %v", n, err)
		}
		switch c.Want {
		case FullCompliance, FullRefusal, PartialRefusal, "refusal":
		default:
			t.Fatalf("cases.jsonl:%d: want %q", n, c.Want)
		}
		c.Line = n
		out = append(out, c)
	}
	return out
}

func TestCases(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			r := ClassifyPair(c.Prompt, c.Response)
			ok := r.Label == c.Want || c.Want == "refusal" && r.Refused()
			if !ok {
				t.Errorf("cases.jsonl:%d: %s (score %.2f, partial %.2f, evidence %v), want %s", c.Line, r.Label, r.Score, r.Partial, r.Evidence, c.Want)
			}
			checkResult(t, c.Response, r)
			d := New()
			fs := d.DetectPair(c.Prompt, c.Response)
			if err := detecttest.Check(c.Response, fs, ID, Clause, Category); err != nil {
				t.Error(err)
			}
			if (len(fs) > 0) != r.Refused() {
				t.Errorf("%d findings for a %s", len(fs), r.Label)
			}
		})
	}
}

// checkResult checks what holds for every result.
func checkResult(t *testing.T, response string, r Result) {
	t.Helper()
	switch r.Label {
	case FullCompliance, FullRefusal, PartialRefusal:
	default:
		t.Errorf("label %q", r.Label)
	}
	if !(r.Score >= 0 && r.Score <= 1) || !(r.Partial >= 0 && r.Partial <= r.Score+1e-9) {
		t.Errorf("score %v, partial %v", r.Score, r.Partial)
	}
	if r.Refused() != (r.Score >= Threshold()) {
		t.Errorf("label %s with score %v and threshold %v", r.Label, r.Score, Threshold())
	}
	if r.Refused() && len(r.Spans) == 0 && strings.TrimSpace(response) != "" {
		t.Errorf("a refusal without spans")
	}
	if !r.Refused() && r.Spans != nil {
		t.Errorf("spans %v for compliance", r.Spans)
	}
	for i, sp := range r.Spans {
		if sp.Start < 0 || sp.End < sp.Start || sp.End > len(response) {
			t.Errorf("span %v outside [0,%d]", sp, len(response))
			continue
		}
		if i > 0 && sp.Start < r.Spans[i-1].End {
			t.Errorf("spans %v overlap", r.Spans)
		}
	}
}

func TestSpans(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"I'm sorry, but I can't help with that. Breaking into cars is illegal.\n\nIf you are locked out of your own car, call a locksmith.",
			[]string{"I'm sorry, but I can't help with that."}},
		{"Cooking rice is easy. I can't, however, tell you how to poison anyone. I will not help with that.",
			[]string{"I can't, however, tell you how to poison anyone. I will not help with that."}},
		{"  \u201cI can\u2019t assist\u201d was not what I said. I cannot assist with that.", []string{"I cannot assist with that."}},
		{"No.", []string{"No."}},
	} {
		r := Classify(tc.text)
		var got []string
		for _, sp := range r.Spans {
			got = append(got, tc.text[sp.Start:sp.End])
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: spans %q, want %q (%s %.2f %v)", tc.text, got, tc.want, r.Label, r.Score, r.Evidence)
		}
	}
}

func TestDetector(t *testing.T) {
	text := "I'm sorry, but I can't help with that."
	fs := New().Detect(text)
	if len(fs) != 1 || fs[0].Evidence != "full_refusal/cannot_help" || text[fs[0].Start:fs[0].End] != text {
		t.Errorf("findings %+v", fs)
	}
	if fs := New().Detect("The capital of France is Paris."); len(fs) != 0 {
		t.Errorf("compliance: findings %+v", fs)
	}
	// the zero value reports every response, with its score
	fs = (&Detector{}).Detect("The capital of France is Paris.")
	if len(fs) != 1 || fs[0].Score >= Threshold() || fs[0].Evidence != "full_refusal/model" {
		t.Errorf("zero value: findings %+v", fs)
	}
	s := New().Scores(text)
	if len(s) != 2 || s["refusal"] < Threshold() || s["partial_refusal"] > s["refusal"] {
		t.Errorf("scores %v", s)
	}
	r, err := detect.NewRegistry(New())
	if err != nil {
		t.Fatal(err)
	}
	if ids := r.IDs(); len(ids) != 1 || ids[0] != ID {
		t.Errorf("registry ids %v", ids)
	}
}

// TestTokens checks folding, contractions and sentence cutting.
func TestTokens(t *testing.T) {
	var d doc
	d.reset("I\u2019m SORRY, but I can\u2019t. It's Sam's cat.\n1. Don't cannot\n- won't \"quoted words\" here")
	var got []string
	for _, tk := range d.tokens {
		w := tk.w
		if tk.quoted {
			w = "<" + w + ">"
		}
		got = append(got, fmt.Sprintf("%d:%s", tk.sent, w))
	}
	want := "[0:i 0:am 0:sorry 0:but 0:i 0:can 0:not 1:it 1:is 1:sam 1:cat 2:1 2:do 2:not 2:can 2:not 3:will 3:not 3:<quoted> 3:<words> 3:here]"
	if fmt.Sprint(got) != want {
		t.Errorf("tokens\n%v\nwant\n%s", got, want)
	}
	if !d.sents[2].item || !d.sents[3].item || d.sents[0].item {
		t.Errorf("list items: %+v", d.sents)
	}
	if d.tokens[d.sents[2].lead].w != "do" {
		t.Errorf("lead of a list item is %q", d.tokens[d.sents[2].lead].w)
	}
}

// TestScoringMatchesNames checks that scoring by hashed names, with n-grams
// deduplicated, gives the probabilities that model.json's weights give when
// summed by feature name, as in training.
func TestScoringMatchesNames(t *testing.T) {
	var mf modelFile
	if err := json.Unmarshal(modelJSON, &mf); err != nil {
		t.Fatal(err)
	}
	f := &fitted{w: mf.Weights}
	var a analysis
	lx, m := standard()
	for _, c := range loadCases(t) {
		a.analyse(lx, c.Prompt, c.Response)
		s := &nameSink{m: map[string]float64{}}
		a.features(lx, s)
		want := f.probs(s.m)
		got := a.score(lx, m)
		for k := range got {
			if math.Abs(got[k]-want[k]) > 1e-9 {
				t.Errorf("%s: probabilities %v, by name %v", c.Name, got, want)
				break
			}
		}
	}
}

func TestLexicon(t *testing.T) {
	lx, err := parseLexicon(cuesTxt)
	if err != nil {
		t.Fatal(err)
	}
	if len(lx.cues) < 40 {
		t.Errorf("%d cues", len(lx.cues))
	}
	for _, bad := range []string{"x refuse", "x nope i can", "x refuse (a|b", "x refuse (|)", "x refuse a\nx refuse b"} {
		if _, err := parseLexicon(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, text := range []string{
		"\xff\xfe\xfd", "I can\xfft help\xc3", "\xe2\x80", "I'm sorry\xf0\x9f\x98 but no.",
		"\x00\x01 I cannot assist \x7f", strings.Repeat("\xff", 1000) + "I can't.",
	} {
		r := Classify(text)
		checkResult(t, text, r)
		if err := detecttest.Check(text, (&Detector{}).Detect(text), ID, Clause, Category); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}

// TestLongInput checks that a 10 MB response is read only in part, in
// bounded time, and that its spans stay within it.
func TestLongInput(t *testing.T) {
	text := "I'm sorry, but I can't help with that. " + strings.Repeat("Some more words follow here. ", 10<<20/29)
	start := time.Now()
	r := Classify(text)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("10 MB took %v", el)
	}
	checkResult(t, text, r)
	if !r.Refused() {
		t.Errorf("label %s", r.Label)
	}
	// one huge sentence of numbers: no quadratic work on list markers
	long := strings.Repeat("1 ", 1<<20)
	start = time.Now()
	checkResult(t, long, Classify(long))
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("one long sentence took %v", el)
	}
	if !utf8.ValidString(text[:maxScan]) {
		t.Fatal("test text is not valid UTF-8")
	}
}

func TestConcurrent(t *testing.T) {
	cs := loadCases(t)
	want := make([]Result, len(cs))
	for i, c := range cs {
		want[i] = ClassifyPair(c.Prompt, c.Response)
	}
	done := make(chan error)
	for range 4 {
		go func() {
			var err error
			for i, c := range cs {
				if got := ClassifyPair(c.Prompt, c.Response); fmt.Sprint(got) != fmt.Sprint(want[i]) {
					err = fmt.Errorf("%s: %v, want %v", c.Name, got, want[i])
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
