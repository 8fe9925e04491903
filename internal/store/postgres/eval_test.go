package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

func openEvalStore(t *testing.T, dsn string) *EvalStore {
	t.Helper()
	s, err := OpenEval(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEvalContract(t *testing.T) {
	storetest.RunEval(t, func(t *testing.T) store.EvalResults { return openEvalStore(t, schemaDSN(t)) })
}

// The eval store and the decision log share a schema, each with its own
// migration track; a newer eval schema is refused.
func TestEvalTrack(t *testing.T) {
	ctx := context.Background()
	d := schemaDSN(t)
	dl, err := Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	ev := openEvalStore(t, d)
	var v int
	if err := ev.pool.QueryRow(ctx, `SELECT MAX(version) FROM eval_migrations`).Scan(&v); err != nil || v != EvalSchemaVersion() {
		t.Fatalf("eval_migrations at %d (%v), want %d", v, err, EvalSchemaVersion())
	}
	if err := dl.pool.QueryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema_migrations at %d (%v), want %d", v, err, SchemaVersion())
	}
	if _, err := ev.pool.Exec(ctx, `INSERT INTO eval_migrations (version) VALUES ($1)`, EvalSchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenEval(ctx, d); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("open: %v, want ErrSchemaTooNew", err)
	}
}
