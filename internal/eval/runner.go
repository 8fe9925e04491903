package eval

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Result is the outcome of one case.
type Result struct {
	CaseID  string   `json:"case_id"`
	Suite   string   `json:"suite"`
	Expect  string   `json:"expect"`
	Clauses []string `json:"clauses"`
	Grade
	Answer string `json:"answer,omitempty"`
	// Error says why a case is unscored (no answer, target or grader error).
	Error     string `json:"error,omitempty"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

// RunOptions configure Run.
type RunOptions struct {
	// Concurrency is the number of workers (default 1).
	Concurrency int
	// Timeout bounds each case's Answer (default 60s; negative: none).
	Timeout time.Duration
	// Now is the clock for elapsed times (default time.Now).
	Now func() time.Time
}

// Run answers and grades cases with a pool of workers and sends each
// result on the returned channel as it is done (in completion order); the
// channel is closed when every case is done or ctx is cancelled. Cases not
// started before cancellation are sent as unscored.
func Run(ctx context.Context, cases []Case, t Target, g Grader, o RunOptions) <-chan Result {
	n := max(o.Concurrency, 1)
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	jobs := make(chan Case)
	out := make(chan Result, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for c := range jobs {
				out <- runCase(ctx, c, t, g, timeout, now)
			}
		})
	}
	go func() {
		for _, c := range cases {
			jobs <- c
		}
		close(jobs)
		wg.Wait()
		close(out)
	}()
	return out
}

func runCase(ctx context.Context, c Case, t Target, g Grader, timeout time.Duration, now func() time.Time) (res Result) {
	start := now()
	res = Result{CaseID: c.ID, Suite: c.Suite, Expect: c.Expect, Clauses: c.Clauses}
	defer func() {
		if p := recover(); p != nil {
			res.Grade = Grade{Status: Unscored}
			res.Error = fmt.Sprintf("panic: %v", p)
		}
		res.ElapsedMS = now().Sub(start).Milliseconds()
	}()
	if err := ctx.Err(); err != nil {
		res.Status, res.Error = Unscored, err.Error()
		return res
	}
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, timeout)
	}
	answer, err := t.Answer(cctx, c)
	cancel()
	if err != nil {
		res.Status, res.Error = Unscored, err.Error()
		return res
	}
	res.Answer = answer
	gr, err := g.Grade(c, answer)
	if err != nil {
		res.Status, res.Error = Unscored, fmt.Sprintf("%s: %v", g.ID(), err)
		return res
	}
	res.Grade = gr
	return res
}

// SortResults orders results by case id.
func SortResults(rs []Result) {
	slices.SortFunc(rs, func(a, b Result) int { return cmp.Compare(a.CaseID, b.CaseID) })
}

func sortCases(cs []Case) {
	slices.SortFunc(cs, func(a, b Case) int { return cmp.Compare(a.ID, b.ID) })
}
