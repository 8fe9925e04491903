// Package sqlite is the embedded decision log: one SQLite file through
// modernc.org/sqlite (pure Go, no cgo), in WAL mode.
//
// Durability: Append returns after its transaction commits. In WAL mode a
// commit is a write(2) of the WAL frames, so once it returns the record is
// in the operating system's cache and survives a killed process (kill -9)
// under any synchronous setting but OFF. synchronous=FULL (the default
// here) also fsyncs the WAL on every commit, so a committed record survives
// a power loss or kernel crash too; NORMAL (Options.Synchronous) skips that
// fsync and may lose the last commits on power loss, never on a process
// kill. FULL is the default because the decision log is an audit trail; its
// cost is paid once per batch, not per record: appends from concurrent
// requests are grouped into one transaction by a single writer goroutine
// (group commit, internal/store/internal/groupcommit), and each Append returns when its batch has committed.
//
// Layout: a decisions table with one row per record, the filterable fields
// (app, action, time) as indexed columns, latencies as integer columns (so
// SQL can aggregate them), and clauses, findings and overrides as JSON
// text. Findings and overrides are JSON, not child tables, because they are
// always written and read whole with their record and never filtered on:
// a child table would cost one insert per finding (thousands for a long
// conversation) and a join per read. Clauses are the one list a filter
// needs, so each (clause, time, id) is also a row of decision_clauses,
// whose primary key serves "records citing X, newest first" in index
// order. Times are integer Unix microseconds (store.TimePrecision), exact
// and sortable.
//
// Migrations are numbered; schema_migrations holds the versions applied.
// A database migrated by a newer build is refused (store.ErrSchemaTooNew).
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
	"github.com/modelspec/modelspec/internal/store/internal/groupcommit"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Synchronous settings (PRAGMA synchronous).
const (
	Full   = "FULL"   // fsync the WAL at every commit: survives power loss (default)
	Normal = "NORMAL" // no fsync at commit: survives a killed process, not a power loss
)

// Options tune a Store. The zero value is the default.
type Options struct {
	// Synchronous is Full (default) or Normal.
	Synchronous string
	// BusyTimeout is how long a statement waits for a lock that another
	// process holds (another gateway or a `modelspec logs` on the same
	// file) before failing; default 5s.
	BusyTimeout time.Duration
	// MaxBatch bounds how many appends one transaction commits; default 256.
	MaxBatch int
	// CommitWindow is how long the writer gathers appends into one
	// transaction after the first arrives (0: it commits what is queued at
	// once). Appends that come one at a time then share a commit and its
	// fsync; each Append returns up to the window later.
	CommitWindow time.Duration
	// Readers is the number of read connections; default 4.
	Readers int
}

// Store is a store.DecisionLog in one SQLite file.
type Store struct {
	*conn // w is used only by the writer goroutine and migrations

	ins     *sql.Stmt // insertDecision, prepared on w
	insC    *sql.Stmt // insertClause, prepared on w
	gc      *groupcommit.Committer[*item]
	commits atomic.Int64 // transactions committed
}

var _ store.DecisionLog = (*Store)(nil)

// item is a record on its way to the database.
type item struct {
	rec decisionlog.Record
	row row
}

// Open opens (creating if needed) the decision log at path and migrates it
// to the current schema.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	c, err := openConn(ctx, path, opts, Full, decisionTrack)
	if err != nil {
		return nil, err
	}
	s := &Store{conn: c}
	if s.ins, err = c.w.PrepareContext(ctx, insertDecision); err == nil {
		s.insC, err = c.w.PrepareContext(ctx, insertClause)
	}
	if err != nil {
		c.closeDBs()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	// One worker: SQLite has one writer at a time.
	s.gc = groupcommit.New(s.insert, 1, opts.MaxBatch, opts.CommitWindow)
	return s, nil
}

// Append stores r once its batch has committed.
func (s *Store) Append(ctx context.Context, r decisionlog.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := store.Normalize(r)
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	row, err := toRow(n)
	if err != nil {
		return fmt.Errorf("append %s: %w", r.ID, err)
	}
	return backend.CommitError(ctx, n.ID, s.gc.Do(ctx, &item{rec: n, row: row}))
}

const insertDecision = `INSERT INTO decisions (` + columns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`

const insertClause = `INSERT INTO decision_clauses (clause, time_us, decision_id) VALUES (?, ?, ?)
ON CONFLICT DO NOTHING`

// insert writes items in one transaction; results[i] is nil or ErrExists
// for items[i].
func (s *Store) insert(items []*item) (results []error, err error) {
	ctx := context.Background() // the batch outlives any one caller
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	dec, cl := tx.StmtContext(ctx, s.ins), tx.StmtContext(ctx, s.insC)
	results = make([]error, len(items))
	for i, req := range items {
		res, err := dec.ExecContext(ctx, req.row.args()...)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 0 {
			results[i] = fmt.Errorf("append %s: %w", req.rec.ID, store.ErrExists)
			continue
		}
		for _, c := range req.rec.Clauses {
			if _, err := cl.ExecContext(ctx, c, req.row.timeUS, req.rec.ID); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s.commits.Add(1)
	return results, nil
}

// Get returns the record with the given id.
func (s *Store) Get(ctx context.Context, id string) (decisionlog.Record, error) {
	if err := s.ready(ctx); err != nil {
		return decisionlog.Record{}, err
	}
	if !store.ValidID(id) {
		return decisionlog.Record{}, fmt.Errorf("get %q: %w", id, store.ErrNotFound)
	}
	rec, err := scanRecord(s.r.QueryRowContext(ctx, `SELECT `+columns+` FROM decisions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return decisionlog.Record{}, fmt.Errorf("get %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return decisionlog.Record{}, s.fail(ctx, "get "+id, err)
	}
	return rec, nil
}

// Query returns the records matching f.
func (s *Store) Query(ctx context.Context, f store.Filter) ([]decisionlog.Record, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	q, err := store.PrepareFilter(f)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	text, args := buildQuery(q)
	out, err := query(ctx, s.r, make([]decisionlog.Record, 0, min(q.Limit, 64)), scanRecord, text, args...)
	if err != nil {
		return nil, s.fail(ctx, "query", err)
	}
	return out, nil
}

// buildQuery writes the SELECT for q (backend.DecisionQuery); times are
// Unix microseconds.
func buildQuery(q store.Query) (string, []any) {
	a := backend.Args{HasCategory: hasCategory}
	text := backend.DecisionQuery(q, columns, "time_us", func(us int64) any { return us }, &a)
	return text, a.List
}

// hasCategory is the condition that the JSON array of findings col holds
// one of the category at placeholder ph (SQLite's JSON functions).
func hasCategory(col, ph string) string {
	return "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE json_extract(json_each.value, '$.category') = " + ph + ")"
}

// Close waits for queued appends to commit and closes the database.
func (s *Store) Close() error {
	if s.state.MarkClosed() {
		return nil
	}
	s.gc.Close()
	return s.closeDBs()
}

// columns of decisions, in the order of row.args and row.scan.
const columns = `id, version, time_us, app, spec_name, spec_version, model, upstream, stream, action,
clauses, findings, output, overrides, auth_ns, chain_ns, input_screen_ns, upstream_ns, output_screen_ns, total_ns,
status, error, findings_dropped, output_dropped`

// scanRecord reads a row of decisions.
func scanRecord(sc backend.Scanner) (decisionlog.Record, error) {
	var rw row
	if err := rw.scan(sc); err != nil {
		return decisionlog.Record{}, err
	}
	return rw.record()
}

// row is a record as columns.
type row struct {
	id, app, specName, specVersion, model, upstream, action, errText string
	version, status, findingsDropped, outputDropped                  int64
	timeUS                                                           int64
	stream                                                           int64
	clauses, findings, output, overrides                             string
	lat                                                              [6]int64
}

func toRow(r decisionlog.Record) (row, error) {
	clauses, err1 := json.Marshal(r.Clauses)
	findings, err2 := json.Marshal(r.Findings)
	output, err3 := json.Marshal(r.Output)
	overrides, err4 := json.Marshal(r.Overrides)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return row{}, err
	}
	var stream int64
	if r.Stream {
		stream = 1
	}
	l := r.Latencies
	return row{
		id: r.ID, version: int64(r.Version), timeUS: r.Time.UnixMicro(), app: r.App,
		specName: r.SpecName, specVersion: r.SpecVersion, model: r.Model, upstream: r.Upstream,
		stream: stream, action: r.Action,
		clauses: string(clauses), findings: string(findings), output: string(output), overrides: string(overrides),
		lat:    [6]int64{int64(l.Auth), int64(l.Chain), int64(l.InputScreen), int64(l.Upstream), int64(l.OutputScreen), int64(l.Total)},
		status: int64(r.Status), errText: r.Error,
		findingsDropped: int64(r.FindingsDropped), outputDropped: int64(r.OutputDropped),
	}, nil
}

func (w *row) args() []any {
	return []any{w.id, w.version, w.timeUS, w.app, w.specName, w.specVersion, w.model, w.upstream, w.stream, w.action,
		w.clauses, w.findings, w.output, w.overrides, w.lat[0], w.lat[1], w.lat[2], w.lat[3], w.lat[4], w.lat[5],
		w.status, w.errText, w.findingsDropped, w.outputDropped}
}

func (w *row) scan(sc backend.Scanner) error {
	return sc.Scan(&w.id, &w.version, &w.timeUS, &w.app, &w.specName, &w.specVersion, &w.model, &w.upstream, &w.stream, &w.action,
		&w.clauses, &w.findings, &w.output, &w.overrides, &w.lat[0], &w.lat[1], &w.lat[2], &w.lat[3], &w.lat[4], &w.lat[5],
		&w.status, &w.errText, &w.findingsDropped, &w.outputDropped)
}

func (w *row) record() (decisionlog.Record, error) {
	r := decisionlog.Record{
		Version: int(w.version), ID: w.id, Time: time.UnixMicro(w.timeUS).UTC(), App: w.app,
		SpecName: w.specName, SpecVersion: w.specVersion, Model: w.model, Upstream: w.upstream,
		Stream: w.stream != 0, Action: w.action,
		Latencies: decisionlog.Latencies{Auth: time.Duration(w.lat[0]), Chain: time.Duration(w.lat[1]),
			InputScreen: time.Duration(w.lat[2]), Upstream: time.Duration(w.lat[3]),
			OutputScreen: time.Duration(w.lat[4]), Total: time.Duration(w.lat[5])},
		Status: int(w.status), Error: w.errText,
		FindingsDropped: int(w.findingsDropped), OutputDropped: int(w.outputDropped),
	}
	if err := errors.Join(
		json.Unmarshal([]byte(w.clauses), &r.Clauses),
		json.Unmarshal([]byte(w.findings), &r.Findings),
		json.Unmarshal([]byte(w.output), &r.Output),
		json.Unmarshal([]byte(w.overrides), &r.Overrides),
	); err != nil {
		return decisionlog.Record{}, fmt.Errorf("record %s: decode: %w", w.id, err)
	}
	return r, nil
}
