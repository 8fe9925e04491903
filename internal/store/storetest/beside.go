package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/store"
)

// Beside is one database (a SQLite file, a PostgreSQL schema) shared by
// the decision log and another store, each with its own migration track,
// as RunBeside sees it through the backend.
type Beside struct {
	// OpenLog opens the decision log on the database, OpenStore the other
	// store (a store.EvalResults, store.Labels or store.Feedback); each
	// call opens anew.
	OpenLog   func() (store.DecisionLog, error)
	OpenStore func() (io.Closer, error)
	// Versions returns the highest version recorded in the decision log's
	// track and in the store's.
	Versions func() (log, own int, err error)
	// Bump records the store's track one version past what this build
	// knows, as a newer build would.
	Bump func() error
	// LogVersion and StoreVersion are the versions this build migrates to.
	LogVersion, StoreVersion int
}

// RunBeside checks the migration tracks: the store and the decision log
// share one database, opened in either order, each at its own version; a
// reopen migrates nothing and keeps the data; a database that a newer
// build migrated is refused with ErrSchemaTooNew. fresh returns a new,
// empty database each call.
func RunBeside(t *testing.T, fresh func(t *testing.T) Beside) {
	for _, storeFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("storeFirst=%v", storeFirst), func(t *testing.T) {
			ctx := context.Background()
			db := fresh(t)
			var s io.Closer
			reopen := func() {
				t.Helper()
				var err error
				if s, err = db.OpenStore(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
			}
			if storeFirst {
				reopen()
			}
			dl, err := db.OpenLog()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dl.Close() })
			if !storeFirst {
				reopen()
			}
			if err := dl.Append(ctx, Full("d1", time.Now())); err != nil {
				t.Fatal(err)
			}
			check := persist(t, s)
			if log, own, err := db.Versions(); err != nil || log != db.LogVersion || own != db.StoreVersion {
				t.Errorf("versions %d %d (%v), want %d %d", log, own, err, db.LogVersion, db.StoreVersion)
			}
			s.Close()
			reopen()
			check(t, s)
			s.Close()
			if err := db.Bump(); err != nil {
				t.Fatal(err)
			}
			if _, err := db.OpenStore(); !errors.Is(err, store.ErrSchemaTooNew) {
				t.Errorf("open after a newer build migrated: %v, want ErrSchemaTooNew", err)
			}
			if _, err := dl.Get(ctx, "d1"); err != nil {
				t.Errorf("the decision log lost its record: %v", err)
			}
		})
	}
}

// persist stores a record in s and returns a check that a store of the
// same kind, reopened on the same database, has it.
func persist(t *testing.T, s io.Closer) func(*testing.T, io.Closer) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	switch s := s.(type) {
	case store.EvalResults:
		must(t, s.CreateRun(ctx, store.EvalRun{ID: "r1", Repeats: 1, Started: at}, nil))
		return func(t *testing.T, again io.Closer) {
			if _, err := again.(store.EvalResults).GetRun(ctx, "r1"); err != nil {
				t.Errorf("after a reopen: %v", err)
			}
		}
	case store.Labels:
		must(t, s.CreateProject(ctx, store.LabelProject{ID: "p1", Name: "P", Created: at}))
		return func(t *testing.T, again io.Closer) {
			if ps, err := again.(store.Labels).Projects(ctx); err != nil || len(ps) != 1 {
				t.Errorf("after a reopen: projects %+v, %v", ps, err)
			}
		}
	case store.Feedback:
		must(t, s.PublishVersion(ctx, fbVersion("v1", at), audit("a1", "publish_version", "version:v1")))
		return func(t *testing.T, again io.Closer) {
			if v, err := again.(store.Feedback).Version(ctx, "v1"); err != nil || !v.PublishedAt.Equal(at) {
				t.Errorf("after a reopen: %+v, %v", v, err)
			}
		}
	}
	t.Fatalf("RunBeside does not know a %T", s)
	return nil
}
