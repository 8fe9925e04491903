// Package backend holds what the sqlite and postgres backends share and
// what depends on neither driver: a store's closed state and how a driver
// error becomes the store's, collecting scanned rows, and reading a JSON
// column.
//
// The boundary: it imports neither database/sql nor a driver. Both
// drivers' result sets (*sql.Rows, pgx.Rows) satisfy Rows, and their single
// rows (*sql.Row, pgx.Row) satisfy Scanner.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/groupcommit"
)

// State is whether a store was closed. The zero value is open.
type State struct{ closed atomic.Bool }

// Ready returns store.ErrClosed after Close, else the context's error:
// what every call checks before any work.
func (s *State) Ready(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// Closed reports whether MarkClosed was called.
func (s *State) Closed() bool { return s.closed.Load() }

// MarkClosed marks the store closed and reports whether it already was,
// so that a store's Close releases its connections once.
func (s *State) MarkClosed() (already bool) { return s.closed.Swap(true) }

// Fail wraps err, which operation op met, for the caller: store.ErrClosed
// when the store was closed while the call ran (the driver's own "closed"
// error means nothing to a caller); the store's sentinels as they are,
// after op; and a context's error testable with errors.Is even when the
// driver reported the cancellation in words of its own.
func (s *State) Fail(ctx context.Context, op string, err error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Wrap is the feedback stores' mapping, which keeps the store's sentinels
// and a context's error unwrapped (their messages are shown to people as
// they are): nil stays nil, store.ErrClosed after Close, anything else
// "op: err".
func (s *State) Wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrInvalid),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case s.closed.Load():
		return store.ErrClosed
	}
	return fmt.Errorf("%s: %w", op, err)
}

// CommitError is what Append returns for err, the outcome of its group
// commit (internal/groupcommit): nil, the record's own ErrExists, or the
// caller's context error as they are; ErrClosed when the committer was
// closed; anything else wrapped with the record's id.
func CommitError(ctx context.Context, id string, err error) error {
	switch {
	case err == nil, errors.Is(err, store.ErrExists), ctx.Err() != nil:
		return err
	case errors.Is(err, groupcommit.ErrClosed):
		return store.ErrClosed
	}
	return fmt.Errorf("append %s: %w", id, err)
}

// Scanner is one row to scan.
type Scanner interface{ Scan(dest ...any) error }

// Rows is a result set; the caller closes it (the two drivers' Close
// differ).
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// AppendRows scans every row of rows with scan and appends it to out; pass
// an empty slice for an answer that is never nil.
func AppendRows[T any](out []T, rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	err := Each(rows, scan, func(v T) bool {
		out = append(out, v)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each scans the rows of rows one by one and hands each to yield until it
// returns false. It returns the first scan or iteration error.
func Each[T any](rows Rows, scan func(Scanner) (T, error), yield func(T) bool) error {
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if !yield(v) {
			return nil
		}
	}
	return rows.Err()
}

// JSONColumn returns a scan function for rows of one JSON column that
// holds a what (a task, a label): stored whole, read whole.
func JSONColumn[T any](what string) func(Scanner) (T, error) {
	return func(sc Scanner) (T, error) {
		var v T
		var data []byte
		if err := sc.Scan(&data); err != nil {
			return v, err
		}
		if err := json.Unmarshal(data, &v); err != nil {
			return v, fmt.Errorf("stored %s: %w", what, err)
		}
		return v, nil
	}
}
