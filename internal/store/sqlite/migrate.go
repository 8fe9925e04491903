package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/modelspec/modelspec/internal/store"
)

// Each store keeps its own numbered list of migrations (a track) and
// its own table of applied versions, so the decision log, eval results,
// labels and feedback can share one database file and grow
// independently. track.migrations[i] brings the track from version i to
// i+1. Never edit one that has shipped: add the next.
type track struct {
	table      string // holds the versions applied, e.g. schema_migrations
	migrations []string
}

// decisionTrack is the decision log's schema.
var decisionTrack = track{table: "schema_migrations", migrations: migrations}

var migrations = []string{
	// 1: decision log.
	`CREATE TABLE decisions (
	id               TEXT PRIMARY KEY,
	version          INTEGER NOT NULL,
	time_us          INTEGER NOT NULL,  -- Unix microseconds, UTC
	app              TEXT NOT NULL,
	spec_name        TEXT NOT NULL,
	spec_version     TEXT NOT NULL,
	model            TEXT NOT NULL,
	upstream         TEXT NOT NULL,
	stream           INTEGER NOT NULL,  -- 0 or 1
	action           TEXT NOT NULL,
	clauses          TEXT NOT NULL,     -- JSON array of clause ids
	findings         TEXT NOT NULL,     -- JSON array of decisionlog.Finding (input)
	output           TEXT NOT NULL,     -- JSON array of decisionlog.Finding (output)
	overrides        TEXT NOT NULL,     -- JSON array of decisionlog.Override
	auth_ns          INTEGER NOT NULL,
	chain_ns         INTEGER NOT NULL,
	input_screen_ns  INTEGER NOT NULL,
	upstream_ns      INTEGER NOT NULL,
	output_screen_ns INTEGER NOT NULL,
	total_ns         INTEGER NOT NULL,
	status           INTEGER NOT NULL,
	error            TEXT NOT NULL
) STRICT;
CREATE INDEX decisions_time ON decisions (time_us, id);
CREATE INDEX decisions_app_time ON decisions (app, time_us, id);
CREATE INDEX decisions_action_time ON decisions (action, time_us, id);
-- One row per cited clause, for the clause filter in time order.
CREATE TABLE decision_clauses (
	clause      TEXT NOT NULL,
	time_us     INTEGER NOT NULL,
	decision_id TEXT NOT NULL,
	PRIMARY KEY (clause, time_us, decision_id)
) STRICT, WITHOUT ROWID;`,
	// 2: how many findings a record left out (decisionlog.MaxFindings).
	`ALTER TABLE decisions ADD COLUMN findings_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE decisions ADD COLUMN output_dropped INTEGER NOT NULL DEFAULT 0;`,
}

// migrate applies the track's migrations not yet applied, each in its
// own transaction (BEGIN IMMEDIATE, so two processes opening a new file
// at once take turns).
func migrate(ctx context.Context, db *sql.DB, t track) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+t.table+` (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL  -- Unix microseconds
) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for {
		done, err := step(ctx, db, t)
		if err != nil || done {
			return err
		}
	}
}

// step applies the next migration, if any.
func step(ctx context.Context, db *sql.DB, t track) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+t.table).Scan(&v); err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	switch {
	case v > len(t.migrations):
		return false, fmt.Errorf("%w: %s at version %d, this build knows %d", store.ErrSchemaTooNew, t.table, v, len(t.migrations))
	case v == len(t.migrations):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, t.migrations[v]); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", v+1, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+` (version, applied_at) VALUES (?, ?)`, v+1, time.Now().UnixMicro()); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", v+1, err)
	}
	return false, nil
}

// SchemaVersion is the decision log schema version this build migrates to.
func SchemaVersion() int { return len(decisionTrack.migrations) }
