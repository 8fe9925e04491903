package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// TestMain points the eval results store at a temporary file, so that no
// test writes modelspec.db into the source tree.
func TestMain(m *testing.M) {
	if os.Getenv(sigintChildEnv) != "" {
		os.Exit(m.Run()) // a child process of TestEvalRunSIGINT: it exits from its test
	}
	dir, err := os.MkdirTemp("", "modelspec-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv(EvalDBEnv, filepath.Join(dir, "modelspec.db"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// suiteFile writes n JSONL cases that pass unless the answer says
// "cannot", tied to clauses even/odd and all.
func suiteFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":"q%03d","messages":[{"role":"user","content":"question %d"}],"not_regex":"cannot","clauses":[%q,"all"]}`+"\n",
			i, i, []string{"even", "odd"}[i%2])
	}
	path := filepath.Join(t.TempDir(), "bench.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func decodeSummary(t *testing.T, out []byte) eval.Summary {
	t.Helper()
	var s eval.Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return s
}

// TestEvalRunResume interrupts a run against a slow upstream (the
// context is cancelled, as SIGINT does through main), then resumes it by
// id: the results stored before the interruption are kept, only the
// missing cases are asked, and the run ends complete.
func TestEvalRunResume(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	suite := suiteFile(t, 60)
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed("fine")})
	h := http.Header{}
	h.Set(fakeupstream.HeaderLatency, "20ms")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for up.Counts().Completions < 15 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	var out, errOut bytes.Buffer
	err := runEvalRun(ctx, &out, &errOut, evalRunParams{
		suite: suite, target: up.BaseURL, model: "m", jobs: 4, json: true, db: db, client: up.Client(h),
	})
	if err == nil || !strings.Contains(err.Error(), "--resume ") || !strings.Contains(err.Error(), "--db "+db) {
		t.Fatalf("interrupted run: %v", err)
	}
	first := decodeSummary(t, out.Bytes())
	if first.Status != "interrupted" || first.Results < 10 || first.Results >= 60 || first.Passed != first.Results {
		t.Fatalf("interrupted summary %+v", first)
	}
	asked := up.Counts().Completions
	up.Reset()

	// eval runs shows it, interrupted, with what it has.
	code, list, errOut2 := runMain("eval", "runs", "--db", db, "--json")
	var runs []evalRunJSON
	if code != ExitOK || json.Unmarshal([]byte(list), &runs) != nil || len(runs) != 1 || runs[0].RunID != first.RunID ||
		runs[0].Status != "interrupted" || runs[0].Results != first.Results || runs[0].Planned != 60 {
		t.Fatalf("eval runs: exit %d %s %s", code, list, errOut2)
	}

	out.Reset()
	errOut.Reset()
	if err := runEvalRun(context.Background(), &out, &errOut, evalRunParams{
		resume: first.RunID, jobs: 4, json: true, db: db, client: up.Client(h), out: filepath.Join(t.TempDir(), "out"),
	}); err != nil {
		t.Fatalf("resume: %v %s", err, errOut.String())
	}
	done := decodeSummary(t, out.Bytes())
	if done.RunID != first.RunID || done.Status != "done" || done.Cases != 60 || done.Results != 60 || done.Passed != 60 {
		t.Errorf("resumed summary %+v", done)
	}
	// The resumed session asked only for what was missing. Cases in
	// flight at the interruption were asked but not stored, so the two
	// sessions together asked at most a few (-j) more than 60.
	again := up.Counts().Completions
	if again != int64(60-first.Results) || asked+again > 64 {
		t.Errorf("asked %d then %d for %d stored first", asked, again, first.Results)
	}

	// Resume errors: an unknown run, a flag that disagrees.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--resume", "nope"}, "no such run"},
		{[]string{"--resume", first.RunID, "--suite", "xstest"}, "--suite xstest differs"},
		{[]string{"--resume", first.RunID, "--repeats", "3"}, "--repeats 3 differs"},
		{[]string{"--suite", suite, "--target", up.BaseURL, "--model", "m", "--repeats", "0"}, "--repeats must be at least 1"},
		{[]string{"--suite", suite, "--target", up.BaseURL, "--model", "m", "--rps", "-1"}, "--rps"},
		{[]string{"--suite", suite, "--target", up.BaseURL, "--model", "m", "--db", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")}, "eval results"},
	} {
		code, _, errOut := runMain(append([]string{"eval", "run", "--db", db}, tc.args...)...)
		if code != ExitError || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, errOut, tc.msg)
		}
	}
}

// TestEvalRunCacheAndRepeats runs a suite twice against the same
// upstream (the second run is answered from the cache), with --no-cache,
// and with --repeats, whose results file compares against itself.
func TestEvalRunCacheAndRepeats(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	suite := suiteFile(t, 20)
	// Odd questions get "cannot" (fail), even ones pass.
	script := map[string]string{}
	for i := 1; i < 20; i += 2 {
		script[fmt.Sprintf("question %d", i)] = "I cannot"
	}
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Script(script, "fine")})
	run := func(extra ...string) eval.Summary {
		t.Helper()
		args := append([]string{"eval", "run", "--suite", suite, "--target", up.BaseURL, "--model", "m", "--json", "--db", db}, extra...)
		code, out, errOut := runMain(args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d %s", extra, code, errOut)
		}
		return decodeSummary(t, []byte(out))
	}
	asked := func() int64 { n := up.Counts().Completions; up.Reset(); return n }

	if s := run(); s.Passed != 10 || s.Failed != 10 || s.Cached != 0 || asked() != 20 {
		t.Errorf("first run %+v", s)
	}
	if s := run(); s.Passed != 10 || s.Failed != 10 || s.Cached != 20 || asked() != 0 {
		t.Errorf("cached run %+v", s)
	}
	if s := run("--no-cache"); s.Cached != 0 || asked() != 20 {
		t.Errorf("--no-cache %+v", s)
	}
	dir := filepath.Join(t.TempDir(), "rep")
	s := run("--repeats", "3", "--rps", "1000", "-j", "8", "--out", dir)
	if s.Repeats != 3 || s.Cases != 20 || s.Results != 60 || s.Passed != 30 || s.Cached != 20 || asked() != 40 {
		t.Errorf("repeats %+v", s)
	}
	// Standard errors: the total over 20 cases, half always passing and
	// half always failing: sqrt(20/19 * 20 * (1.5)^2) / 60.
	if s.StdErr == nil || fmt.Sprintf("%.6f", *s.StdErr) != fmt.Sprintf("%.6f", math.Sqrt(20.0/19.0*20*1.5*1.5)/60) {
		t.Errorf("std err %v", s.StdErr)
	}
	for _, c := range s.Clauses {
		if c.PassRate == nil || (c.Clause == "all" && (c.StdErr == nil || c.Cases != 20)) || (c.Clause != "all" && (c.StdErr == nil || *c.StdErr != 0)) {
			t.Errorf("clause %+v", c)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.jsonl"))
	if err != nil || strings.Count(string(b), "\n") != 60 || !strings.Contains(string(b), `"repeat":2`) {
		t.Errorf("results.jsonl with repeats: %v", err)
	}
	if code, out, errOut := runMain("eval", "compare", "--json", "--fail-on-regression", dir, dir); code != ExitOK || !strings.Contains(out, `"common": 60`) {
		t.Errorf("compare repeats: exit %d %s %s", code, out, errOut)
	}
	// The terminal summary shows the repeats and standard errors.
	code, out, _ := runMain("eval", "run", "--suite", suite, "--target", up.BaseURL, "--model", "m", "--db", db, "--repeats", "3")
	if code != ExitOK || !strings.Contains(out, "3 repeats, 60 cached") || !strings.Contains(out, "± s.e.") {
		t.Errorf("text summary: %d\n%s", code, out)
	}
	if code, out, _ := runMain("eval", "runs", "--db", db); code != ExitOK || strings.Count(out, "\n") != 6 || !strings.Contains(out, "60/60") {
		t.Errorf("eval runs:\n%s", out)
	}
}

// TestEvalRunPostgres stores a run in PostgreSQL (--db postgres://...),
// resumes nothing and reads it back with eval runs; skipped without a
// server (MODELSPEC_POSTGRES_DSN).
func TestEvalRunPostgres(t *testing.T) {
	db := postgresTestDB(t)
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed("fine")})
	suite := suiteFile(t, 12)
	for i := range 2 {
		code, out, errOut := runMain("eval", "run", "--suite", suite, "--target", up.BaseURL, "--model", "m", "--json", "--db", db)
		if code != ExitOK {
			t.Fatalf("exit %d %s", code, errOut)
		}
		if s := decodeSummary(t, []byte(out)); s.Passed != 12 || s.Cached != 12*i {
			t.Errorf("run %d: %+v", i, s)
		}
	}
	if n := up.Counts().Completions; n != 12 {
		t.Errorf("%d completions, want 12 (the second run cached)", n)
	}
	code, out, _ := runMain("eval", "runs", "--db", db, "--json")
	var runs []evalRunJSON
	if code != ExitOK || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 2 || runs[0].Results != 12 || runs[0].Status != "done" {
		t.Errorf("eval runs: %d %s", code, out)
	}
}

// postgresTestDB returns a postgres:// --db value whose search_path is a
// fresh schema, dropped when the test ends; it skips the test without a
// server (MODELSPEC_POSTGRES_DSN), or fails it when
// MODELSPEC_REQUIRE_POSTGRES is set.
func postgresTestDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("MODELSPEC_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("MODELSPEC_REQUIRE_POSTGRES") != "" {
			t.Fatal("MODELSPEC_POSTGRES_DSN is not set but MODELSPEC_REQUIRE_POSTGRES is")
		}
		t.Skip("MODELSPEC_POSTGRES_DSN is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rb [6]byte
	rand.Read(rb[:])
	schema := "cli_" + hex.EncodeToString(rb[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// sigintChildEnv makes the test binary, run again as a child, act as
// `modelspec` with the arguments in the variable (a JSON array), with the
// signal handling of cmd/modelspec.
const sigintChildEnv = "MODELSPEC_TEST_SIGINT_CHILD"

func TestEvalRunSIGINTChild(t *testing.T) {
	env := os.Getenv(sigintChildEnv)
	if env == "" {
		t.Skip("run by TestEvalRunSIGINT")
	}
	var args []string
	if err := json.Unmarshal([]byte(env), &args); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := Main(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// TestEvalRunSIGINT interrupts a real process with SIGINT midway: it exits
// 2 naming the command that resumes the run, and every result it finished
// (the progress line's count) is stored.
func TestEvalRunSIGINT(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT")
	}
	db := filepath.Join(t.TempDir(), "runs.db")
	suite := suiteFile(t, 80)
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed("fine")})
	args := []string{"eval", "run", "--suite", suite, "--target", up.BaseURL, "--model", "m", "-j", "4",
		"--db", db, "--json", "--progress", "--timeout", "20s"}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEvalRunSIGINTChild$")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The fake is slow for this child only: every request waits 30 ms.
	slow := http.Header{}
	slow.Set(fakeupstream.HeaderLatency, "30ms")
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range slow {
			r.Header[k] = v
		}
		up.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	args[5] = proxy.URL + "/v1"
	enc, _ := json.Marshal(args)
	cmd.Env = append(os.Environ(), sigintChildEnv+"="+string(enc))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for up.Counts().Completions < 20 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitError {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "continue with: modelspec eval run --resume ") {
		t.Errorf("no resume hint: %s", stderr.String())
	}
	// The progress bar's last line counts the results the run finished.
	var done, planned int
	for _, l := range strings.FieldsFunc(stderr.String(), func(r rune) bool { return r == '\r' || r == '\n' }) {
		if n, _ := fmt.Sscanf(l, "%d/%d done", &done, &planned); n == 2 {
			break
		}
	}
	s := decodeSummary(t, stdout.Bytes())
	if planned != 80 || done < 10 || done >= 80 || s.Results != done || s.Status != "interrupted" || s.Passed != done {
		t.Fatalf("finished %d of %d; stored %+v\n%s", done, planned, s, stderr.String())
	}
	// And the run resumes to the end.
	code, out, errOut := runMain("eval", "run", "--resume", s.RunID, "--db", db, "--json")
	if code != ExitOK {
		t.Fatalf("resume: exit %d %s", code, errOut)
	}
	if r := decodeSummary(t, []byte(out)); r.Results != 80 || r.Status != "done" {
		t.Errorf("resumed %+v", r)
	}
}
