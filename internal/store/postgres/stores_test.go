package postgres

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

// openStore opens a store of this package (Open, OpenEval, OpenLabels,
// OpenFeedback) on the database at dsn and closes it when the test ends.
func openStore[S io.Closer](tb testing.TB, open func(context.Context, string) (S, error), dsn string) S {
	tb.Helper()
	s, err := open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestEvalContract(t *testing.T) {
	dsn(t)
	storetest.RunEval(t, func(t *testing.T) store.EvalResults { return openStore(t, OpenEval, schemaDSN(t)) })
}

func TestLabelsContract(t *testing.T) {
	dsn(t)
	storetest.RunLabels(t, func(t *testing.T) store.Labels { return openStore(t, OpenLabels, schemaDSN(t)) })
}

func TestFeedbackContract(t *testing.T) {
	dsn(t)
	storetest.RunFeedback(t, func(t *testing.T) store.Feedback { return openStore(t, OpenFeedback, schemaDSN(t)) })
}

// TestTracks: each store shares the decision log's schema with a
// migration track and an advisory lock of its own (storetest.RunBeside).
func TestTracks(t *testing.T) {
	dsn(t)
	ctx := context.Background()
	for _, ts := range []struct {
		track track
		open  func(dsn string) (io.Closer, error)
	}{
		{evalTrack, func(dsn string) (io.Closer, error) { return OpenEval(ctx, dsn) }},
		{labelTrack, func(dsn string) (io.Closer, error) { return OpenLabels(ctx, dsn) }},
		{feedbackTrack, func(dsn string) (io.Closer, error) { return OpenFeedback(ctx, dsn) }},
	} {
		t.Run(ts.track.table, func(t *testing.T) {
			storetest.RunBeside(t, func(t *testing.T) storetest.Beside {
				d := schemaDSN(t)
				return storetest.Beside{
					OpenLog:   func() (store.DecisionLog, error) { return Open(ctx, d) },
					OpenStore: func() (io.Closer, error) { return ts.open(d) },
					Versions: func() (log, own int, err error) {
						err = rawConn(t, d).QueryRow(ctx, `SELECT (SELECT MAX(version) FROM schema_migrations), (SELECT MAX(version) FROM `+ts.track.table+`)`).Scan(&log, &own)
						return log, own, err
					},
					Bump: func() error {
						_, err := rawConn(t, d).Exec(ctx, `INSERT INTO `+ts.track.table+` (version) VALUES ($1)`, len(ts.track.migrations)+1)
						return err
					},
					LogVersion: SchemaVersion(), StoreVersion: len(ts.track.migrations),
				}
			})
		})
	}
}

// rawConn is a plain connection to the database at dsn, closed when the
// test ends.
func rawConn(t *testing.T, dsn string) *pgx.Conn {
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestBadDSN: no store's error shows the password of a DSN it could not
// use.
func TestBadDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const bad = "postgres://nobody:secret-password@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"
	for name, open := range map[string]func() (io.Closer, error){
		"decisions": func() (io.Closer, error) { return Open(ctx, bad) },
		"eval":      func() (io.Closer, error) { return OpenEval(ctx, bad) },
		"labels":    func() (io.Closer, error) { return OpenLabels(ctx, bad) },
		"feedback":  func() (io.Closer, error) { return OpenFeedback(ctx, bad) },
	} {
		_, err := open()
		if err == nil {
			t.Fatalf("%s: open of a server that is not there succeeded", name)
		}
		if strings.Contains(err.Error(), "secret-password") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
	// A DSN that does not parse: pgx's error leaves the password out too.
	if _, err := OpenEval(ctx, "postgres://nobody:secret-password@127.0.0.1:notaport/x"); err == nil || strings.Contains(err.Error(), "secret-password") {
		t.Errorf("unparsable DSN: %v", err)
	}
}
