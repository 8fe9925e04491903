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
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
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
	// Readers is the number of read connections; default 4.
	Readers int
}

// Store is a store.DecisionLog in one SQLite file.
type Store struct {
	path string
	w    *sql.DB // one connection, used only by the writer goroutine and migrations
	r    *sql.DB // read-only connections for Get and Query

	ins     *sql.Stmt // insertDecision, prepared on w
	insC    *sql.Stmt // insertClause, prepared on w
	gc      *groupcommit.Committer[*item]
	commits atomic.Int64 // transactions committed
	closed  atomic.Bool
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
	if opts.Synchronous == "" {
		opts.Synchronous = Full
	}
	if opts.Synchronous != Full && opts.Synchronous != Normal {
		return nil, fmt.Errorf("sqlite: synchronous %q: want %s or %s", opts.Synchronous, Full, Normal)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// A file: URI, so that any byte of the path is escaped and none is
	// taken for a parameter.
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=synchronous(%s)", opts.BusyTimeout.Milliseconds(), opts.Synchronous)
	w, err := sql.Open("sqlite", uri+"?"+pragmas+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s := &Store{path: path, w: w}
	if err := s.check(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := migrate(ctx, w, decisionTrack); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if s.ins, err = w.PrepareContext(ctx, insertDecision); err == nil {
		s.insC, err = w.PrepareContext(ctx, insertClause)
	}
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", uri+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	s.r = r
	// One worker: SQLite has one writer at a time.
	s.gc = groupcommit.New(s.insert, 1, opts.MaxBatch)
	return s, nil
}

// check makes sure the pragmas took: a file system without shared memory
// support would silently leave the journal in another mode.
func (s *Store) check(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open %s: journal_mode is %s, want wal", s.path, mode)
	}
	return nil
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
	switch err := s.gc.Do(ctx, &item{rec: n, row: row}); {
	case err == nil, errors.Is(err, store.ErrExists), ctx.Err() != nil:
		return err
	case errors.Is(err, groupcommit.ErrClosed):
		return store.ErrClosed
	default:
		return fmt.Errorf("append %s: %w", n.ID, err)
	}
}

const insertDecision = `INSERT INTO decisions (` + columns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
	if s.closed.Load() {
		return decisionlog.Record{}, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return decisionlog.Record{}, err
	}
	if !store.ValidID(id) {
		return decisionlog.Record{}, fmt.Errorf("get %q: %w", id, store.ErrNotFound)
	}
	var rw row
	err := rw.scan(s.r.QueryRowContext(ctx, `SELECT `+columns+` FROM decisions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return decisionlog.Record{}, fmt.Errorf("get %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return decisionlog.Record{}, s.fail(ctx, "get "+id, err)
	}
	rec, err := rw.record()
	if err != nil {
		return decisionlog.Record{}, fmt.Errorf("get %s: %w", id, err)
	}
	return rec, nil
}

// Query returns the records matching f.
func (s *Store) Query(ctx context.Context, f store.Filter) ([]decisionlog.Record, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q, err := store.PrepareFilter(f)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	text, args := buildQuery(q)
	rows, err := s.r.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, s.fail(ctx, "query", err)
	}
	defer rows.Close()
	out := make([]decisionlog.Record, 0, min(q.Limit, 64))
	for rows.Next() {
		var rw row
		if err := rw.scan(rows); err != nil {
			return nil, s.fail(ctx, "query", err)
		}
		rec, err := rw.record()
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "query", err)
	}
	return out, nil
}

// buildQuery writes the SELECT for q. With a clause filter the query is
// driven by decision_clauses, whose primary key (clause, time_us,
// decision_id) gives the order, so a page costs a range scan of one index.
func buildQuery(q store.Query) (string, []any) {
	var b strings.Builder
	var where []string
	var args []any
	tcol, idcol := "d.time_us", "d.id"
	b.WriteString("SELECT " + prefixed("d.") + " FROM ")
	if q.Clause != "" {
		b.WriteString("decision_clauses c JOIN decisions d ON d.id = c.decision_id")
		tcol, idcol = "c.time_us", "c.decision_id"
		where, args = append(where, "c.clause = ?"), append(args, q.Clause)
	} else {
		b.WriteString("decisions d")
	}
	if q.App != "" {
		where, args = append(where, "d.app = ?"), append(args, q.App)
	}
	if q.Action != "" {
		where, args = append(where, "d.action = ?"), append(args, q.Action)
	}
	if q.HasSince {
		where, args = append(where, tcol+" >= ?"), append(args, q.SinceMicros)
	}
	if q.HasUntil {
		where, args = append(where, tcol+" < ?"), append(args, q.UntilMicros)
	}
	dir, cmp := "DESC", "<"
	if q.Order == store.Oldest {
		dir, cmp = "ASC", ">"
	}
	if q.After != nil {
		where = append(where, fmt.Sprintf("(%s, %s) %s (?, ?)", tcol, idcol, cmp))
		args = append(args, q.After.Micros, q.After.ID)
	}
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	fmt.Fprintf(&b, " ORDER BY %s %s, %s %s LIMIT ?", tcol, dir, idcol, dir)
	args = append(args, q.Limit)
	return b.String(), args
}

// fail maps a database error to ErrClosed when the store was closed while
// the call ran, and makes sure a context's error can be tested for.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Close waits for queued appends to commit and closes the database.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.gc.Close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// columns of decisions, in the order of row.args and row.scan.
const columns = `id, version, time_us, app, spec_name, spec_version, model, upstream, stream, action,
clauses, findings, output, overrides, auth_ns, chain_ns, input_screen_ns, upstream_ns, output_screen_ns, total_ns,
status, error`

func prefixed(p string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// row is a record as columns.
type row struct {
	id, app, specName, specVersion, model, upstream, action, errText string
	version, status                                                  int64
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
	}, nil
}

func (w *row) args() []any {
	return []any{w.id, w.version, w.timeUS, w.app, w.specName, w.specVersion, w.model, w.upstream, w.stream, w.action,
		w.clauses, w.findings, w.output, w.overrides, w.lat[0], w.lat[1], w.lat[2], w.lat[3], w.lat[4], w.lat[5],
		w.status, w.errText}
}

func (w *row) scan(sc interface{ Scan(...any) error }) error {
	return sc.Scan(&w.id, &w.version, &w.timeUS, &w.app, &w.specName, &w.specVersion, &w.model, &w.upstream, &w.stream, &w.action,
		&w.clauses, &w.findings, &w.output, &w.overrides, &w.lat[0], &w.lat[1], &w.lat[2], &w.lat[3], &w.lat[4], &w.lat[5],
		&w.status, &w.errText)
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
