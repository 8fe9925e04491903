package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

func TestLabelsContract(t *testing.T) {
	storetest.RunLabels(t, func(t *testing.T) store.Labels {
		s, err := OpenLabels(context.Background(), filepath.Join(t.TempDir(), "labels.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// The label track lives beside the decision log in one file, each with its
// own migrations.
func TestLabelsShareFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "modelspec.db")
	d, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l, err := OpenLabels(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var v int
	if err := l.r.QueryRowContext(ctx, `SELECT MAX(version) FROM label_migrations`).Scan(&v); err != nil || v != LabelSchemaVersion() {
		t.Errorf("label_migrations at %d, %v; want %d", v, err, LabelSchemaVersion())
	}
	l.Close()
	// Reopening migrates nothing and fails nothing.
	if l, err = OpenLabels(ctx, path, Options{}); err != nil {
		t.Fatal(err)
	}
	// A database from a newer build is refused.
	if _, err := l.w.ExecContext(ctx, `INSERT INTO label_migrations (version, applied_at) VALUES (?, 0)`, LabelSchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := OpenLabels(ctx, path, Options{}); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("open: %v, want ErrSchemaTooNew", err)
	}
}
