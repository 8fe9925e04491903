package store

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/decisionlog"
)

// EvalResults keeps evaluation runs: each run, the cases it planned, one
// result per case and repeat, and the response cache that lets a rerun
// reuse a model's answers. Implementations are safe for concurrent use.
//
// A run is written in three steps: CreateRun stores it with its cases (so
// that it can be resumed from the store alone, whatever became of the
// suite file), AppendResults stores results as they come (each call one
// transaction), FinishRun records how it ended. Results of a run that was
// interrupted stay stored; the cases and repeats without a result are what
// is left to run.
type EvalResults interface {
	// CreateRun stores run (Status EvalRunning) and its cases, in their
	// order, in one transaction. An id already stored gives ErrExists; an
	// invalid run or case (see EvalRun.Validate), ErrInvalid.
	CreateRun(ctx context.Context, run EvalRun, cases []EvalCase) error
	// AppendResults stores rs, results of run runID, in one transaction:
	// all or none. A result whose (case, repeat) is already stored is
	// skipped, the first one kept, so that appending again after an
	// uncertain failure is safe; stored counts the new ones. An unknown
	// run gives ErrNotFound; a result naming a case the run does not have,
	// a repeat outside 0..Repeats-1 or an unknown status, ErrInvalid.
	//
	// A result with a CacheKey, not Cached, also stores its Answer in the
	// response cache under that key (the first answer stored for a key is
	// kept), in the same transaction.
	AppendResults(ctx context.Context, runID string, rs []EvalResult) (stored int, err error)
	// FinishRun records that run id ended with status (EvalDone or
	// EvalInterrupted) at the given time; a run may be finished again
	// (interrupted, then resumed and done). ErrNotFound for an unknown run.
	FinishRun(ctx context.Context, id, status string, at time.Time) error
	// GetRun returns the run with its counts, or ErrNotFound.
	GetRun(ctx context.Context, id string) (EvalRun, error)
	// ListRuns returns the runs that match f, newest first (by Started,
	// then id descending), with their counts.
	ListRuns(ctx context.Context, f EvalRunFilter) ([]EvalRun, error)
	// Cases yields the cases of run id in the order CreateRun was given
	// them; ErrNotFound (as the error of the first pair) for an unknown
	// run. Breaking out of the loop releases the query.
	Cases(ctx context.Context, id string) iter.Seq2[EvalCase, error]
	// Results yields the stored results of run id ordered by case id (as
	// bytes) then repeat; ErrNotFound for an unknown run.
	Results(ctx context.Context, id string) iter.Seq2[EvalResult, error]
	// Response returns the cached answer stored under key, or ErrNotFound.
	Response(ctx context.Context, key string) (string, error)
	// Close releases the store; every later call returns ErrClosed.
	Close() error
}

// Statuses of an eval run.
const (
	EvalRunning     = "running"     // created; a process may still be adding results (or was killed)
	EvalDone        = "done"        // every case and repeat has a result
	EvalInterrupted = "interrupted" // stopped early; resume it to run what is left
)

// Statuses of an eval result (the grader's verdict).
const (
	EvalPass     = "pass"
	EvalFail     = "fail"
	EvalUnscored = "unscored"
)

// EvalRun is one run of a suite against a target.
type EvalRun struct {
	ID     string
	Suite  string // a built-in suite's name or the suite file's path
	Target string // the target's name: replay:NAME or a base URL
	Model  string
	Grader string
	// Repeats is how many times each case is run (at least 1).
	Repeats int
	// Params are the options a resumed run must be given again (timeout,
	// judge, ...), as the command line spelled them.
	Params  map[string]string
	Status  string
	Started time.Time
	// Finished is when FinishRun was last called; zero while running.
	Finished time.Time

	// Counts, filled by GetRun and ListRuns (ignored by CreateRun): the
	// cases planned and the results stored so far by status.
	Cases, Passed, Failed, Unscored int
}

// Results is the number of results stored: Passed + Failed + Unscored.
func (r EvalRun) Results() int { return r.Passed + r.Failed + r.Unscored }

// Planned is the number of results a complete run has: Cases × Repeats.
func (r EvalRun) Planned() int { return r.Cases * r.Repeats }

// EvalCase is one case of a run.
type EvalCase struct {
	ID string
	// Data is the case as a JSON object (the evaluator's own encoding: the
	// conversation, the expectation, the clauses); stored and returned as
	// given.
	Data json.RawMessage
}

// EvalResult is the outcome of one case, once.
type EvalResult struct {
	CaseID string
	Repeat int    // 0..Repeats-1
	Status string // EvalPass, EvalFail or EvalUnscored
	// Answer is the target's reply ("" when it gave none).
	Answer string
	// Error says why the result is unscored (a target or grader error).
	Error string
	// Grade is the grader's verdict as a JSON object (label, score,
	// reason, graders, ...), stored and returned as given; empty for none.
	Grade   json.RawMessage
	Elapsed time.Duration
	Time    time.Time
	// Cached reports that Answer came from the response cache.
	Cached bool
	// CacheKey names the request that produced Answer in the response
	// cache ("" when the target's answers are not cached).
	CacheKey string
}

// EvalRunFilter selects runs. Zero fields select everything.
type EvalRunFilter struct {
	Suite, Target, Model, Status string
	// Limit: 0 means DefaultLimit, above MaxLimit means MaxLimit,
	// negative is ErrInvalid.
	Limit int
}

// Prepare checks f and returns it with its strings cleaned and its limit
// resolved. It is for backends.
func (f EvalRunFilter) Prepare() (EvalRunFilter, error) {
	n, err := Filter{Limit: f.Limit}.PageSize()
	if err != nil {
		return EvalRunFilter{}, err
	}
	return EvalRunFilter{Suite: clean(f.Suite), Target: clean(f.Target), Model: clean(f.Model), Status: clean(f.Status), Limit: n}, nil
}

// MaxEvalRepeats bounds EvalRun.Repeats.
const MaxEvalRepeats = 10000

// MaxCaseIDLength bounds a case id (suite files name their own cases).
const MaxCaseIDLength = 1024

// ValidCaseID reports whether id can name a case: 1..MaxCaseIDLength
// bytes of UTF-8 without NUL.
func ValidCaseID(id string) bool {
	return id != "" && len(id) <= MaxCaseIDLength && id == clean(id)
}

// ValidCacheKey reports whether key can name a cached response.
func ValidCacheKey(key string) bool { return ValidID(key) }

// CheckFinish checks the arguments of FinishRun: ErrInvalid for a status
// other than EvalDone or EvalInterrupted, ErrNotFound for an id no run
// can have.
func CheckFinish(id, status string) error {
	if status != EvalDone && status != EvalInterrupted {
		return fmt.Errorf("finish run %s: %w: status %q (want %s or %s)", id, ErrInvalid, status, EvalDone, EvalInterrupted)
	}
	if !ValidID(id) {
		return fmt.Errorf("finish run %q: %w", id, ErrNotFound)
	}
	return nil
}

// NormalizeRun validates run and cases and returns them as every backend
// stores them: strings cleaned (see Normalize), Started in UTC truncated to
// TimePrecision, Status EvalRunning, Finished zero, counts zero, Params
// non-nil. Case Data must be a JSON object and case ids unique.
func NormalizeRun(run EvalRun, cases []EvalCase) (EvalRun, []EvalCase, error) {
	if !ValidID(run.ID) {
		return EvalRun{}, nil, fmt.Errorf("%w: run id %q (want 1..%d bytes of UTF-8 without NUL)", ErrInvalid, run.ID, decisionlog.MaxIDLength)
	}
	if run.Repeats < 1 || run.Repeats > MaxEvalRepeats {
		return EvalRun{}, nil, fmt.Errorf("%w: run %s: repeats %d (want 1..%d)", ErrInvalid, run.ID, run.Repeats, MaxEvalRepeats)
	}
	if run.Started.IsZero() {
		return EvalRun{}, nil, fmt.Errorf("%w: run %s: no start time", ErrInvalid, run.ID)
	}
	run.Suite, run.Target, run.Model, run.Grader = clean(run.Suite), clean(run.Target), clean(run.Model), clean(run.Grader)
	params := make(map[string]string, len(run.Params))
	for k, v := range run.Params {
		params[clean(k)] = clean(v)
	}
	run.Params = params
	run.Status = EvalRunning
	run.Started = run.Started.UTC().Truncate(TimePrecision)
	run.Finished = time.Time{}
	run.Cases, run.Passed, run.Failed, run.Unscored = 0, 0, 0, 0
	out := make([]EvalCase, len(cases))
	seen := make(map[string]bool, len(cases))
	for i, c := range cases {
		if !ValidCaseID(c.ID) {
			return EvalRun{}, nil, fmt.Errorf("%w: run %s: case %d: id %q", ErrInvalid, run.ID, i, c.ID)
		}
		if seen[c.ID] {
			return EvalRun{}, nil, fmt.Errorf("%w: run %s: case %s twice", ErrInvalid, run.ID, c.ID)
		}
		seen[c.ID] = true
		if !isJSONObject(c.Data) {
			return EvalRun{}, nil, fmt.Errorf("%w: run %s: case %s: data is not a JSON object", ErrInvalid, run.ID, c.ID)
		}
		out[i] = EvalCase{ID: c.ID, Data: cleanJSON(c.Data)}
	}
	return run, out, nil
}

// NormalizeResult validates r (except what only the run can tell: that
// its case belongs to the run and its repeat is in range) and returns it
// as every backend stores it: strings cleaned, Time in UTC truncated to
// TimePrecision, Elapsed to microseconds, an empty Grade as nil. Invalid
// UTF-8 in Data and Grade becomes U+FFFD, as in strings.
func NormalizeResult(r EvalResult) (EvalResult, error) {
	if !ValidCaseID(r.CaseID) {
		return EvalResult{}, fmt.Errorf("%w: result: case id %q", ErrInvalid, r.CaseID)
	}
	switch r.Status {
	case EvalPass, EvalFail, EvalUnscored:
	default:
		return EvalResult{}, fmt.Errorf("%w: result %s: status %q (want %s, %s or %s)", ErrInvalid, r.CaseID, r.Status, EvalPass, EvalFail, EvalUnscored)
	}
	if r.Repeat < 0 {
		return EvalResult{}, fmt.Errorf("%w: result %s: repeat %d", ErrInvalid, r.CaseID, r.Repeat)
	}
	if r.Elapsed < 0 {
		return EvalResult{}, fmt.Errorf("%w: result %s: negative elapsed time", ErrInvalid, r.CaseID)
	}
	if len(r.Grade) == 0 {
		r.Grade = nil
	} else if !isJSONObject(r.Grade) {
		return EvalResult{}, fmt.Errorf("%w: result %s: grade is not a JSON object", ErrInvalid, r.CaseID)
	} else {
		r.Grade = cleanJSON(r.Grade)
	}
	if r.Time.IsZero() {
		return EvalResult{}, fmt.Errorf("%w: result %s: no time", ErrInvalid, r.CaseID)
	}
	if r.CacheKey != "" && !ValidCacheKey(r.CacheKey) {
		return EvalResult{}, fmt.Errorf("%w: result %s: cache key %q", ErrInvalid, r.CaseID, r.CacheKey)
	}
	r.Answer, r.Error = clean(r.Answer), clean(r.Error)
	r.Time = r.Time.UTC().Truncate(TimePrecision)
	r.Elapsed = r.Elapsed.Truncate(TimePrecision)
	return r, nil
}

// cleanJSON returns b with invalid UTF-8 replaced (NUL cannot occur
// unescaped in valid JSON). Clean input is returned as it is, not copied:
// a suite of large cases is not held twice.
func cleanJSON(b json.RawMessage) json.RawMessage {
	if utf8.Valid(b) {
		return b
	}
	return json.RawMessage(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// isJSONObject reports whether b is one valid JSON object (PostgreSQL
// and SQLite keep it as text, byte for byte).
func isJSONObject(b []byte) bool {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
