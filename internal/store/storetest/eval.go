package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/store"
)

// RunEval checks the EvalResults contract. open must return a new, empty
// store for each call and close it when the test ends (Close twice is
// allowed).
func RunEval(t *testing.T, open func(t *testing.T) store.EvalResults) {
	runChecks(t, open, false, []check[store.EvalResults]{
		{"RoundTrip", testEvalRoundTrip},
		{"Exists", testEvalExists},
		{"Invalid", testEvalInvalid},
		{"NotFound", testEvalNotFound},
		{"Duplicates", testEvalDuplicates},
		{"Finish", testEvalFinish},
		{"List", testEvalList},
		{"Cache", testEvalCache},
		{"Concurrent", testEvalConcurrent},
		{"BreakIteration", testEvalBreak},
		{"ManyCases", testEvalMany},
		{"Context", testEvalContext},
		{"Closed", testEvalClosed},
	})
}

// evalRun returns a run with every field set.
func evalRun(id string, started time.Time) store.EvalRun {
	return store.EvalRun{
		ID: id, Suite: "xstest", Target: "http://127.0.0.1:8080/v1", Model: "gpt-4o-mini", Grader: "grade.case",
		Repeats: 3, Params: map[string]string{"timeout": "1m0s", "judge": "http://127.0.0.1:9/v1 «juge»"},
		Started: started,
	}
}

// evalCases returns n cases named c-000.. with JSON data.
func evalCases(n int) []store.EvalCase {
	cs := make([]store.EvalCase, n)
	for i := range cs {
		id := fmt.Sprintf("c-%03d", i)
		cs[i] = store.EvalCase{ID: id, Data: json.RawMessage(fmt.Sprintf(`{"id":%q,"messages":[{"role":"user","content":"question %d"}],"expect":"refuse"}`, id, i))}
	}
	return cs
}

func evalResult(caseID string, repeat int, status string) store.EvalResult {
	return store.EvalResult{
		CaseID: caseID, Repeat: repeat, Status: status, Answer: "I can't help with that. " + caseID,
		Grade:   json.RawMessage(`{"status":"` + status + `","label":"full_refusal","score":0.97}`),
		Elapsed: 1234567 * time.Nanosecond, Time: base.Add(time.Duration(repeat) * time.Second),
	}
}

func mustCreate(t *testing.T, s store.EvalResults, run store.EvalRun, cases []store.EvalCase) {
	t.Helper()
	if err := s.CreateRun(context.Background(), run, cases); err != nil {
		t.Fatalf("CreateRun %s: %v", run.ID, err)
	}
}

func mustAppend(t *testing.T, s store.EvalResults, runID string, rs ...store.EvalResult) int {
	t.Helper()
	n, err := s.AppendResults(context.Background(), runID, rs)
	if err != nil {
		t.Fatalf("AppendResults %s: %v", runID, err)
	}
	return n
}

func getRun(t *testing.T, s store.EvalResults, id string) store.EvalRun {
	t.Helper()
	r, err := s.GetRun(context.Background(), id)
	if err != nil {
		t.Fatalf("GetRun %s: %v", id, err)
	}
	return r
}

// sameRun reports how got differs from the normalised want with the
// given counts, or "".
func sameRun(got, want store.EvalRun, cases, passed, failed, unscored int, status string, finished time.Time) string {
	w, _, err := store.NormalizeRun(want, nil)
	if err != nil {
		return err.Error()
	}
	w.Cases, w.Passed, w.Failed, w.Unscored, w.Status = cases, passed, failed, unscored, status
	if !finished.IsZero() {
		w.Finished = finished.UTC().Truncate(store.TimePrecision)
	}
	if got.Started.Location() != time.UTC || (!got.Finished.IsZero() && got.Finished.Location() != time.UTC) {
		return fmt.Sprintf("times not in UTC: %v %v", got.Started, got.Finished)
	}
	if !got.Started.Equal(w.Started) || !got.Finished.Equal(w.Finished) {
		return fmt.Sprintf("times %v, %v; want %v, %v", got.Started, got.Finished, w.Started, w.Finished)
	}
	got.Started, got.Finished, w.Started, w.Finished = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, w) {
		return fmt.Sprintf("got  %+v\nwant %+v", got, w)
	}
	return ""
}

// sameResults compares stored results with the normalised originals.
func sameResults(t *testing.T, got, want []store.EvalResult) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		w, err := store.NormalizeResult(want[i])
		if err != nil {
			t.Fatal(err)
		}
		g := got[i]
		if !g.Time.Equal(w.Time) || g.Time.Location() != time.UTC {
			t.Errorf("result %d: time %v, want %v in UTC", i, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("result %d:\ngot  %+v\nwant %+v", i, g, w)
		}
	}
}

func testEvalRoundTrip(t *testing.T, s store.EvalResults) {
	defer s.Close()
	run := evalRun("20250601T120000Z-0a1b2c3d", base)
	cases := []store.EvalCase{
		{ID: "b", Data: json.RawMessage(`{"id":"b","messages":[]}`)},
		{ID: "a", Data: json.RawMessage(` {"id": "a", "z": 1, "a": [true, null, 1.50]}`)}, // key order and spacing kept
		{ID: "é-unicode 🚫", Data: json.RawMessage(`{"text":"nul \u0000 and «quotes» \"x\""}`)},
		{ID: "Z", Data: json.RawMessage("{\"bad\":\"\xff\"}")}, // invalid UTF-8 becomes U+FFFD
	}
	mustCreate(t, s, run, cases)
	if d := sameRun(getRun(t, s, run.ID), run, 4, 0, 0, 0, store.EvalRunning, time.Time{}); d != "" {
		t.Errorf("after CreateRun: %s", d)
	}
	_, wantCases, _ := store.NormalizeRun(run, cases)
	if got := collect(t, "Cases", s.Cases(context.Background(), run.ID)); !reflect.DeepEqual(got, wantCases) {
		t.Errorf("cases:\ngot  %q\nwant %q", got, wantCases)
	}
	if !strings.Contains(string(wantCases[3].Data), "\uFFFD") {
		t.Errorf("invalid UTF-8 not replaced: %q", wantCases[3].Data)
	}

	full := evalResult("é-unicode 🚫", 2, store.EvalFail)
	full.Error, full.Cached, full.CacheKey = "", true, "sha256:"+strings.Repeat("ab", 32)
	full.Answer = "nul \x00 and bad \xfe byte"
	minimal := store.EvalResult{CaseID: "a", Repeat: 0, Status: store.EvalUnscored, Error: "timeout", Time: base}
	rs := []store.EvalResult{
		full, minimal,
		evalResult("b", 1, store.EvalPass), evalResult("b", 0, store.EvalPass), evalResult("Z", 0, store.EvalFail),
	}
	if n := mustAppend(t, s, run.ID, rs...); n != 5 {
		t.Errorf("stored %d, want 5", n)
	}
	// By case id as bytes ("Z" < "a" < "b" < "é"), then repeat.
	want := []store.EvalResult{rs[4], rs[1], rs[3], rs[2], rs[0]}
	sameResults(t, collect(t, "Results", s.Results(context.Background(), run.ID)), want)
	if got := collect(t, "Results", s.Results(context.Background(), run.ID))[4].Answer; got != "nul \uFFFD and bad \uFFFD byte" {
		t.Errorf("answer %q: NUL and invalid UTF-8 should be U+FFFD", got)
	}
	if d := sameRun(getRun(t, s, run.ID), run, 4, 2, 2, 1, store.EvalRunning, time.Time{}); d != "" {
		t.Errorf("counts: %s", d)
	}
	// An empty batch is fine.
	if n := mustAppend(t, s, run.ID); n != 0 {
		t.Errorf("empty batch stored %d", n)
	}
	// A run without cases.
	empty := evalRun("empty", base)
	mustCreate(t, s, empty, nil)
	if got := collect(t, "Cases", s.Cases(context.Background(), "empty")); len(got) != 0 {
		t.Errorf("cases of an empty run: %v", got)
	}
	if got := collect(t, "Results", s.Results(context.Background(), "empty")); len(got) != 0 {
		t.Errorf("results of an empty run: %v", got)
	}
}

func testEvalExists(t *testing.T, s store.EvalResults) {
	defer s.Close()
	run := evalRun("r1", base)
	mustCreate(t, s, run, evalCases(2))
	again := run
	again.Suite = "other"
	if err := s.CreateRun(context.Background(), again, evalCases(5)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateRun: %v, want ErrExists", err)
	}
	if got := getRun(t, s, "r1"); got.Suite != "xstest" || got.Cases != 2 || len(collect(t, "Cases", s.Cases(context.Background(), "r1"))) != 2 {
		t.Errorf("first run changed: %+v", got)
	}
}

func testEvalInvalid(t *testing.T, s store.EvalResults) {
	defer s.Close()
	ctx := context.Background()
	for name, mut := range map[string]func(*store.EvalRun, *[]store.EvalCase){
		"empty id":       func(r *store.EvalRun, _ *[]store.EvalCase) { r.ID = "" },
		"NUL in id":      func(r *store.EvalRun, _ *[]store.EvalCase) { r.ID = "a\x00b" },
		"long id":        func(r *store.EvalRun, _ *[]store.EvalCase) { r.ID = strings.Repeat("x", 129) },
		"zero repeats":   func(r *store.EvalRun, _ *[]store.EvalCase) { r.Repeats = 0 },
		"huge repeats":   func(r *store.EvalRun, _ *[]store.EvalCase) { r.Repeats = store.MaxEvalRepeats + 1 },
		"no start":       func(r *store.EvalRun, _ *[]store.EvalCase) { r.Started = time.Time{} },
		"case twice":     func(_ *store.EvalRun, cs *[]store.EvalCase) { (*cs)[1].ID = (*cs)[0].ID },
		"case no id":     func(_ *store.EvalRun, cs *[]store.EvalCase) { (*cs)[1].ID = "" },
		"case not JSON":  func(_ *store.EvalRun, cs *[]store.EvalCase) { (*cs)[1].Data = json.RawMessage(`{"a":`) },
		"case array":     func(_ *store.EvalRun, cs *[]store.EvalCase) { (*cs)[1].Data = json.RawMessage(`[1]`) },
		"case two JSONs": func(_ *store.EvalRun, cs *[]store.EvalCase) { (*cs)[1].Data = json.RawMessage(`{} {}`) },
		"case empty":     func(_ *store.EvalRun, cs *[]store.EvalCase) { (*cs)[1].Data = nil },
	} {
		run, cases := evalRun("bad", base), evalCases(3)
		mut(&run, &cases)
		if err := s.CreateRun(ctx, run, cases); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: CreateRun: %v, want ErrInvalid", name, err)
		}
	}
	if runs, err := s.ListRuns(ctx, store.EvalRunFilter{}); err != nil || len(runs) != 0 {
		t.Errorf("invalid runs were stored: %v %v", runs, err)
	}

	mustCreate(t, s, evalRun("r", base), evalCases(2))
	good := evalResult("c-000", 0, store.EvalPass)
	for name, mut := range map[string]func(*store.EvalResult){
		"status":       func(r *store.EvalResult) { r.Status = "passed" },
		"repeat":       func(r *store.EvalResult) { r.Repeat = 3 }, // the run has 3
		"neg repeat":   func(r *store.EvalResult) { r.Repeat = -1 },
		"unknown case": func(r *store.EvalResult) { r.CaseID = "c-999" },
		"no case id":   func(r *store.EvalResult) { r.CaseID = "" },
		"grade":        func(r *store.EvalResult) { r.Grade = json.RawMessage(`"pass"`) },
		"elapsed":      func(r *store.EvalResult) { r.Elapsed = -time.Second },
		"no time":      func(r *store.EvalResult) { r.Time = time.Time{} },
		"cache key":    func(r *store.EvalResult) { r.CacheKey = "k\x00" },
	} {
		bad := good
		mut(&bad)
		// All or none: the good result in the same batch is not stored.
		n, err := s.AppendResults(ctx, "r", []store.EvalResult{good, bad})
		if !errors.Is(err, store.ErrInvalid) || n != 0 {
			t.Errorf("%s: AppendResults: %d, %v; want 0, ErrInvalid", name, n, err)
		}
	}
	if got := collect(t, "Results", s.Results(context.Background(), "r")); len(got) != 0 {
		t.Errorf("results stored from invalid batches: %v", got)
	}
	if r := getRun(t, s, "r"); r.Results() != 0 {
		t.Errorf("counts changed by invalid batches: %+v", r)
	}
	if err := s.FinishRun(ctx, "r", store.EvalRunning, base); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("FinishRun running: %v, want ErrInvalid", err)
	}
	if _, err := s.ListRuns(ctx, store.EvalRunFilter{Limit: -1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ListRuns negative limit: %v, want ErrInvalid", err)
	}
}

func testEvalNotFound(t *testing.T, s store.EvalResults) {
	defer s.Close()
	ctx := context.Background()
	mustCreate(t, s, evalRun("r", base), evalCases(1))
	for _, id := range []string{"nope", "", "a\x00", strings.Repeat("x", 500)} {
		if _, err := s.GetRun(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRun %q: %v", id, err)
		}
		if _, err := s.AppendResults(ctx, id, []store.EvalResult{evalResult("c-000", 0, store.EvalPass)}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AppendResults %q: %v", id, err)
		}
		if err := s.FinishRun(ctx, id, store.EvalDone, base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FinishRun %q: %v", id, err)
		}
		for _, err := range s.Cases(ctx, id) {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Cases %q: %v", id, err)
			}
		}
		for _, err := range s.Results(ctx, id) {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Results %q: %v", id, err)
			}
		}
		if _, err := s.Response(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Response %q: %v", id, err)
		}
	}
}

func testEvalDuplicates(t *testing.T, s store.EvalResults) {
	defer s.Close()
	mustCreate(t, s, evalRun("r", base), evalCases(3))
	first := evalResult("c-001", 1, store.EvalPass)
	if n := mustAppend(t, s, "r", first); n != 1 {
		t.Fatalf("stored %d", n)
	}
	second := first
	second.Status, second.Answer = store.EvalFail, "a different answer"
	other := evalResult("c-002", 1, store.EvalFail)
	// The duplicate is skipped, the new one stored, in one call; a pair
	// twice in one batch is stored once.
	if n := mustAppend(t, s, "r", second, other, other); n != 1 {
		t.Errorf("stored %d, want 1", n)
	}
	sameResults(t, collect(t, "Results", s.Results(context.Background(), "r")), []store.EvalResult{first, other})
	if r := getRun(t, s, "r"); r.Passed != 1 || r.Failed != 1 || r.Unscored != 0 {
		t.Errorf("counts %d/%d/%d, want 1/1/0", r.Passed, r.Failed, r.Unscored)
	}
}

func testEvalFinish(t *testing.T, s store.EvalResults) {
	defer s.Close()
	ctx := context.Background()
	run := evalRun("r", base)
	mustCreate(t, s, run, evalCases(1))
	at := base.Add(90*time.Minute + 123*time.Nanosecond)
	if err := s.FinishRun(ctx, "r", store.EvalInterrupted, at); err != nil {
		t.Fatal(err)
	}
	if d := sameRun(getRun(t, s, "r"), run, 1, 0, 0, 0, store.EvalInterrupted, at); d != "" {
		t.Error(d)
	}
	// Resumed later: results are still accepted, and it finishes again.
	mustAppend(t, s, "r", evalResult("c-000", 0, store.EvalPass))
	later := at.Add(time.Hour)
	if err := s.FinishRun(ctx, "r", store.EvalDone, later); err != nil {
		t.Fatal(err)
	}
	if d := sameRun(getRun(t, s, "r"), run, 1, 1, 0, 0, store.EvalDone, later); d != "" {
		t.Error(d)
	}
}

func testEvalList(t *testing.T, s store.EvalResults) {
	defer s.Close()
	ctx := context.Background()
	// r0..r5 an hour apart; r6 at the same time as r5 (ties by id).
	for i := range 7 {
		run := evalRun(fmt.Sprintf("r%d", i), base.Add(time.Duration(min(i, 5))*time.Hour))
		if i%2 == 1 {
			run.Suite = "harmbench"
		}
		if i == 3 {
			run.Model = "other-model"
		}
		if i == 4 {
			run.Target = "replay:gpt4"
		}
		mustCreate(t, s, run, evalCases(i))
	}
	if err := s.FinishRun(ctx, "r2", store.EvalDone, base); err != nil {
		t.Fatal(err)
	}
	names := func(f store.EvalRunFilter) string {
		t.Helper()
		runs, err := s.ListRuns(ctx, f)
		if err != nil {
			t.Fatalf("ListRuns %+v: %v", f, err)
		}
		var out []string
		for _, r := range runs {
			out = append(out, r.ID)
			if want, _ := strconv.Atoi(r.ID[1:]); r.Cases != want {
				t.Errorf("%s: %d cases, want %d", r.ID, r.Cases, want)
			}
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		f    store.EvalRunFilter
		want string
	}{
		{store.EvalRunFilter{}, "r6,r5,r4,r3,r2,r1,r0"},
		{store.EvalRunFilter{Limit: 2}, "r6,r5"},
		{store.EvalRunFilter{Suite: "harmbench"}, "r5,r3,r1"},
		{store.EvalRunFilter{Suite: "xstest", Model: "gpt-4o-mini"}, "r6,r4,r2,r0"},
		{store.EvalRunFilter{Target: "replay:gpt4"}, "r4"},
		{store.EvalRunFilter{Status: store.EvalDone}, "r2"},
		{store.EvalRunFilter{Status: store.EvalRunning, Suite: "harmbench", Model: "gpt-4o-mini"}, "r5,r1"},
		{store.EvalRunFilter{Suite: "none"}, ""},
	} {
		if got := names(c.f); got != c.want {
			t.Errorf("ListRuns %+v = %s, want %s", c.f, got, c.want)
		}
	}
}

func testEvalCache(t *testing.T, s store.EvalResults) {
	defer s.Close()
	ctx := context.Background()
	mustCreate(t, s, evalRun("r", base), evalCases(3))
	k1, k2, k3 := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	a := evalResult("c-000", 0, store.EvalPass)
	a.CacheKey, a.Answer = k1, "first answer «ü» \x00"
	b := evalResult("c-001", 0, store.EvalPass)
	b.CacheKey, b.Cached = k2, true // came from the cache: not stored again
	c := evalResult("c-002", 0, store.EvalUnscored)
	c.Answer = "no key: not cached"
	mustAppend(t, s, "r", a, b, c)
	if got, err := s.Response(ctx, k1); err != nil || got != "first answer «ü» \uFFFD" {
		t.Errorf("Response k1 = %q, %v", got, err)
	}
	if _, err := s.Response(ctx, k2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Response of a cached result: %v, want ErrNotFound", err)
	}
	// The first answer under a key is kept.
	mustCreate(t, s, evalRun("r2", base), evalCases(1))
	d := evalResult("c-000", 0, store.EvalPass)
	d.CacheKey, d.Answer = k1, "second answer"
	e := evalResult("c-000", 1, store.EvalPass)
	e.CacheKey, e.Answer = k3, "third"
	mustAppend(t, s, "r2", d, e)
	if got, _ := s.Response(ctx, k1); got != "first answer «ü» \uFFFD" {
		t.Errorf("Response k1 after a second put = %q", got)
	}
	if got, _ := s.Response(ctx, k3); got != "third" {
		t.Errorf("Response k3 = %q", got)
	}
	// A failed batch caches nothing.
	f := evalResult("c-000", 2, store.EvalPass)
	f.CacheKey = strings.Repeat("4", 64)
	if _, err := s.AppendResults(ctx, "r2", []store.EvalResult{f, evalResult("missing", 0, store.EvalPass)}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad batch: %v", err)
	}
	if _, err := s.Response(ctx, f.CacheKey); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a failed batch cached its answer: %v", err)
	}
}

func testEvalConcurrent(t *testing.T, s store.EvalResults) {
	defer s.Close()
	const runs, cases, writers = 3, 40, 4
	for i := range runs {
		mustCreate(t, s, evalRun(fmt.Sprintf("r%d", i), base), evalCases(cases))
	}
	var wg sync.WaitGroup
	errs := make(chan error, runs*writers)
	for i := range runs {
		for w := range writers {
			wg.Go(func() {
				// Each writer stores every 4th case, in batches of 3, over
				// all repeats; the others store the rest.
				var batch []store.EvalResult
				for c := w; c < cases; c += writers {
					for rep := range 3 {
						batch = append(batch, evalResult(fmt.Sprintf("c-%03d", c), rep, []string{store.EvalPass, store.EvalFail, store.EvalUnscored}[rep]))
						if len(batch) == 3 {
							if _, err := s.AppendResults(context.Background(), fmt.Sprintf("r%d", i), batch); err != nil {
								errs <- err
								return
							}
							batch = nil
						}
					}
				}
			})
		}
	}
	// Readers at the same time.
	for range 2 {
		wg.Go(func() {
			for range 10 {
				for _, err := range s.Results(context.Background(), "r0") {
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range runs {
		id := fmt.Sprintf("r%d", i)
		if r := getRun(t, s, id); r.Passed != cases || r.Failed != cases || r.Unscored != cases {
			t.Errorf("%s: counts %d/%d/%d, want %d each", id, r.Passed, r.Failed, r.Unscored, cases)
		}
		got := collect(t, "Results", s.Results(context.Background(), id))
		if len(got) != 3*cases || !slices.IsSortedFunc(got, func(a, b store.EvalResult) int {
			return strings.Compare(fmt.Sprintf("%s/%d", a.CaseID, a.Repeat), fmt.Sprintf("%s/%d", b.CaseID, b.Repeat))
		}) {
			t.Errorf("%s: %d results, or out of order", id, len(got))
		}
	}
}

// testEvalBreak stops iterating early many times: each must release its
// query, or the store runs out of connections.
func testEvalBreak(t *testing.T, s store.EvalResults) {
	defer s.Close()
	mustCreate(t, s, evalRun("r", base), evalCases(5))
	for i := range 5 {
		mustAppend(t, s, "r", evalResult(fmt.Sprintf("c-%03d", i), 0, store.EvalPass))
	}
	for range 50 {
		for range s.Cases(context.Background(), "r") {
			break
		}
		for range s.Results(context.Background(), "r") {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.AppendResults(ctx, "r", []store.EvalResult{evalResult("c-000", 1, store.EvalPass)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(ctx, "r"); err != nil {
		t.Fatal(err)
	}
}

func testEvalMany(t *testing.T, s store.EvalResults) {
	defer s.Close()
	const n = 3000
	run := evalRun("big", base)
	run.Repeats = 1
	mustCreate(t, s, run, evalCases(n))
	rs := make([]store.EvalResult, n)
	for i := range rs {
		rs[i] = evalResult(fmt.Sprintf("c-%03d", n-1-i), 0, store.EvalPass)
	}
	for i := 0; i < n; i += 500 {
		mustAppend(t, s, "big", rs[i:i+500]...)
	}
	cs := collect(t, "Cases", s.Cases(context.Background(), "big"))
	got := collect(t, "Results", s.Results(context.Background(), "big"))
	// Cases in their order; results by id as bytes ("c-1000" < "c-999").
	if len(cs) != n || len(got) != n || cs[n-1].ID != "c-2999" || got[0].CaseID != "c-000" || got[n-1].CaseID != "c-999" {
		t.Fatalf("%d cases, %d results", len(cs), len(got))
	}
	if !slices.IsSortedFunc(got, func(a, b store.EvalResult) int { return strings.Compare(a.CaseID, b.CaseID) }) {
		t.Error("results not in byte order of case id")
	}
	if r := getRun(t, s, "big"); r.Cases != n || r.Passed != n || r.Planned() != n || r.Results() != n {
		t.Errorf("run %+v", r)
	}
}

func testEvalContext(t *testing.T, s store.EvalResults) {
	defer s.Close()
	mustCreate(t, s, evalRun("r", base), evalCases(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]error{"CreateRun": s.CreateRun(ctx, evalRun("r2", base), evalCases(1)), "Results": seqErr(s.Results(ctx, "r"))}
	_, calls["AppendResults"] = s.AppendResults(ctx, "r", []store.EvalResult{evalResult("c-000", 0, store.EvalPass)})
	_, calls["GetRun"] = s.GetRun(ctx, "r")
	expect(t, context.Canceled, calls)
	if r := getRun(t, s, "r"); r.Results() != 0 {
		t.Errorf("stored under a cancelled context: %+v", r)
	}
	if _, err := s.GetRun(context.Background(), "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("run created under a cancelled context: %v", err)
	}
}

func testEvalClosed(t *testing.T, s store.EvalResults) {
	ctx := context.Background()
	mustCreate(t, s, evalRun("r", base), evalCases(1))
	closeTwice(t, s)
	calls := map[string]error{
		"CreateRun": s.CreateRun(ctx, evalRun("r2", base), nil),
		"FinishRun": s.FinishRun(ctx, "r", store.EvalDone, base),
		"Cases":     seqErr(s.Cases(ctx, "r")),
		"Results":   seqErr(s.Results(ctx, "r")),
	}
	_, calls["AppendResults"] = s.AppendResults(ctx, "r", []store.EvalResult{evalResult("c-000", 0, store.EvalPass)})
	_, calls["GetRun"] = s.GetRun(ctx, "r")
	_, calls["ListRuns"] = s.ListRuns(ctx, store.EvalRunFilter{})
	_, calls["Response"] = s.Response(ctx, "k")
	expect(t, store.ErrClosed, calls)
}
