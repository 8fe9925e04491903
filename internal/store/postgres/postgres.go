// Package postgres is the decision log in PostgreSQL, through
// github.com/jackc/pgx/v5 and its pool, for gateways that run as more than
// one process or on more than one machine.
//
// The schema is the SQLite backend's in PostgreSQL types: timestamptz
// (microseconds) for the time, text[] for the cited clauses, jsonb for
// findings and overrides (always read whole with their record; jsonb keeps
// them queryable by hand), bigint nanoseconds for latencies, and a
// decision_clauses table keyed (clause, time, decision_id) for the clause
// filter in time order. Ids are text COLLATE "C", so that ties in time are
// ordered by bytes whatever the database's locale, as in SQLite.
//
// Appends are group-committed: concurrent appends are queued and written
// by a few workers, each batch as one transaction sent in one round trip
// (BEGIN, one statement per record inserting it and its clause rows,
// COMMIT, pipelined), so one commit and one WAL flush serve the whole
// batch. An Append returns once its batch has committed, so a record is as
// durable as the server's synchronous_commit makes a commit. A lone append
// is one statement in an implicit transaction.
//
// The schema goes in the first schema of the connection's search_path; put
// search_path=NAME in the DSN to use another than public. Migrations are
// numbered in schema_migrations and applied under an advisory lock, so
// replicas starting together take turns.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
	"github.com/modelspec/modelspec/internal/store/internal/groupcommit"
)

// Options tune a Store. The zero value is the default.
type Options struct {
	// Workers is the number of transactions in flight at once; default
	// half the pool's connections (pool_max_conns in the DSN), at least 1.
	Workers int
	// MaxBatch bounds the records of one transaction; default 256.
	MaxBatch int
	// CommitTimeout bounds one batch's round trip and commit; default 30s.
	CommitTimeout time.Duration
	// CommitWindow is how long a worker gathers appends into one
	// transaction after the first arrives (0: it commits what is queued at
	// once), so that appends that come one at a time share a round trip.
	CommitWindow time.Duration
}

// Store is a store.DecisionLog in PostgreSQL.
type Store struct {
	*conn
	gc      *groupcommit.Committer[*item]
	timeout time.Duration
	commits atomic.Int64
}

// item is a record on its way to the database, as statement arguments.
type item struct {
	id   string
	args []any
}

var _ store.DecisionLog = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; pgxpool's pool_max_conns and the like are honoured) and migrates
// it to the current schema, with the default Options.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, opts Options) (*Store, error) {
	c, err := openConn(ctx, dsn, decisionTrack)
	if err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = max(1, int(c.pool.Config().MaxConns)/2)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 30 * time.Second
	}
	s := &Store{conn: c, timeout: opts.CommitTimeout}
	s.gc = groupcommit.New(s.insert, opts.Workers, opts.MaxBatch, opts.CommitWindow)
	return s, nil
}

// appendSQL inserts the record and, if it was new, its clause rows; it
// returns 1 for a new record and 0 for an id already stored.
const appendSQL = `WITH d AS (
	INSERT INTO decisions (` + columns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14::jsonb, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
	ON CONFLICT (id) DO NOTHING
	RETURNING id, time
), c AS (
	INSERT INTO decision_clauses (clause, time, decision_id)
	SELECT DISTINCT x, d.time, d.id FROM d, unnest($11::text[]) AS x
)
SELECT count(*) FROM d`

// Append stores r once the server has committed it.
func (s *Store) Append(ctx context.Context, r decisionlog.Record) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	n, err := store.Normalize(r)
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	findings, err1 := json.Marshal(n.Findings)
	output, err2 := json.Marshal(n.Output)
	overrides, err3 := json.Marshal(n.Overrides)
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("append %s: %w", n.ID, err)
	}
	l := n.Latencies
	it := &item{id: n.ID, args: []any{
		n.ID, n.Version, n.Time, n.App, n.SpecName, n.SpecVersion, n.Model, n.Upstream, n.Stream, n.Action,
		n.Clauses, string(findings), string(output), string(overrides),
		int64(l.Auth), int64(l.Chain), int64(l.InputScreen), int64(l.Upstream), int64(l.OutputScreen), int64(l.Total),
		n.Status, n.Error, n.FindingsDropped, n.OutputDropped,
	}}
	return backend.CommitError(ctx, n.ID, s.gc.Do(ctx, it))
}

// insert writes items in one transaction; results[i] is nil or ErrExists
// for items[i].
func (s *Store) insert(items []*item) ([]error, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout) // the batch outlives any one caller
	defer cancel()
	results := make([]error, len(items))
	inserted := make([]int, len(items))
	if len(items) == 1 {
		if err := s.pool.QueryRow(ctx, appendSQL, items[0].args...).Scan(&inserted[0]); err != nil {
			return nil, err
		}
	} else {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		for _, it := range items {
			b.Queue(appendSQL, it.args...)
		}
		b.Queue("COMMIT")
		br := s.pool.SendBatch(ctx, b)
		_, err := br.Exec()
		for i := 0; err == nil && i < len(items); i++ {
			err = br.QueryRow().Scan(&inserted[i])
		}
		if err == nil {
			var tag pgconn.CommandTag
			if tag, err = br.Exec(); err == nil && tag.String() != "COMMIT" {
				err = fmt.Errorf("commit answered %q", tag)
			}
		}
		if err = errors.Join(err, br.Close()); err != nil {
			return nil, err
		}
	}
	s.commits.Add(1)
	for i, n := range inserted {
		if n == 0 {
			results[i] = fmt.Errorf("append %s: %w", items[i].id, store.ErrExists)
		}
	}
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
	rec, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM decisions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	out, err := query(ctx, s.conn, make([]decisionlog.Record, 0, min(q.Limit, 64)), scan, text, args...)
	if err != nil {
		return nil, s.fail(ctx, "query", err)
	}
	return out, nil
}

// buildQuery writes the SELECT for q (backend.DecisionQuery), the same
// as the SQLite backend's.
func buildQuery(q store.Query) (string, []any) {
	a := backend.Args{Dollar: true, HasCategory: hasCategory}
	text := backend.DecisionQuery(q, columns, "time", func(us int64) any { return time.UnixMicro(us).UTC() }, &a)
	return text, a.List
}

// hasCategory is the condition that the jsonb array of findings col holds
// one of the category at placeholder ph (containment, which a GIN index
// could serve).
func hasCategory(col, ph string) string {
	return col + " @> jsonb_build_array(jsonb_build_object('category', " + ph + "::text))"
}

// Close waits for queued appends to commit and closes the pool.
func (s *Store) Close() error {
	if s.state.MarkClosed() {
		return nil
	}
	s.gc.Close()
	s.pool.Close()
	return nil
}

// columns of decisions, in the order of Append's arguments and scan.
const columns = `id, version, time, app, spec_name, spec_version, model, upstream, stream, action,
clauses, findings, output, overrides, auth_ns, chain_ns, input_screen_ns, upstream_ns, output_screen_ns, total_ns,
status, error, findings_dropped, output_dropped`

func scan(row backend.Scanner) (decisionlog.Record, error) {
	var r decisionlog.Record
	var findings, output, overrides []byte
	var lat [6]int64
	err := row.Scan(&r.ID, &r.Version, &r.Time, &r.App, &r.SpecName, &r.SpecVersion, &r.Model, &r.Upstream, &r.Stream, &r.Action,
		&r.Clauses, &findings, &output, &overrides, &lat[0], &lat[1], &lat[2], &lat[3], &lat[4], &lat[5],
		&r.Status, &r.Error, &r.FindingsDropped, &r.OutputDropped)
	if err != nil {
		return decisionlog.Record{}, err
	}
	r.Time = r.Time.UTC()
	if r.Clauses == nil {
		r.Clauses = []string{}
	}
	r.Latencies = decisionlog.Latencies{Auth: time.Duration(lat[0]), Chain: time.Duration(lat[1]),
		InputScreen: time.Duration(lat[2]), Upstream: time.Duration(lat[3]),
		OutputScreen: time.Duration(lat[4]), Total: time.Duration(lat[5])}
	if err := errors.Join(json.Unmarshal(findings, &r.Findings), json.Unmarshal(output, &r.Output),
		json.Unmarshal(overrides, &r.Overrides)); err != nil {
		return decisionlog.Record{}, fmt.Errorf("record %s: decode: %w", r.ID, err)
	}
	return r, nil
}
