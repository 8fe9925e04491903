package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// evalTrack is the schema of eval runs, their cases and results, and the
// response cache; its own migrations and advisory lock, beside the
// decision log's.
//
// Case data and grades are text holding JSON, not jsonb: they come back
// byte for byte as given (jsonb reorders keys and refuses \u0000, which a
// model's answer quoted in a grader's reason may hold). A run's counts by
// status are columns kept by AppendResults in the same transaction as the
// rows. Ids are COLLATE "C" so that results come back in byte order, as
// in SQLite.
var evalTrack = track{table: "eval_migrations", lock: evalLockKey, migrations: []string{
	// 1: runs, cases, results, response cache.
	`CREATE TABLE eval_runs (
	id       text COLLATE "C" PRIMARY KEY,
	suite    text NOT NULL,
	target   text NOT NULL,
	model    text NOT NULL,
	grader   text NOT NULL,
	repeats  integer NOT NULL,
	params   text NOT NULL,
	status   text NOT NULL,
	started  timestamptz NOT NULL,
	finished timestamptz,
	cases    integer NOT NULL,
	passed   integer NOT NULL DEFAULT 0,
	failed   integer NOT NULL DEFAULT 0,
	unscored integer NOT NULL DEFAULT 0
);
CREATE INDEX eval_runs_started ON eval_runs (started, id);
CREATE TABLE eval_cases (
	run_id  text COLLATE "C" NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
	idx     integer NOT NULL,
	case_id text COLLATE "C" NOT NULL,
	data    text NOT NULL,
	PRIMARY KEY (run_id, idx),
	UNIQUE (run_id, case_id)
);
CREATE TABLE eval_results (
	run_id     text COLLATE "C" NOT NULL,
	case_id    text COLLATE "C" NOT NULL,
	repeat     integer NOT NULL,
	status     text NOT NULL,
	answer     text NOT NULL,
	error      text NOT NULL,
	grade      text,
	elapsed_us bigint NOT NULL,
	time       timestamptz NOT NULL,
	cached     boolean NOT NULL,
	cache_key  text NOT NULL,
	PRIMARY KEY (run_id, case_id, repeat),
	FOREIGN KEY (run_id, case_id) REFERENCES eval_cases (run_id, case_id) ON DELETE CASCADE
);
CREATE TABLE eval_responses (
	key    text COLLATE "C" PRIMARY KEY,
	answer text NOT NULL,
	time   timestamptz NOT NULL
);`,
}}

// evalLockKey is the advisory lock of the eval track: "msevalrs" in ASCII.
const evalLockKey = 0x6d736576616c7273

// EvalSchemaVersion is the eval schema version this build migrates to.
func EvalSchemaVersion() int { return len(evalTrack.migrations) }

// EvalStore is a store.EvalResults in PostgreSQL. Each call is one round
// trip where it can be: a run's cases and a batch of results are sent as
// arrays and inserted by one statement.
type EvalStore struct{ *conn }

var _ store.EvalResults = (*EvalStore)(nil)

// OpenEval connects to the database at dsn and migrates the eval schema.
func OpenEval(ctx context.Context, dsn string) (*EvalStore, error) {
	c, err := openConn(ctx, dsn, evalTrack)
	if err != nil {
		return nil, err
	}
	return &EvalStore{c}, nil
}

// CreateRun stores run and its cases in one transaction.
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
	ids, data := make([]string, len(cases)), make([]string, len(cases))
	for i, c := range cases {
		ids[i], data[i] = c.ID, string(c.Data)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `INSERT INTO eval_runs (id, suite, target, model, grader, repeats, params, status, started, cases)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
		run.ID, run.Suite, run.Target, run.Model, run.Grader, run.Repeats, string(params), run.Status, run.Started, len(cases))
	if err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create run %s: %w", run.ID, store.ErrExists)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO eval_cases (run_id, idx, case_id, data)
SELECT $1, u.n - 1, u.id, u.data FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(id, data, n)`, run.ID, ids, data); err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(ctx, "create run "+run.ID, err)
	}
	return nil
}

// appendResults inserts a batch of results given as arrays, those whose
// case the run has, skipping (case, repeat) pairs already stored, and
// returns the ones inserted.
const appendResults = `INSERT INTO eval_results (run_id, case_id, repeat, status, answer, error, grade, elapsed_us, time, cached, cache_key)
SELECT $1, u.case_id, u.repeat, u.status, u.answer, u.error, u.grade, u.elapsed_us, u.time, u.cached, u.cache_key
FROM unnest($2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::timestamptz[], $10::boolean[], $11::text[])
	AS u(case_id, repeat, status, answer, error, grade, elapsed_us, time, cached, cache_key)
JOIN eval_cases c ON c.run_id = $1 AND c.case_id = u.case_id
ON CONFLICT (run_id, case_id, repeat) DO NOTHING
RETURNING case_id, repeat, status`

// AppendResults stores rs in one transaction.
func (s *EvalStore) AppendResults(ctx context.Context, runID string, rs []store.EvalResult) (int, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	n := len(rs)
	caseIDs, statuses, answers, errs, cacheKeys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	repeats, elapsed, times, cached, grades := make([]int32, n), make([]int64, n), make([]time.Time, n), make([]bool, n), make([]*string, n)
	var cacheK, cacheA []string
	var cacheT []time.Time
	maxRepeat := -1
	for i, r := range rs {
		r, err := store.NormalizeResult(r)
		if err != nil {
			return 0, fmt.Errorf("append results of %s: %w", runID, err)
		}
		caseIDs[i], statuses[i], answers[i], errs[i], cacheKeys[i] = r.CaseID, r.Status, r.Answer, r.Error, r.CacheKey
		repeats[i], elapsed[i], times[i], cached[i] = int32(min(r.Repeat, store.MaxEvalRepeats)), r.Elapsed.Microseconds(), r.Time, r.Cached
		maxRepeat = max(maxRepeat, r.Repeat)
		if r.Grade != nil {
			g := string(r.Grade)
			grades[i] = &g
		}
		if r.CacheKey != "" && !r.Cached {
			cacheK, cacheA, cacheT = append(cacheK, r.CacheKey), append(cacheA, r.Answer), append(cacheT, r.Time)
		}
	}
	if !store.ValidID(runID) {
		return 0, fmt.Errorf("append results of %q: %w", runID, store.ErrNotFound)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	defer tx.Rollback(ctx)
	var runRepeats int
	err = tx.QueryRow(ctx, `SELECT repeats FROM eval_runs WHERE id = $1 FOR UPDATE`, runID).Scan(&runRepeats)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("append results of %q: %w", runID, store.ErrNotFound)
	}
	if err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	if maxRepeat >= runRepeats {
		return 0, fmt.Errorf("append results of %s: %w: repeat %d of a run of %d", runID, store.ErrInvalid, maxRepeat, runRepeats)
	}
	if n == 0 {
		return 0, nil
	}
	rows, err := tx.Query(ctx, appendResults, runID, caseIDs, repeats, statuses, answers, errs, grades, elapsed, times, cached, cacheKeys)
	if err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	type key struct {
		id string
		r  int
	}
	inserted := map[key]bool{}
	var counts [3]int
	for rows.Next() {
		var k key
		var status string
		if err := rows.Scan(&k.id, &k.r, &status); err != nil {
			rows.Close()
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
		inserted[k] = true
		switch status {
		case store.EvalPass:
			counts[0]++
		case store.EvalFail:
			counts[1]++
		default:
			counts[2]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	if len(inserted) < n {
		// Skipped rows are duplicates, or cases the run does not have.
		var missing []string
		if err := tx.QueryRow(ctx, `SELECT COALESCE(array_agg(u.id), '{}') FROM unnest($2::text[]) AS u(id)
WHERE NOT EXISTS (SELECT 1 FROM eval_cases c WHERE c.run_id = $1 AND c.case_id = u.id)`, runID, caseIDs).Scan(&missing); err != nil {
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
		if len(missing) > 0 {
			return 0, fmt.Errorf("append results of %s: %w: run has no case %q", runID, store.ErrInvalid, missing[0])
		}
	}
	if len(inserted) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE eval_runs SET passed = passed + $2, failed = failed + $3, unscored = unscored + $4 WHERE id = $1`,
			runID, counts[0], counts[1], counts[2]); err != nil {
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
	}
	if len(cacheK) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO eval_responses (key, answer, time)
SELECT DISTINCT ON (k) k, a, t FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(k, a, t)
ON CONFLICT (key) DO NOTHING`, cacheK, cacheA, cacheT); err != nil {
			return 0, s.fail(ctx, "append results of "+runID, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, s.fail(ctx, "append results of "+runID, err)
	}
	return len(inserted), nil
}

// FinishRun records how run id ended.
func (s *EvalStore) FinishRun(ctx context.Context, id, status string, at time.Time) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := store.CheckFinish(id, status); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE eval_runs SET status = $2, finished = $3 WHERE id = $1`,
		id, status, at.UTC().Truncate(store.TimePrecision))
	if err != nil {
		return s.fail(ctx, "finish run "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish run %q: %w", id, store.ErrNotFound)
	}
	return nil
}

const runColumns = `id, suite, target, model, grader, repeats, params, status, started, finished, cases, passed, failed, unscored`

func scanRun(row backend.Scanner) (store.EvalRun, error) {
	var r store.EvalRun
	var params string
	var finished *time.Time
	if err := row.Scan(&r.ID, &r.Suite, &r.Target, &r.Model, &r.Grader, &r.Repeats, &params, &r.Status, &r.Started, &finished,
		&r.Cases, &r.Passed, &r.Failed, &r.Unscored); err != nil {
		return store.EvalRun{}, err
	}
	r.Started = r.Started.UTC()
	if finished != nil {
		r.Finished = finished.UTC()
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
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM eval_runs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	a := backend.Args{Dollar: true}
	q := backend.RunsQuery(f, runColumns, "started", &a)
	out, err := query(ctx, s.conn, []store.EvalRun{}, scanRun, q, a.List...)
	if err != nil {
		return nil, s.fail(ctx, "list runs", err)
	}
	return out, nil
}

func (s *EvalStore) exists(ctx context.Context, op, id string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if !store.ValidID(id) {
		return fmt.Errorf("%s %q: %w", op, id, store.ErrNotFound)
	}
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM eval_runs WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", op, id, store.ErrNotFound)
	}
	if err != nil {
		return s.fail(ctx, op+" "+id, err)
	}
	return nil
}

// Cases yields the cases of run id in order.
func (s *EvalStore) Cases(ctx context.Context, id string) iter.Seq2[store.EvalCase, error] {
	return runSeq(ctx, s, "cases of", id, scanCase, `SELECT case_id, data FROM eval_cases WHERE run_id = $1 ORDER BY idx`)
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
	return runSeq(ctx, s, "results of", id, scanResult, `SELECT case_id, repeat, status, answer, error, grade, elapsed_us, time, cached, cache_key
FROM eval_results WHERE run_id = $1 ORDER BY case_id, repeat`)
}

func scanResult(sc backend.Scanner) (store.EvalResult, error) {
	var r store.EvalResult
	var grade *string
	var elapsed int64
	if err := sc.Scan(&r.CaseID, &r.Repeat, &r.Status, &r.Answer, &r.Error, &grade, &elapsed, &r.Time, &r.Cached, &r.CacheKey); err != nil {
		return r, err
	}
	if grade != nil {
		r.Grade = json.RawMessage(*grade)
	}
	r.Elapsed, r.Time = time.Duration(elapsed)*time.Microsecond, r.Time.UTC()
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
		rows, err := s.pool.Query(ctx, q, id)
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
	err := s.pool.QueryRow(ctx, `SELECT answer FROM eval_responses WHERE key = $1`, key).Scan(&answer)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("response %.16s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return "", s.fail(ctx, "response", err)
	}
	return answer, nil
}
