package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// evalTrack is the schema of eval runs, their cases and results, and the
// response cache. It shares the file with the decision log but not its
// migrations.
//
// A run's counts by status are columns of eval_runs, kept by
// AppendResults in the same transaction as the rows, so that listing runs
// never scans results. Case data and grades are JSON text, stored and
// returned byte for byte.
var evalTrack = track{table: "eval_migrations", migrations: []string{
	// 1: runs, cases, results, response cache.
	`CREATE TABLE eval_runs (
	id          TEXT PRIMARY KEY,
	suite       TEXT NOT NULL,
	target      TEXT NOT NULL,
	model       TEXT NOT NULL,
	grader      TEXT NOT NULL,
	repeats     INTEGER NOT NULL,
	params      TEXT NOT NULL,     -- JSON object of strings
	status      TEXT NOT NULL,
	started_us  INTEGER NOT NULL,  -- Unix microseconds, UTC
	finished_us INTEGER,           -- NULL until FinishRun
	cases       INTEGER NOT NULL,
	passed      INTEGER NOT NULL DEFAULT 0,
	failed      INTEGER NOT NULL DEFAULT 0,
	unscored    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX eval_runs_started ON eval_runs (started_us, id);
CREATE TABLE eval_cases (
	run_id  TEXT NOT NULL,
	idx     INTEGER NOT NULL,
	case_id TEXT NOT NULL,
	data    TEXT NOT NULL,         -- the case as a JSON object
	PRIMARY KEY (run_id, idx),
	UNIQUE (run_id, case_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE eval_results (
	run_id     TEXT NOT NULL,
	case_id    TEXT NOT NULL,
	repeat     INTEGER NOT NULL,
	status     TEXT NOT NULL,
	answer     TEXT NOT NULL,
	error      TEXT NOT NULL,
	grade      TEXT,                -- JSON object, NULL for none
	elapsed_us INTEGER NOT NULL,
	time_us    INTEGER NOT NULL,
	cached     INTEGER NOT NULL,    -- 0 or 1
	cache_key  TEXT NOT NULL,
	PRIMARY KEY (run_id, case_id, repeat)
) STRICT;
CREATE TABLE eval_responses (
	key     TEXT PRIMARY KEY,
	answer  TEXT NOT NULL,
	time_us INTEGER NOT NULL
) STRICT;`,
}}

// EvalSchemaVersion is the eval schema version this build migrates to.
func EvalSchemaVersion() int { return len(evalTrack.migrations) }

// EvalStore is a store.EvalResults in one SQLite file (which may also hold
// the decision log). Writes go through one connection; each
// AppendResults is one transaction, so callers batch results.
type EvalStore struct{ *conn }

var _ store.EvalResults = (*EvalStore)(nil)

// OpenEval opens (creating if needed) the eval store at path and migrates
// it. Options.Synchronous defaults to Normal here, not Full: a commit
// survives a killed process either way, and a result lost to a power cut
// is measured again by resuming the run, while an fsync per batch would
// slow a fast target down. MaxBatch is not used.
func OpenEval(ctx context.Context, path string, opts Options) (*EvalStore, error) {
	c, err := openConn(ctx, path, opts, Normal, evalTrack)
	if err != nil {
		return nil, err
	}
	return &EvalStore{c}, nil
}

// CreateRun stores run and its cases.
func (s *EvalStore) CreateRun(ctx context.Context, run store.EvalRun, cases []store.EvalCase) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	run, cases, err := store.NormalizeRun(run, cases)
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	params, err := json.Marshal(run.Params)
	if err != nil {
		return fmt.Errorf("create run %s: %w", run.ID, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO eval_runs (id, suite, target, model, grader, repeats, params, status, started_us, cases)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		run.ID, run.Suite, run.Target, run.Model, run.Grader, run.Repeats, string(params), run.Status, run.Started.UnixMicro(), len(cases))
	if err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	} else if n == 0 {
		return fmt.Errorf("create run %s: %w", run.ID, store.ErrExists)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO eval_cases (run_id, idx, case_id, data) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	defer ins.Close()
	for i, c := range cases {
		if _, err := ins.ExecContext(ctx, run.ID, i, c.ID, string(c.Data)); err != nil {
			return s.fail(ctx, "create run "+run.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	return nil
}

// insertResult stores a result only when its case belongs to the run;
// nothing is inserted for a duplicate or a case of another run, and
// AppendResults tells the two apart.
const insertResult = `INSERT INTO eval_results (run_id, case_id, repeat, status, answer, error, grade, elapsed_us, time_us, cached, cache_key)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM eval_cases WHERE run_id = ?1 AND case_id = ?2
ON CONFLICT (run_id, case_id, repeat) DO NOTHING`

// AppendResults stores rs in one transaction.
func (s *EvalStore) AppendResults(ctx context.Context, runID string, rs []store.EvalResult) (int, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	norm := make([]store.EvalResult, len(rs))
	for i, r := range rs {
		n, err := store.NormalizeResult(r)
		if err != nil {
			return 0, fmt.Errorf("append results of %s: %w", runID, err)
		}
		norm[i] = n
	}
	if !store.ValidID(runID) {
		return 0, fmt.Errorf("append results of %q: %w", runID, store.ErrNotFound)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	defer tx.Rollback()
	var repeats int
	err = tx.QueryRowContext(ctx, `SELECT repeats FROM eval_runs WHERE id = ?`, runID).Scan(&repeats)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("append results of %q: %w", runID, store.ErrNotFound)
	}
	if err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	ins, err := tx.PrepareContext(ctx, insertResult)
	if err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	defer ins.Close()
	var counts [3]int // pass, fail, unscored
	stored := 0
	var cache []store.EvalResult
	for _, r := range norm {
		if r.Repeat >= repeats {
			return 0, fmt.Errorf("append results of %s: %w: case %s: repeat %d of a run of %d", runID, store.ErrInvalid, r.CaseID, r.Repeat, repeats)
		}
		var grade any
		if r.Grade != nil {
			grade = string(r.Grade)
		}
		res, err := ins.ExecContext(ctx, runID, r.CaseID, r.Repeat, r.Status, r.Answer, r.Error, grade,
			r.Elapsed.Microseconds(), r.Time.UnixMicro(), boolInt(r.Cached), r.CacheKey)
		if err != nil {
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
		if r.CacheKey != "" && !r.Cached {
			cache = append(cache, r)
		}
		if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM eval_cases WHERE run_id = ? AND case_id = ?`, runID, r.CaseID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("append results of %s: %w: run has no case %q", runID, store.ErrInvalid, r.CaseID)
			}
			if err != nil {
				return 0, s.fail(ctx, "append results of "+runID, err)
			}
			continue // already stored: the first one is kept
		}
		stored++
		counts[statusIndex(r.Status)]++
	}
	if stored > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE eval_runs SET passed = passed + ?, failed = failed + ?, unscored = unscored + ? WHERE id = ?`,
			counts[0], counts[1], counts[2], runID); err != nil {
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
	}
	for _, r := range cache {
		if _, err := tx.ExecContext(ctx, `INSERT INTO eval_responses (key, answer, time_us) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			r.CacheKey, r.Answer, r.Time.UnixMicro()); err != nil {
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	return stored, nil
}

func statusIndex(s string) int {
	switch s {
	case store.EvalPass:
		return 0
	case store.EvalFail:
		return 1
	}
	return 2
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// FinishRun records how run id ended.
func (s *EvalStore) FinishRun(ctx context.Context, id, status string, at time.Time) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := store.CheckFinish(id, status); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE eval_runs SET status = ?, finished_us = ? WHERE id = ?`,
		status, at.UTC().Truncate(store.TimePrecision).UnixMicro(), id)
	if err != nil {
		return s.fail(ctx, "finish run "+id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(ctx, "finish run "+id, err)
	} else if n == 0 {
		return fmt.Errorf("finish run %q: %w", id, store.ErrNotFound)
	}
	return nil
}

const runColumns = `id, suite, target, model, grader, repeats, params, status, started_us, finished_us, cases, passed, failed, unscored`

func scanRun(sc backend.Scanner) (store.EvalRun, error) {
	var r store.EvalRun
	var params string
	var started int64
	var finished sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Suite, &r.Target, &r.Model, &r.Grader, &r.Repeats, &params, &r.Status, &started, &finished,
		&r.Cases, &r.Passed, &r.Failed, &r.Unscored); err != nil {
		return store.EvalRun{}, err
	}
	r.Started = time.UnixMicro(started).UTC()
	if finished.Valid {
		r.Finished = time.UnixMicro(finished.Int64).UTC()
	}
	if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
		return store.EvalRun{}, fmt.Errorf("run %s: params: %w", r.ID, err)
	}
	return r, nil
}

// GetRun returns run id with its counts.
func (s *EvalStore) GetRun(ctx context.Context, id string) (store.EvalRun, error) {
	if err := s.ready(ctx); err != nil {
		return store.EvalRun{}, err
	}
	if !store.ValidID(id) {
		return store.EvalRun{}, fmt.Errorf("get run %q: %w", id, store.ErrNotFound)
	}
	r, err := scanRun(s.r.QueryRowContext(ctx, `SELECT `+runColumns+` FROM eval_runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.EvalRun{}, fmt.Errorf("get run %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.EvalRun{}, s.fail(ctx, "get run "+id, err)
	}
	return r, nil
}

// ListRuns returns the runs matching f, newest first.
func (s *EvalStore) ListRuns(ctx context.Context, f store.EvalRunFilter) ([]store.EvalRun, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	f, err := f.Prepare()
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	a := backend.Args{}
	q := backend.RunsQuery(f, runColumns, "started_us", &a)
	out, err := query(ctx, s.r, []store.EvalRun{}, scanRun, q, a.List...)
	if err != nil {
		return nil, s.fail(ctx, "list runs", err)
	}
	return out, nil
}

// exists checks that run id is stored.
func (s *EvalStore) exists(ctx context.Context, op, id string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if !store.ValidID(id) {
		return fmt.Errorf("%s %q: %w", op, id, store.ErrNotFound)
	}
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM eval_runs WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", op, id, store.ErrNotFound)
	}
	if err != nil {
		return s.fail(ctx, op+" "+id, err)
	}
	return nil
}

// Cases yields the cases of run id in order.
func (s *EvalStore) Cases(ctx context.Context, id string) iter.Seq2[store.EvalCase, error] {
	return runSeq(ctx, s, "cases of", id, scanCase, `SELECT case_id, data FROM eval_cases WHERE run_id = ? ORDER BY idx`)
}

func scanCase(sc backend.Scanner) (store.EvalCase, error) {
	var c store.EvalCase
	var data string
	err := sc.Scan(&c.ID, &data)
	c.Data = json.RawMessage(data)
	return c, err
}

// Results yields the results of run id by case id, then repeat.
func (s *EvalStore) Results(ctx context.Context, id string) iter.Seq2[store.EvalResult, error] {
	return runSeq(ctx, s, "results of", id, scanResult, `SELECT case_id, repeat, status, answer, error, grade, elapsed_us, time_us, cached, cache_key
FROM eval_results WHERE run_id = ? ORDER BY case_id, repeat`)
}

func scanResult(sc backend.Scanner) (store.EvalResult, error) {
	var r store.EvalResult
	var grade sql.NullString
	var elapsed, t, cached int64
	if err := sc.Scan(&r.CaseID, &r.Repeat, &r.Status, &r.Answer, &r.Error, &grade, &elapsed, &t, &cached, &r.CacheKey); err != nil {
		return r, err
	}
	if grade.Valid {
		r.Grade = json.RawMessage(grade.String)
	}
	r.Elapsed, r.Time, r.Cached = time.Duration(elapsed)*time.Microsecond, time.UnixMicro(t).UTC(), cached != 0
	return r, nil
}

// runSeq yields the rows of q (whose one argument is the run id) once run
// id is known to be stored; an error is yielded last.
func runSeq[T any](ctx context.Context, s *EvalStore, op, id string, scan func(backend.Scanner) (T, error), q string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := s.exists(ctx, op, id); err != nil {
			yield(zero, err)
			return
		}
		rows, err := s.r.QueryContext(ctx, q, id)
		if err == nil {
			defer rows.Close()
			err = backend.Each(rows, scan, func(v T) bool { return yield(v, nil) })
		}
		if err != nil {
			yield(zero, s.fail(ctx, op+" "+id, err))
		}
	}
}

// Response returns the cached answer under key.
func (s *EvalStore) Response(ctx context.Context, key string) (string, error) {
	if err := s.ready(ctx); err != nil {
		return "", err
	}
	if !store.ValidCacheKey(key) {
		return "", fmt.Errorf("response %q: %w", key, store.ErrNotFound)
	}
	var answer string
	err := s.r.QueryRowContext(ctx, `SELECT answer FROM eval_responses WHERE key = ?`, key).Scan(&answer)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("response %.16s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return "", s.fail(ctx, "response", err)
	}
	return answer, nil
}
