package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/sqlite"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

func openStore(t *testing.T) *sqlite.EvalStore {
	t.Helper()
	st, err := sqlite.OpenEval(context.Background(), filepath.Join(t.TempDir(), "modelspec.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// regexCases are n cases that pass when the answer does not say "cannot".
func regexCases(n int) []Case {
	cs := make([]Case, n)
	for i := range cs {
		cs[i] = Case{ID: fmt.Sprintf("c%03d", i), Suite: "t", Clauses: []string{[]string{"even", "odd"}[i%2], "all"},
			Messages: []Message{{Role: "user", Content: fmt.Sprintf("question %d", i)}}, NotRegex: "cannot"}
	}
	return cs
}

func newRun(id string, repeats int) store.EvalRun {
	return store.EvalRun{ID: id, Suite: "t", Target: "fake", Grader: "grade.case", Repeats: repeats, Started: time.Now()}
}

// countingTarget answers every case after delay, counting calls per case.
type countingTarget struct {
	delay time.Duration
	mu    sync.Mutex
	calls map[string]int
	total atomic.Int64
	// answer, when set, makes the answer from the case and its call number.
	answer func(c Case, call int) string
}

func (f *countingTarget) Name() string { return "counting" }
func (f *countingTarget) Answer(ctx context.Context, c Case) (string, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[c.ID]++
	call := f.calls[c.ID]
	f.mu.Unlock()
	f.total.Add(1)
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if f.answer != nil {
		return f.answer(c, call), nil
	}
	return "yes: " + c.ID, nil
}

func storedResults(t *testing.T, st store.EvalResults, id string) map[string]store.EvalResult {
	t.Helper()
	out := map[string]store.EvalResult{}
	for r, err := range st.Results(context.Background(), id) {
		if err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%s/%d", r.CaseID, r.Repeat)
		if _, dup := out[k]; dup {
			t.Fatalf("%s stored twice", k)
		}
		out[k] = r
	}
	return out
}

// TestSessionResume cancels a run midway (as SIGINT does), checks that
// every result delivered before the cancellation is stored and the run is
// marked interrupted, then resumes it: only the missing cases are run and
// the run ends with one result per case and repeat.
func TestSessionResume(t *testing.T) {
	st := openStore(t)
	cases := regexCases(60)
	ft := &countingTarget{delay: 5 * time.Millisecond}
	sess, err := StartSession(context.Background(), st, newRun("r1", 2), cases)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Pending() != 120 {
		t.Fatalf("pending %d", sess.Pending())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var seen []string
	err = sess.Execute(ctx, ft, CaseGrader{}, RunOptions{Concurrency: 4}, func(r Result) {
		seen = append(seen, fmt.Sprintf("%s/%d", r.CaseID, r.Repeat))
		if len(seen) == 30 {
			cancel()
		}
	})
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute: %v, want ErrInterrupted and context.Canceled", err)
	}
	got := storedResults(t, st, "r1")
	if len(got) != len(seen) || len(seen) < 30 || len(seen) > 40 {
		t.Fatalf("%d stored, %d delivered", len(got), len(seen))
	}
	for _, k := range seen {
		if r, ok := got[k]; !ok || r.Status != store.EvalPass {
			t.Errorf("delivered %s not stored as pass: %+v", k, r)
		}
	}
	run, err := st.GetRun(context.Background(), "r1")
	if err != nil || run.Status != store.EvalInterrupted || run.Results() != len(seen) || run.Finished.IsZero() {
		t.Fatalf("run after interruption: %+v %v", run, err)
	}

	// Resume from the store alone: the cases come back from it.
	res, err := ResumeSession(context.Background(), st, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending() != 120-len(seen) || len(res.Cases()) != 60 || res.Cases()[7].NotRegex != "cannot" {
		t.Fatalf("resumed: pending %d, %d cases", res.Pending(), len(res.Cases()))
	}
	before := ft.total.Load()
	var again int
	if err := res.Execute(context.Background(), ft, CaseGrader{}, RunOptions{Concurrency: 4}, func(Result) { again++ }); err != nil {
		t.Fatal(err)
	}
	if again != 120-len(seen) || ft.total.Load()-before != int64(again) {
		t.Errorf("resume ran %d results with %d calls, want %d", again, ft.total.Load()-before, 120-len(seen))
	}
	if got := storedResults(t, st, "r1"); len(got) != 120 {
		t.Errorf("%d results after resuming, want 120", len(got))
	}
	sum, err := res.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != store.EvalDone || sum.Cases != 60 || sum.Results != 120 || sum.Passed != 120 || sum.Repeats != 2 || sum.RunID != "r1" {
		t.Errorf("summary %+v", sum)
	}
	if res.Pending() != 0 {
		t.Errorf("pending %d after a complete run", res.Pending())
	}
	// A done run resumed again has nothing to do.
	res2, err := ResumeSession(context.Background(), st, "r1")
	if err != nil || res2.Pending() != 0 {
		t.Fatalf("resume a done run: %v, pending %d", err, res2.Pending())
	}
	if err := res2.Execute(context.Background(), ft, CaseGrader{}, RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ResumeSession(context.Background(), st, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("resume unknown: %v", err)
	}
}

// TestSessionCache runs a suite against the fake upstream twice: the
// second run asks nothing; repeats get a sample each; without the cache
// every case is asked again.
func TestSessionCache(t *testing.T) {
	st := openStore(t)
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed("Sure, here it is.")})
	target := &HTTPTarget{BaseURL: up.BaseURL, Model: "m", Client: up.Client(http.Header{})}
	cases := regexCases(20)
	run := func(id string, repeats int, cache bool) Summary {
		t.Helper()
		sess, err := StartSession(context.Background(), st, newRun(id, repeats), cases)
		if err != nil {
			t.Fatal(err)
		}
		o := RunOptions{Concurrency: 4}
		if cache {
			o.Cache = st
		}
		if err := sess.Execute(context.Background(), target, CaseGrader{}, o, nil); err != nil {
			t.Fatal(err)
		}
		s, err := sess.Summary(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	requests := func() int64 { n := up.Counts().Completions; up.Reset(); return n }

	if s := run("a", 1, true); s.Passed != 20 || s.Cached != 0 || requests() != 20 {
		t.Errorf("first run: %+v", s)
	}
	if s := run("b", 1, true); s.Passed != 20 || s.Cached != 20 || requests() != 0 {
		t.Errorf("second run should be all cached: %+v", s)
	}
	// Repeat 0 shares the single run's answers; repeats 1 and 2 are new.
	if s := run("c", 3, true); s.Results != 60 || s.Cached != 20 || requests() != 40 {
		t.Errorf("repeats: %+v", s)
	}
	if s := run("d", 3, true); s.Cached != 60 || requests() != 0 {
		t.Errorf("repeats again: %+v", s)
	}
	if s := run("e", 1, false); s.Cached != 0 || requests() != 20 {
		t.Errorf("no cache: %+v", s)
	}
	// The stored rows name their cache key; a cached one is marked.
	for _, r := range storedResults(t, st, "b") {
		if !r.Cached || !strings.HasPrefix(r.CacheKey, "sha256:") {
			t.Fatalf("stored %+v", r)
		}
	}
	// Another model is another request.
	other := &HTTPTarget{BaseURL: up.BaseURL, Model: "m2", Client: up.Client(http.Header{})}
	k1, _ := target.CacheKey(cases[0])
	k2, _ := other.CacheKey(cases[0])
	k3, _ := target.CacheKey(cases[1])
	if k1 == k2 || k1 == k3 || repeatKey(k1, 0) != k1 || repeatKey(k1, 1) == k1 || repeatKey(k1, 1) == repeatKey(k1, 2) {
		t.Error("cache keys collide")
	}
	if RequestKey("a", "bc", nil) == RequestKey("ab", "c", nil) {
		t.Error("RequestKey is not length-prefixed")
	}
}

// failingStore fails AppendResults after the first call.
type failingStore struct {
	store.EvalResults
	calls atomic.Int32
}

func (f *failingStore) AppendResults(ctx context.Context, id string, rs []store.EvalResult) (int, error) {
	if f.calls.Add(1) > 1 {
		return 0, errors.New("disk full")
	}
	return f.EvalResults.AppendResults(ctx, id, rs)
}

// A store that fails stops the run: the target is not asked for long.
func TestSessionStoreError(t *testing.T) {
	fs := &failingStore{EvalResults: openStore(t)}
	cases := regexCases(400)
	sess, err := StartSession(context.Background(), fs, newRun("r", 1), cases)
	if err != nil {
		t.Fatal(err)
	}
	ft := &countingTarget{delay: 5 * time.Millisecond}
	err = sess.Execute(context.Background(), ft, CaseGrader{}, RunOptions{Concurrency: 4}, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") || errors.Is(err, ErrInterrupted) {
		t.Fatalf("Execute: %v", err)
	}
	if n := ft.total.Load(); n >= 400 {
		t.Errorf("the target was asked %d times after the store failed", n)
	}
	if run, _ := fs.GetRun(context.Background(), "r"); run.Status != store.EvalInterrupted {
		t.Errorf("status %s", run.Status)
	}
}

func TestRunRateLimit(t *testing.T) {
	ft := &countingTarget{}
	start := time.Now()
	n := 0
	for range Run(context.Background(), regexCases(11), ft, CaseGrader{}, RunOptions{Concurrency: 8, RPS: 50}) {
		n++
	}
	// 11 requests at 50/s with a burst of one take at least 10/50 s.
	if el := time.Since(start); n != 11 || el < 190*time.Millisecond {
		t.Errorf("%d results in %v", n, el)
	}
}

// TestSessionRepeatsStdErr checks the clustered standard errors against
// the formula computed by hand, on a target whose answers pass or fail by
// case and call.
func TestSessionRepeatsStdErr(t *testing.T) {
	st := openStore(t)
	// Case i passes on call k (1-based) when (i+k) % 3 != 0, so cases
	// differ in how often they pass; case 0 always fails.
	ft := &countingTarget{answer: func(c Case, call int) string {
		var i int
		fmt.Sscanf(c.ID, "c%d", &i)
		if i == 0 || (i+call)%3 == 0 {
			return "I cannot"
		}
		return "ok"
	}}
	cases := regexCases(10)
	sess, err := StartSession(context.Background(), st, newRun("r", 4), cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Execute(context.Background(), ft, CaseGrader{}, RunOptions{Concurrency: 1}, nil); err != nil {
		t.Fatal(err)
	}
	sum, err := sess.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// By hand: passes per case over 4 calls.
	want := func(ids []int) (float64, float64) {
		var s []float64
		for _, i := range ids {
			p := 0
			for k := 1; k <= 4; k++ {
				if i != 0 && (i+k)%3 != 0 {
					p++
				}
			}
			s = append(s, float64(p))
		}
		var tot float64
		for _, x := range s {
			tot += x
		}
		m := float64(4 * len(s))
		rate := tot / m
		var ss float64
		for _, x := range s {
			ss += (x - rate*4) * (x - rate*4)
		}
		n := float64(len(s))
		return rate, math.Sqrt(n/(n-1)*ss) / m
	}
	check := func(name string, rate float64, se *float64, ids []int) {
		t.Helper()
		wr, wse := want(ids)
		if math.Abs(rate-wr) > 1e-12 || se == nil || math.Abs(*se-wse) > 1e-12 {
			t.Errorf("%s: rate %v se %v, want %v %v", name, rate, se, wr, wse)
		}
	}
	check("total", sum.PassRate, sum.StdErr, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	for _, c := range sum.Clauses {
		ids := map[string][]int{"all": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "even": {0, 2, 4, 6, 8}, "odd": {1, 3, 5, 7, 9}}[c.Clause]
		if c.PassRate == nil || c.Cases != len(ids) {
			t.Fatalf("clause %+v", c)
		}
		check(c.Clause, *c.PassRate, c.StdErr, ids)
	}
}

func TestClusteredSE(t *testing.T) {
	cc := func(pairs ...[2]int) map[string]*caseCount {
		m := map[string]*caseCount{}
		for i, p := range pairs {
			m[fmt.Sprint(i)] = &caseCount{pass: p[0], scored: p[1]}
		}
		return m
	}
	if r, se := clusteredSE(cc()); r != nil || se != nil {
		t.Error("nothing scored should give nil")
	}
	if r, se := clusteredSE(cc([2]int{0, 0}, [2]int{0, 0})); r != nil || se != nil {
		t.Error("only unscored should give nil")
	}
	if r, se := clusteredSE(cc([2]int{1, 1}, [2]int{0, 0})); r == nil || *r != 1 || se != nil {
		t.Error("one scored case: a rate, no SE")
	}
	// One result per case: sqrt(p(1-p)/(n-1)).
	r, se := clusteredSE(cc([2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, [2]int{0, 1}))
	if *r != 0.75 || math.Abs(*se-math.Sqrt(0.75*0.25/3)) > 1e-12 {
		t.Errorf("binary: %v %v", *r, *se)
	}
	// Every case the same rate: no spread between cases, SE 0.
	if _, se := clusteredSE(cc([2]int{2, 4}, [2]int{1, 2}, [2]int{3, 6})); *se != 0 {
		t.Errorf("equal rates: se %v", *se)
	}
}

// BenchmarkRunner measures the runner's own cost per case with a target
// that answers at once: Run alone (the baseline: workers, grading with
// grade.regex) beside a Session that also stores the run, its cases and
// every result in SQLite, with and without the response cache.
func BenchmarkRunner(b *testing.B) {
	ft := &countingTarget{}
	b.Run("run", func(b *testing.B) {
		cases := regexCases(b.N)
		b.ResetTimer()
		for range Run(context.Background(), cases, ft, CaseGrader{}, RunOptions{Concurrency: 16}) {
		}
	})
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("session-sqlite/cache=%v", cached), func(b *testing.B) {
			st, err := sqlite.OpenEval(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			cases := regexCases(b.N)
			b.ResetTimer()
			sess, err := StartSession(context.Background(), st, newRun("b", 1), cases)
			if err != nil {
				b.Fatal(err)
			}
			o := RunOptions{Concurrency: 16}
			var tgt Target = ft
			if cached {
				o.Cache = st
				tgt = keyedTarget{ft}
			}
			if err := sess.Execute(context.Background(), tgt, CaseGrader{}, o, nil); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// keyedTarget gives a target a cache key, as the HTTP target has.
type keyedTarget struct{ *countingTarget }

func (k keyedTarget) CacheKey(c Case) (string, error) {
	return RequestKey("fake", "m", []byte(c.Messages[0].Content)), nil
}
