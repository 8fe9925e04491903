package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/modelspec/modelspec/internal/store"
)

// Each store keeps its own numbered list of migrations (a track) and
// its own table of applied versions, so the decision log, eval results,
// labels and feedback can share one database and grow independently.
// track.migrations[i] brings the track from version i to i+1. Never edit
// one that has shipped: add the next.
type track struct {
	table      string // holds the versions applied, e.g. schema_migrations
	lock       int64  // advisory lock key, one per track
	migrations []string
}

// decisionTrack is the decision log's schema.
var decisionTrack = track{table: "schema_migrations", lock: lockKey, migrations: migrations}

var migrations = []string{
	// 1: decision log.
	`CREATE TABLE decisions (
	id               text COLLATE "C" PRIMARY KEY,
	version          integer NOT NULL,
	time             timestamptz NOT NULL,
	app              text NOT NULL,
	spec_name        text NOT NULL,
	spec_version     text NOT NULL,
	model            text NOT NULL,
	upstream         text NOT NULL,
	stream           boolean NOT NULL,
	action           text NOT NULL,
	clauses          text[] NOT NULL,
	findings         jsonb NOT NULL,
	output           jsonb NOT NULL,
	overrides        jsonb NOT NULL,
	auth_ns          bigint NOT NULL,
	chain_ns         bigint NOT NULL,
	input_screen_ns  bigint NOT NULL,
	upstream_ns      bigint NOT NULL,
	output_screen_ns bigint NOT NULL,
	total_ns         bigint NOT NULL,
	status           integer NOT NULL,
	error            text NOT NULL
);
CREATE INDEX decisions_time ON decisions (time, id);
CREATE INDEX decisions_app_time ON decisions (app, time, id);
CREATE INDEX decisions_action_time ON decisions (action, time, id);
CREATE TABLE decision_clauses (
	clause      text NOT NULL,
	time        timestamptz NOT NULL,
	decision_id text COLLATE "C" NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
	PRIMARY KEY (clause, time, decision_id)
);
CREATE INDEX decision_clauses_decision ON decision_clauses (decision_id);`,
	// 2: how many findings a record left out (decisionlog.MaxFindings).
	`ALTER TABLE decisions ADD COLUMN findings_dropped integer NOT NULL DEFAULT 0,
	ADD COLUMN output_dropped integer NOT NULL DEFAULT 0;`,
}

// lockKey is the advisory lock held while migrating: "modelspe" in ASCII.
const lockKey = 0x6d6f64656c737065

// migrate applies the migrations not yet applied, all in one transaction
// (PostgreSQL's DDL is transactional) under an advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool, t track) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, t.lock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+t.table+` (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var v int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+t.table).Scan(&v); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if v > len(t.migrations) {
		return fmt.Errorf("%w: %s at version %d, this build knows %d", store.ErrSchemaTooNew, t.table, v, len(t.migrations))
	}
	for ; v < len(t.migrations); v++ {
		if _, err := tx.Exec(ctx, t.migrations[v]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+t.table+` (version) VALUES ($1)`, v+1); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int { return len(decisionTrack.migrations) }
