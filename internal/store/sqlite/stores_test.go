package sqlite

import (
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"testing"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

// openStore opens a store of this package at path (Open, OpenEval,
// OpenLabels, OpenFeedback) and closes it when the test ends.
func openStore[S io.Closer](tb testing.TB, open func(context.Context, string, Options) (S, error), path string, opts Options) S {
	tb.Helper()
	s, err := open(context.Background(), path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func tempDB(tb testing.TB) string { return filepath.Join(tb.TempDir(), "modelspec.db") }

func TestEvalContract(t *testing.T) {
	storetest.RunEval(t, func(t *testing.T) store.EvalResults { return openStore(t, OpenEval, tempDB(t), Options{}) })
}

func TestLabelsContract(t *testing.T) {
	storetest.RunLabels(t, func(t *testing.T) store.Labels { return openStore(t, OpenLabels, tempDB(t), Options{}) })
}

func TestFeedbackContract(t *testing.T) {
	storetest.RunFeedback(t, func(t *testing.T) store.Feedback { return openStore(t, OpenFeedback, tempDB(t), Options{}) })
}

// TestTracks: each store lives in the decision log's file with a
// migration track of its own (storetest.RunBeside).
func TestTracks(t *testing.T) {
	ctx := context.Background()
	for _, ts := range []struct {
		track track
		open  func(path string) (io.Closer, error)
	}{
		{evalTrack, func(path string) (io.Closer, error) { return OpenEval(ctx, path, Options{}) }},
		{labelTrack, func(path string) (io.Closer, error) { return OpenLabels(ctx, path, Options{}) }},
		{feedbackTrack, func(path string) (io.Closer, error) { return OpenFeedback(ctx, path, Options{}) }},
	} {
		t.Run(ts.track.table, func(t *testing.T) {
			storetest.RunBeside(t, func(t *testing.T) storetest.Beside {
				path := tempDB(t)
				return storetest.Beside{
					OpenLog:   func() (store.DecisionLog, error) { return Open(ctx, path, Options{}) },
					OpenStore: func() (io.Closer, error) { return ts.open(path) },
					Versions: func() (log, own int, err error) {
						err = rawDB(t, path).QueryRowContext(ctx, `SELECT (SELECT MAX(version) FROM schema_migrations), (SELECT MAX(version) FROM `+ts.track.table+`)`).Scan(&log, &own)
						return log, own, err
					},
					Bump: func() error {
						_, err := rawDB(t, path).ExecContext(ctx, `INSERT INTO `+ts.track.table+` (version, applied_at) VALUES (?, 0)`, len(ts.track.migrations)+1)
						return err
					},
					LogVersion: SchemaVersion(), StoreVersion: len(ts.track.migrations),
				}
			})
		})
	}
}

// rawDB is a plain connection to the file at path, closed when the test
// ends.
func rawDB(t *testing.T, path string) *sql.DB {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
