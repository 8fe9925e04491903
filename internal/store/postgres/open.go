package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// conn is what every store in this package keeps open: a connection pool
// and whether the store was closed.
type conn struct {
	state backend.State
	pool  *pgxpool.Pool
}

// openConn connects to the database at dsn (a postgres:// URL or
// key=value string; pgxpool's pool_max_conns and the like are honoured)
// and brings track t up to date. Its errors never show the password: pgx
// leaves it out of its own, and the DSN is not repeated.
func openConn(ctx context.Context, dsn string, t track) (*conn, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool, t); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &conn{pool: pool}, nil
}

// Close closes the pool; later calls return store.ErrClosed.
func (c *conn) Close() error {
	if !c.state.MarkClosed() {
		c.pool.Close()
	}
	return nil
}

// ready reports store.ErrClosed or the context's error before any work.
func (c *conn) ready(ctx context.Context) error { return c.state.Ready(ctx) }

// fail maps a database error of operation op (backend.State.Fail).
func (c *conn) fail(ctx context.Context, op string, err error) error {
	return c.state.Fail(ctx, op, err)
}

// tx runs fn in one transaction.
func (c *conn) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// query runs q on the pool and appends every row, scanned by scan, to out.
func query[T any](ctx context.Context, c *conn, out []T, scan func(backend.Scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := c.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return backend.AppendRows(out, rows, scan)
}

// existsIn returns an error wrapping store.ErrNotFound, naming what, unless
// q finds a row.
func existsIn(ctx context.Context, tx pgx.Tx, what, q string, args ...any) error {
	var one int
	err := tx.QueryRow(ctx, q, args...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}
