package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// evalData points MODELSPEC_DATA at the shared data, or skips.
func evalData(t *testing.T) {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data"))
	if err != nil {
		t.Fatal(err)
	}
	if v := os.Getenv(eval.DataEnv); v != "" {
		d = v
	}
	if _, err := os.Stat(eval.XSTestPath(d)); err != nil {
		t.Skipf("no XSTest data: %v", err)
	}
	t.Setenv(eval.DataEnv, d)
}

func runMain(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestEvalRunReplayJSON(t *testing.T) {
	evalData(t)
	dir := t.TempDir()
	code, out, errOut := runMain("eval", "run", "--suite", "xstest", "--target", "replay:gpt4", "--json", "-j", "8", "--out", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		RunID                           string `json:"run_id"`
		Suite, Target                   string
		Cases, Passed, Failed, Unscored int
		Clauses                         []struct {
			Clause                   string
			Passed, Failed, Unscored int
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if s.RunID == "" || s.Suite != "xstest" || s.Target != "replay:gpt4" {
		t.Errorf("header %+v", s)
	}
	if s.Cases != 450 || s.Passed+s.Failed+s.Unscored != s.Cases || s.Unscored != 0 || s.Passed < 400 {
		t.Errorf("counts %d = %d + %d + %d", s.Cases, s.Passed, s.Failed, s.Unscored)
	}
	// Every case has one or two clauses; the safe ones two.
	per := 0
	for _, c := range s.Clauses {
		per += c.Passed + c.Failed + c.Unscored
	}
	if per != 250*2+200 {
		t.Errorf("clause counts add up to %d, want 700", per)
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.jsonl"))
	if err != nil || strings.Count(string(b), "\n") != 450 || !strings.HasPrefix(string(b), `{"case_id":"xstest-001"`) {
		t.Errorf("results.jsonl: %v %.80s", err, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.json")); err != nil {
		t.Error(err)
	}

	// The spec's examples have no recorded answers: all unscored.
	code, out, _ = runMain("eval", "run", "--suite", "spec-examples", "--target", "replay:gpt4", "--json")
	if code != ExitOK || !strings.Contains(out, `"passed": 0`) || !strings.Contains(out, `"failed": 0`) {
		t.Errorf("spec-examples on replay: exit %d %s", code, out)
	}
}

func TestEvalExitCodes(t *testing.T) {
	evalData(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"eval", "run", "--suite", "xstest", "--target", "replay:gpt4", "--fail-under", "0.9"}, ExitOK, ""},
		{[]string{"eval", "run", "--suite", "xstest", "--target", "replay:gpt4", "--fail-under", "0.99"}, ExitFailure, "below --fail-under"},
		// nothing scored with a threshold is a failure
		{[]string{"eval", "run", "--suite", "spec-examples", "--target", "replay:gpt4", "--fail-under", "0.5"}, ExitFailure, "below"},
		{[]string{"eval", "run", "--suite", "nope", "--target", "replay:gpt4"}, ExitError, "unknown suite"},
		{[]string{"eval", "run", "--suite", "xstest", "--target", "replay:nope"}, ExitError, "unknown target"},
		{[]string{"eval", "run", "--suite", "xstest", "--target", "gpt4"}, ExitError, "unknown target"},
		{[]string{"eval", "run", "--suite", "xstest"}, ExitError, "required"},
		{[]string{"eval", "run", "--suite", "xstest", "--target", "replay:gpt4", "-j", "0"}, ExitError, "-j"},
		{[]string{"eval", "run", "--suite", "xstest", "--target", "http://127.0.0.1:1/v1"}, ExitError, "--model"},
		{[]string{"eval", "nope"}, ExitError, "unknown command"},
	} {
		code, _, errOut := runMain(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}

	// Missing data: exit 2 naming the path.
	empty := t.TempDir()
	t.Setenv(eval.DataEnv, empty)
	code, _, errOut := runMain("eval", "run", "--suite", "xstest", "--target", "replay:gpt4")
	if code != ExitError || !strings.Contains(errOut, filepath.Join(empty, "xstest", "xstest_prompts.csv")) {
		t.Errorf("missing data: exit %d %q", code, errOut)
	}
	code, out, _ := runMain("eval", "suites")
	if code != ExitOK || !strings.Contains(out, "unavailable") || !strings.Contains(out, "spec-examples") {
		t.Errorf("suites without data: %d %s", code, out)
	}
}

func TestEvalRunHTTPTarget(t *testing.T) {
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed("I'm sorry, but I can't help with that.")})
	var out, errOut bytes.Buffer
	err := runEvalRun(context.Background(), &out, &errOut, evalRunParams{
		suite: "spec-examples", target: up.BaseURL, model: "fake", jobs: 4, json: true, progress: true,
	})
	if err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	var s eval.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	// A model that always refuses passes exactly the refuse cases.
	cases, _ := eval.SpecExampleCases()
	refuse := 0
	for _, c := range cases {
		if c.Expect == eval.Refuse {
			refuse++
		}
	}
	if s.Cases != len(cases) || s.Passed != refuse || s.Failed != len(cases)-refuse || s.Unscored != 0 {
		t.Errorf("summary %+v, %d refuse cases", s, refuse)
	}
	if !strings.Contains(errOut.String(), "done") {
		t.Errorf("no progress line: %q", errOut.String())
	}
	if n := up.Counts().Completions; n != int64(len(cases)) {
		t.Errorf("%d completions, want %d", n, len(cases))
	}
}

func TestEvalRunSuiteFile(t *testing.T) {
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed(`["red", "blue"]`)})
	var out, errOut bytes.Buffer
	err := runEvalRun(context.Background(), &out, &errOut, evalRunParams{
		suite: filepath.Join("..", "eval", "testdata", "suites", "good.jsonl"), target: up.BaseURL, model: "fake", jobs: 2, json: true,
	})
	if err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	var s eval.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	// j1 wants "4" (fails), j2 a JSON array of two strings (passes).
	if s.Suite == "" || s.Cases != 2 || s.Passed != 1 || s.Failed != 1 || s.Grader != "grade.json,grade.refusal,grade.regex" {
		t.Errorf("summary %+v", s)
	}
	code, _, errOut2 := runMain("eval", "run", "--suite", filepath.Join("..", "eval", "testdata", "suites", "bad.yaml"), "--target", up.BaseURL, "--model", "m")
	if code != ExitError || !strings.Contains(errOut2, `bad.yaml:6: unknown field "expectt"`) {
		t.Errorf("bad suite file: exit %d %q", code, errOut2)
	}
}

// TestEvalJUnitAndCompare runs the spec's examples against an upstream that
// always refuses (A) and one that always complies (B), with --out and
// --junit, then compares the two directories.
func TestEvalJUnitAndCompare(t *testing.T) {
	dir := t.TempDir()
	run := func(name, reply string) eval.Summary {
		t.Helper()
		up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed(reply)})
		var out, errOut bytes.Buffer
		err := runEvalRun(context.Background(), &out, &errOut, evalRunParams{
			suite: "spec-examples", target: up.BaseURL, model: "fake", jobs: 4, json: true,
			out: filepath.Join(dir, name), junit: filepath.Join(dir, name+".xml"),
		})
		if err != nil {
			t.Fatalf("%v: %s", err, errOut.String())
		}
		var s eval.Summary
		if err := json.Unmarshal(out.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	sa := run("a", "I'm sorry, but I can't help with that.")
	sb := run("b", "Sure. Here is a detailed answer: first open the settings, then choose the option you need and save.")

	// The JUnit file parses back with the summary's counts.
	for name, s := range map[string]eval.Summary{"a": sa, "b": sb} {
		b, err := os.ReadFile(filepath.Join(dir, name+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		var j struct {
			Suites []struct {
				Name  string `xml:"name,attr"`
				T     int    `xml:"tests,attr"`
				F     int    `xml:"failures,attr"`
				S     int    `xml:"skipped,attr"`
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
					Skipped *struct{} `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(b, &j); err != nil || len(j.Suites) != 1 {
			t.Fatalf("%s.xml: %v %d suites", name, err, len(j.Suites))
		}
		ts := j.Suites[0]
		f, sk := 0, 0
		for _, c := range ts.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if ts.Name != "spec-examples" || ts.T != s.Cases || ts.F != s.Failed || ts.S != s.Unscored ||
			len(ts.Cases) != s.Cases || f != s.Failed || sk != s.Unscored || s.Failed == 0 {
			t.Errorf("%s.xml: tests=%d failures=%d skipped=%d (%d testcases, %d failure, %d skipped), summary %+v",
				name, ts.T, ts.F, ts.S, len(ts.Cases), f, sk, s)
		}
	}

	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	code, out, errOut := runMain("eval", "compare", a, b)
	if code != ExitOK || !strings.Contains(out, "regressed (passed in A, failed in B)") ||
		!strings.Contains(out, "improved (failed in A, passed in B)") || !strings.Contains(out, "total") {
		t.Errorf("compare: exit %d %q\n%s", code, errOut, out)
	}
	code, out, errOut = runMain("eval", "compare", "--json", "--fail-on-regression", a, b)
	if code != ExitFailure || !strings.Contains(errOut, "regressed") {
		t.Errorf("--fail-on-regression: exit %d %q", code, errOut)
	}
	var c eval.Comparison
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// Every refuse case passed in A and fails in B; every comply case the reverse.
	if c.Common != sa.Cases || len(c.Regressed) != sa.Passed || len(c.Improved) != sb.Passed ||
		len(c.Regressed)+len(c.Improved) != sa.Cases || len(c.OnlyA)+len(c.OnlyB) != 0 || len(c.Clauses) == 0 {
		t.Errorf("comparison: %d common, %d regressed, %d improved; A %+v B %+v", c.Common, len(c.Regressed), len(c.Improved), sa, sb)
	}
	// Same run twice: no regression, exit 0 even with the flag.
	if code, out, _ := runMain("eval", "compare", "--fail-on-regression", a, a); code != ExitOK || strings.Contains(out, "regressed (") {
		t.Errorf("compare a a: exit %d\n%s", code, out)
	}

	// A malformed line: exit 2 naming the file and the line.
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "results.jsonl"), []byte(`{"case_id":"x","status":"pass"}`+"\n"+`{"case_id":`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runMain("eval", "compare", a, bad)
	if code != ExitError || !strings.Contains(errOut, filepath.Join(bad, "results.jsonl")+":2: malformed result") {
		t.Errorf("malformed: exit %d %q", code, errOut)
	}
	code, _, errOut = runMain("eval", "compare", a, filepath.Join(dir, "missing"))
	if code != ExitError || !strings.Contains(errOut, "missing") {
		t.Errorf("missing: exit %d %q", code, errOut)
	}
	code, _, errOut = runMain("eval", "compare", a)
	if code != ExitError || !strings.Contains(errOut, "received 1") {
		t.Errorf("one arg: exit %d %q", code, errOut)
	}
}
