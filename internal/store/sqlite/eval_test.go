package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

func openEval(tb testing.TB, path string) *EvalStore {
	tb.Helper()
	s, err := OpenEval(context.Background(), path, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestEvalContract(t *testing.T) {
	storetest.RunEval(t, func(t *testing.T) store.EvalResults {
		return openEval(t, filepath.Join(t.TempDir(), "eval.db"))
	})
}

// The eval store and the decision log share one file, each with its own
// migration track, in either order of opening.
func TestEvalSharesFileWithDecisionLog(t *testing.T) {
	ctx := context.Background()
	for _, evalFirst := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "modelspec.db")
		var ev *EvalStore
		if evalFirst {
			ev = openEval(t, path)
		}
		dl, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dl.Close() })
		if !evalFirst {
			ev = openEval(t, path)
		}
		if err := dl.Append(ctx, storetest.Full("d1", time.Now())); err != nil {
			t.Fatal(err)
		}
		run := store.EvalRun{ID: "r1", Repeats: 1, Started: time.Now()}
		if err := ev.CreateRun(ctx, run, nil); err != nil {
			t.Fatal(err)
		}
		var dv, evv int
		if err := ev.r.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&dv); err != nil {
			t.Fatal(err)
		}
		if err := ev.r.QueryRow(`SELECT MAX(version) FROM eval_migrations`).Scan(&evv); err != nil {
			t.Fatal(err)
		}
		if dv != SchemaVersion() || evv != EvalSchemaVersion() {
			t.Errorf("versions %d %d, want %d %d", dv, evv, SchemaVersion(), EvalSchemaVersion())
		}
		ev.Close()
		// Reopened: nothing to migrate, the run is there.
		ev = openEval(t, path)
		if _, err := ev.GetRun(ctx, "r1"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEvalSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eval.db")
	s := openEval(t, path)
	if _, err := s.w.Exec(`INSERT INTO eval_migrations (version, applied_at) VALUES (?, 0)`, EvalSchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenEval(context.Background(), path, Options{}); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("open: %v, want ErrSchemaTooNew", err)
	}
}
