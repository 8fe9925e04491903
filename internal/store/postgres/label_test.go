package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

func openLabelStore(t *testing.T, dsn string) *LabelStore {
	t.Helper()
	s, err := OpenLabels(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLabelsContract(t *testing.T) {
	storetest.RunLabels(t, func(t *testing.T) store.Labels { return openLabelStore(t, schemaDSN(t)) })
}

// The label track migrates beside the decision log, and a database from a
// newer build is refused.
func TestLabelTrack(t *testing.T) {
	ctx := context.Background()
	d := schemaDSN(t)
	dl, err := Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	ls := openLabelStore(t, d)
	var v int
	if err := ls.pool.QueryRow(ctx, `SELECT MAX(version) FROM label_migrations`).Scan(&v); err != nil || v != LabelSchemaVersion() {
		t.Fatalf("label_migrations at %d (%v), want %d", v, err, LabelSchemaVersion())
	}
	if _, err := ls.pool.Exec(ctx, `INSERT INTO label_migrations (version) VALUES ($1)`, LabelSchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLabels(ctx, d); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("open: %v, want ErrSchemaTooNew", err)
	}
}
