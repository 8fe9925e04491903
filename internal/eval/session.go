package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/modelspec/modelspec/internal/store"
)

// A Session is a run kept in a results store (store.EvalResults): Start
// stores the run with its cases, Resume loads one back, Execute runs what
// is not stored yet and stores each result as it comes, Results and
// Summary read the run back. The store is the run's only record, so a run
// interrupted (SIGINT, a crash, a full disk) and resumed ends with the
// same results as one never interrupted.
type Session struct {
	st    store.EvalResults
	run   store.EvalRun
	cases []Case
	byID  map[string]int
	done  map[doneKey]bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

type doneKey struct {
	id     string
	repeat int
}

// ErrInterrupted is returned (wrapped, with the context's error) by
// Execute when the run stopped before every case was done; what was done
// is stored, and ResumeSession continues it.
var ErrInterrupted = errors.New("run interrupted")

// Batching of stored results: a batch is written when it holds
// storeBatch results or storeEvery after its first, so a fast target pays
// for few transactions and a slow one sees its results stored promptly.
const (
	storeBatch = 256
	storeEvery = 100 * time.Millisecond
	// storeTimeout bounds one write, which is made with a context that the
	// run's cancellation does not end: results already done are stored.
	storeTimeout = 30 * time.Second
)

// StartSession stores a new run of cases. run.ID, Repeats (≥1) and
// Started must be set; Suite, Target, Model, Grader and Params describe it.
func StartSession(ctx context.Context, st store.EvalResults, run store.EvalRun, cases []Case) (*Session, error) {
	stored := make([]store.EvalCase, len(cases))
	for i, c := range cases {
		data, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("run %s: case %s: %w", run.ID, c.ID, err)
		}
		stored[i] = store.EvalCase{ID: c.ID, Data: data}
	}
	if err := st.CreateRun(ctx, run, stored); err != nil {
		return nil, err
	}
	run, err := st.GetRun(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	return newSession(st, run, cases), nil
}

// ResumeSession loads run id, its cases and which results it has.
func ResumeSession(ctx context.Context, st store.EvalResults, id string) (*Session, error) {
	run, err := st.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	cases := make([]Case, 0, run.Cases)
	for sc, err := range st.Cases(ctx, id) {
		if err != nil {
			return nil, err
		}
		var c Case
		if err := json.Unmarshal(sc.Data, &c); err != nil {
			return nil, fmt.Errorf("run %s: case %s: %w", id, sc.ID, err)
		}
		c.ID = sc.ID
		cases = append(cases, c)
	}
	s := newSession(st, run, cases)
	for r, err := range st.Results(ctx, id) {
		if err != nil {
			return nil, err
		}
		s.done[doneKey{r.CaseID, r.Repeat}] = true
	}
	return s, nil
}

func newSession(st store.EvalResults, run store.EvalRun, cases []Case) *Session {
	s := &Session{st: st, run: run, cases: cases, byID: make(map[string]int, len(cases)), done: map[doneKey]bool{}}
	for i, c := range cases {
		s.byID[c.ID] = i
	}
	return s
}

// Run is the stored run as it was when the session started.
func (s *Session) Run() store.EvalRun { return s.run }

// Cases are the run's cases, in order.
func (s *Session) Cases() []Case { return s.cases }

// Pending is the number of (case, repeat) results not stored yet.
func (s *Session) Pending() int { return len(s.cases)*s.run.Repeats - len(s.done) }

func (s *Session) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Execute runs the results the run does not have yet (with Run: o's
// Repeats and Skip are the session's) and stores them in batches,
// calling onResult (if set) for each as it comes. It returns once every
// result is stored, then marks the run done. When ctx is cancelled, the
// results finished by then are stored, the run is marked interrupted and
// the error wraps ErrInterrupted. A store error stops the run (marked
// interrupted, if the store still answers) and is returned.
func (s *Session) Execute(ctx context.Context, t Target, g Grader, o RunOptions, onResult func(Result)) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o.Repeats = s.run.Repeats
	if o.Now == nil {
		o.Now = s.now
	}
	// Skip reads done while this goroutine writes it: give Run a copy.
	done := make(map[doneKey]bool, len(s.done))
	for k := range s.done {
		done[k] = true
	}
	o.Skip = func(id string, repeat int) bool { return done[doneKey{id, repeat}] }
	results := Run(rctx, s.cases, t, g, o)

	var batch []store.EvalResult
	var storeErr error
	flush := func() {
		if len(batch) == 0 || storeErr != nil {
			return
		}
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		_, err := s.st.AppendResults(wctx, s.run.ID, batch)
		wcancel()
		if err != nil {
			storeErr = fmt.Errorf("store results of run %s: %w", s.run.ID, err)
			cancel()
			return
		}
		for _, r := range batch {
			s.done[doneKey{r.CaseID, r.Repeat}] = true
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(storeEvery)
	defer tick.Stop()
loop:
	for {
		select {
		case r, ok := <-results:
			if !ok {
				break loop
			}
			if storeErr != nil {
				continue // drain: the workers stop at the cancellation
			}
			batch = append(batch, s.toStored(r))
			if onResult != nil {
				onResult(r)
			}
			if len(batch) >= storeBatch {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
	flush()

	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer wcancel()
	status := store.EvalDone
	if storeErr != nil || s.Pending() > 0 {
		status = store.EvalInterrupted
	}
	ferr := s.st.FinishRun(wctx, s.run.ID, status, s.now())
	switch {
	case storeErr != nil:
		return storeErr
	case ferr != nil:
		return fmt.Errorf("finish run %s: %w", s.run.ID, ferr)
	case status == store.EvalInterrupted:
		cause := ctx.Err()
		if cause == nil {
			cause = errors.New("not every case was run")
		}
		return fmt.Errorf("%w: %d of %d results stored: %w", ErrInterrupted, len(s.done), len(s.cases)*s.run.Repeats, cause)
	}
	return nil
}

func (s *Session) toStored(r Result) store.EvalResult {
	grade, err := json.Marshal(r.Grade)
	if err != nil {
		// A Grade is plain data; this cannot happen, but a result is
		// never dropped for it.
		grade = nil
	}
	t := r.finished
	if t.IsZero() {
		t = s.now()
	}
	return store.EvalResult{
		CaseID: r.CaseID, Repeat: r.Repeat, Status: norm(r.Status), Answer: r.Answer, Error: r.Error,
		Grade: grade, Elapsed: time.Duration(r.ElapsedMS) * time.Millisecond, Time: t,
		Cached: r.Cached, CacheKey: r.cacheKey,
	}
}

// Results yields the run's stored results (by case id, then repeat), each
// with its case's suite, expectation and clauses.
func (s *Session) Results(ctx context.Context) iter.Seq2[Result, error] {
	return func(yield func(Result, error) bool) {
		for sr, err := range s.st.Results(ctx, s.run.ID) {
			if err != nil {
				yield(Result{}, err)
				return
			}
			r, err := s.fromStored(sr)
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

func (s *Session) fromStored(sr store.EvalResult) (Result, error) {
	r := Result{CaseID: sr.CaseID, Repeat: sr.Repeat, Answer: sr.Answer, Error: sr.Error, Cached: sr.Cached,
		ElapsedMS: sr.Elapsed.Milliseconds(), finished: sr.Time, cacheKey: sr.CacheKey}
	if i, ok := s.byID[sr.CaseID]; ok {
		c := s.cases[i]
		r.Suite, r.Expect, r.Clauses = c.Suite, c.Expect, c.Clauses
	}
	if len(sr.Grade) > 0 {
		if err := json.Unmarshal(sr.Grade, &r.Grade); err != nil {
			return Result{}, fmt.Errorf("run %s: result %s/%d: grade: %w", s.run.ID, sr.CaseID, sr.Repeat, err)
		}
	}
	r.Status = sr.Status
	return r, nil
}

// Summary reads the stored results back and summarises them with the
// run's identity and status.
func (s *Session) Summary(ctx context.Context) (Summary, error) {
	var t Tally
	for r, err := range s.Results(ctx) {
		if err != nil {
			return Summary{}, err
		}
		t.Add(r)
	}
	run, err := s.st.GetRun(ctx, s.run.ID)
	if err != nil {
		return Summary{}, err
	}
	sum := t.Summary()
	sum.RunID, sum.Suite, sum.Target, sum.Model, sum.Status = run.ID, run.Suite, run.Target, run.Model, run.Status
	if sum.Grader == "" {
		sum.Grader = run.Grader
	}
	if run.Repeats > 1 {
		sum.Repeats = run.Repeats
	}
	return sum, nil
}
