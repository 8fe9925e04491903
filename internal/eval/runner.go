package eval

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Result is the outcome of one case (once: a run with repeats has one
// result per case and repeat).
type Result struct {
	CaseID string `json:"case_id"`
	// Repeat numbers the runs of a case, from 0 (omitted when 0).
	Repeat  int      `json:"repeat,omitempty"`
	Suite   string   `json:"suite"`
	Expect  string   `json:"expect"`
	Clauses []string `json:"clauses"`
	Grade
	Answer string `json:"answer,omitempty"`
	// Cached reports that the answer came from the response cache.
	Cached bool `json:"cached,omitempty"`
	// Error says why a case is unscored (no answer, target or grader error).
	Error     string `json:"error,omitempty"`
	ElapsedMS int64  `json:"elapsed_ms"`

	// For the results store: when the result was made, and the cache key
	// of the request when the answer may be cached.
	finished time.Time
	cacheKey string
}

// RunOptions configure Run.
type RunOptions struct {
	// Concurrency is the number of workers (default 1).
	Concurrency int
	// Timeout bounds each case's Answer (default 60s; negative: none).
	Timeout time.Duration
	// Now is the clock for elapsed times (default time.Now).
	Now func() time.Time
	// Repeats runs each case this many times (default 1), repeat r of
	// every case before repeat r+1 of any.
	Repeats int
	// Skip, when set, leaves out the (case, repeat) pairs it returns true
	// for: those a resumed run already has.
	Skip func(caseID string, repeat int) bool
	// Cache, when set, answers a case from the response cache when the
	// target names its request (CacheKeyer) and the key is stored; the
	// target is not asked then.
	Cache ResponseCache
	// RPS, when positive, bounds the requests started per second to the
	// target (cache hits are not requests), with bursts of one.
	RPS float64
}

// ResponseCache holds answers by request (see CacheKeyer).
type ResponseCache interface {
	// Response returns the answer stored under key, or an error wrapping
	// store.ErrNotFound.
	Response(ctx context.Context, key string) (string, error)
}

// CacheKeyer is a target whose answers may be cached: CacheKey names
// exactly the request that Answer sends for c (the target, the model and
// the request body), so that equal keys mean equal requests.
type CacheKeyer interface {
	CacheKey(c Case) (string, error)
}

// RequestKey returns the cache key of a request: the SHA-256 of the
// target's name, the model and the exact body, length-prefixed so that no
// two different triples collide.
func RequestKey(target, model string, body []byte) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(target), []byte(model), body} {
		h.Write([]byte(strconv.Itoa(len(part)) + ":"))
		h.Write(part)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// repeatKey is the cache key of repeat r of a request: repeat 0 has the
// request's own key, so a single run and the first repeat of a run with
// repeats share answers, while the others each get a sample of their own.
func repeatKey(key string, r int) string {
	if r == 0 {
		return key
	}
	sum := sha256.Sum256([]byte(key + "#" + strconv.Itoa(r)))
	return "sha256:" + hex.EncodeToString(sum[:])
}

type job struct {
	c      Case
	repeat int
}

// Run answers and grades cases with a pool of workers and sends each
// result on the returned channel as it is done (in completion order); the
// channel is closed when every case is done or, once ctx is cancelled,
// when the cases in flight have stopped. A case interrupted by the
// cancellation, or not started, sends nothing: it is not done, and a
// resumed run runs it again. A case that fails on its own (a target error,
// its timeout, a grader error, a panic) is sent as unscored.
func Run(ctx context.Context, cases []Case, t Target, g Grader, o RunOptions) <-chan Result {
	n := max(o.Concurrency, 1)
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var lim *rate.Limiter
	if o.RPS > 0 {
		lim = rate.NewLimiter(rate.Limit(o.RPS), 1)
	}
	keyer, _ := t.(CacheKeyer)
	jobs := make(chan job)
	// A buffer lets workers go on while the consumer stores a batch.
	out := make(chan Result, max(n, 64))
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for j := range jobs {
				if r, ok := runCase(ctx, j, t, keyer, g, lim, o); ok {
					out <- r
				}
			}
		})
	}
	go func() {
		defer func() {
			close(jobs)
			wg.Wait()
			close(out)
		}()
		for rep := range max(o.Repeats, 1) {
			for _, c := range cases {
				if o.Skip != nil && o.Skip(c.ID, rep) {
					continue
				}
				select {
				case jobs <- job{c, rep}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// runCase runs one job; ok is false when ctx was cancelled before it was
// done.
func runCase(ctx context.Context, j job, t Target, keyer CacheKeyer, g Grader, lim *rate.Limiter, o RunOptions) (res Result, ok bool) {
	c := j.c
	start := o.Now()
	res = Result{CaseID: c.ID, Repeat: j.repeat, Suite: c.Suite, Expect: c.Expect, Clauses: c.Clauses}
	defer func() {
		if p := recover(); p != nil {
			res.Grade = Grade{Status: Unscored}
			res.Error, res.cacheKey = fmt.Sprintf("panic: %v", p), ""
			ok = ctx.Err() == nil
		}
		res.finished = o.Now()
		res.ElapsedMS = res.finished.Sub(start).Milliseconds()
	}()
	if ctx.Err() != nil {
		return res, false
	}
	answer, err := answer(ctx, j, t, keyer, lim, o, &res)
	if ctx.Err() != nil {
		return res, false
	}
	if err != nil {
		res.Status, res.Error = Unscored, err.Error()
		return res, true
	}
	res.Answer = answer
	// A model-backed grader gets the run's context: an interrupted run
	// stops grading too.
	gr, err := GradeContext(ctx, g, c, answer)
	if ctx.Err() != nil {
		return res, false
	}
	if err != nil {
		// Keep what the grader learnt (checks, votes) with the error.
		res.Grade = gr
		res.Status, res.Error = Unscored, fmt.Sprintf("%s: %v", g.ID(), err)
		return res, true
	}
	res.Grade = gr
	return res, true
}

// answer asks the cache, then the target (within the rate limit and the
// case's timeout). It records in res whether the answer was cached and the
// key to cache a fresh one under.
func answer(ctx context.Context, j job, t Target, keyer CacheKeyer, lim *rate.Limiter, o RunOptions, res *Result) (string, error) {
	var key string
	if keyer != nil && o.Cache != nil {
		k, err := keyer.CacheKey(j.c)
		if err != nil {
			return "", fmt.Errorf("cache key: %w", err)
		}
		key = repeatKey(k, j.repeat)
		// An error other than a miss (a failing store) counts as a miss:
		// asking the target still gives the right answer, and storing the
		// result will report the broken store.
		if a, err := o.Cache.Response(ctx, key); err == nil {
			res.Cached, res.cacheKey = true, key
			return a, nil
		}
	}
	if lim != nil {
		if err := lim.Wait(ctx); err != nil {
			return "", err
		}
	}
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if o.Timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, o.Timeout)
	}
	defer cancel()
	a, err := t.Answer(cctx, j.c)
	if err == nil {
		res.cacheKey = key
	}
	return a, err
}

// SortResults orders results by case id, then repeat.
func SortResults(rs []Result) {
	slices.SortFunc(rs, func(a, b Result) int {
		return cmp.Or(cmp.Compare(a.CaseID, b.CaseID), cmp.Compare(a.Repeat, b.Repeat))
	})
}

func sortCases(cs []Case) {
	slices.SortFunc(cs, func(a, b Case) int { return cmp.Compare(a.ID, b.ID) })
}
