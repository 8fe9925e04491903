package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// conn is what every store in this package keeps open: the file's path,
// one writer connection (all writes and migrations, BEGIN IMMEDIATE so
// that a transaction that reads then writes never fails half way on a
// lock another process took) and a pool of read-only connections. SQLite
// has one writer at a time, so one writer connection queues this
// process's writes in Go instead of spinning on the file lock; a lock
// held by another process is waited for (Options.BusyTimeout).
type conn struct {
	state backend.State
	path  string
	w     *sql.DB
	r     *sql.DB
}

// openConn opens (creating if needed) the file at path in WAL mode and
// brings track t up to date. sync is the store's synchronous setting when
// opts has none.
func openConn(ctx context.Context, path string, opts Options, sync string, t track) (*conn, error) {
	if opts.Synchronous == "" {
		opts.Synchronous = sync
	}
	if opts.Synchronous != Full && opts.Synchronous != Normal {
		return nil, fmt.Errorf("sqlite: synchronous %q: want %s or %s", opts.Synchronous, Full, Normal)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
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
	if err := retryBusy(ctx, opts.BusyTimeout, func() error { return checkWAL(ctx, w, path) }); err != nil {
		w.Close()
		return nil, err
	}
	if err := migrate(ctx, w, t); err != nil {
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
	return &conn{path: path, w: w, r: r}, nil
}

// retryBusy runs fn until it succeeds, fails other than with SQLITE_BUSY,
// or timeout passes. Connecting to a file that another connection is
// creating at the same moment (another process, or another store in this
// one) can get SQLITE_BUSY from the journal_mode pragma at once, without
// the wait busy_timeout gives every other statement (TestConcurrentOpen).
func retryBusy(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		var se interface{ Code() int }
		if err == nil || !errors.As(err, &se) || se.Code()&0xFF != sqliteBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sqliteBusy is SQLITE_BUSY, the primary result code (the low byte of an
// extended one).
const sqliteBusy = 5

// checkWAL makes sure the pragmas took: a file system without shared
// memory support would silently leave the journal in another mode.
func checkWAL(ctx context.Context, w *sql.DB, path string) error {
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open %s: journal_mode is %s, want wal", path, mode)
	}
	return nil
}

// Close closes the file; later calls return store.ErrClosed.
func (c *conn) Close() error {
	if c.state.MarkClosed() {
		return nil
	}
	return c.closeDBs()
}

func (c *conn) closeDBs() error { return errors.Join(c.r.Close(), c.w.Close()) }

// ready reports store.ErrClosed or the context's error before any work.
func (c *conn) ready(ctx context.Context) error { return c.state.Ready(ctx) }

// fail maps a database error of operation op (backend.State.Fail).
func (c *conn) fail(ctx context.Context, op string, err error) error {
	return c.state.Fail(ctx, op, err)
}

// tx runs fn in one write transaction.
func (c *conn) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// query runs q on db and appends every row, scanned by scan, to out.
func query[T any](ctx context.Context, db *sql.DB, out []T, scan func(backend.Scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return backend.AppendRows(out, rows, scan)
}

// existsIn returns an error wrapping store.ErrNotFound, naming what, unless
// q finds a row.
func existsIn(ctx context.Context, tx *sql.Tx, what, q string, args ...any) error {
	var one int
	err := tx.QueryRowContext(ctx, q, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}
