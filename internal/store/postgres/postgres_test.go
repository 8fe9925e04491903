package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

// DSNEnv names the variable that points the tests at a server; without it
// they skip. scripts/postgres starts a throwaway one:
//
//	eval "$(bash scripts/postgres start)" && go test ./internal/store/postgres/
const DSNEnv = "MODELSPEC_POSTGRES_DSN"

func dsn(tb testing.TB) string {
	tb.Helper()
	d := os.Getenv(DSNEnv)
	if d == "" && os.Getenv("MODELSPEC_REQUIRE_POSTGRES") != "" {
		// CI sets this: there, a missing server is a failure, not a skip.
		tb.Fatalf("%s is not set but MODELSPEC_REQUIRE_POSTGRES is", DSNEnv)
	}
	if d == "" {
		tb.Skipf("%s is not set: no PostgreSQL to test against; start one with: eval \"$(bash scripts/postgres start)\"", DSNEnv)
	}
	return d
}

// schemaDSN creates a new schema for one test, drops it when the test
// ends, and returns the DSN with search_path set to it.
func schemaDSN(tb testing.TB) string {
	tb.Helper()
	base := dsn(tb)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", DSNEnv, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Error(err)
		}
	})
	return withParam(tb, base, "search_path", schema)
}

func withParam(tb testing.TB, dsn, key, value string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

func open(tb testing.TB) *Store {
	tb.Helper()
	return openStore(tb, Open, schemaDSN(tb))
}

func TestContract(t *testing.T) {
	dsn(t)
	storetest.Run(t, func(t *testing.T) store.DecisionLog { return open(t) })
}

// BenchmarkAppend reports, besides records/s, records/commit: how many
// appends the group commit put in one transaction on average.
func BenchmarkAppend(b *testing.B) {
	dsn(b)
	storetest.Bench(b, func(tb testing.TB) store.DecisionLog {
		s := open(tb)
		if b, ok := tb.(*testing.B); ok {
			b.Cleanup(func() {
				if c := s.commits.Load(); c > 0 {
					b.ReportMetric(float64(b.N)/float64(c), "records/commit")
				}
			})
		}
		return s
	})
}

func TestMigrations(t *testing.T) {
	d := schemaDSN(t)
	ctx := context.Background()
	// Replicas starting together migrate once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := Open(ctx, d)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	s, err := Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, storetest.Full("kept", time.Now())); err != nil {
		t.Fatal(err)
	}
	var n, v int
	if err := s.pool.QueryRow(ctx, "SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion() || v != SchemaVersion() {
		t.Errorf("schema_migrations has %d rows up to %d; want %d", n, v, SchemaVersion())
	}
	if _, err := s.pool.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, d); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
	}
}

// TestIDOrder checks that ids order by bytes, as in SQLite and Go, even in
// a database whose default collation would not: the id columns are
// COLLATE "C".
func TestIDOrder(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, `SELECT table_name, column_name, COALESCE(collation_name, '') FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name IN ('id', 'decision_id')`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var table, col, coll string
		if err := rows.Scan(&table, &col, &coll); err != nil {
			t.Fatal(err)
		}
		n++
		if coll != "C" {
			t.Errorf("%s.%s has collation %q, want C", table, col, coll)
		}
	}
	if rows.Err() != nil || n != 2 {
		t.Errorf("found %d id columns (%v), want 2", n, rows.Err())
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "B", "_", "Z", "ä"} {
		if err := s.Append(ctx, storetest.Full(id, at)); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Query(ctx, store.Filter{Order: store.Oldest})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.ID)
	}
	if strings.Join(got, " ") != "B Z _ a ä" {
		t.Errorf("ids in order %v, want byte order B Z _ a ä", got)
	}
}

// TestMigrationFromVersion1: a decision log written before the counts of
// dropped findings (schema version 1) opens, keeps its records with no
// findings dropped, and stores new records with their counts.
func TestMigrationFromVersion1(t *testing.T) {
	d := schemaDSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
		migrations[0],
		`INSERT INTO schema_migrations (version) VALUES (1)`,
		`INSERT INTO decisions VALUES ('old', 1, now(), 'app', 'spec', 'v', 'm', 'u', false, 'allow',
			'{}', '[]', '[]', '[]', 0, 0, 0, 0, 0, 0, 200, '')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)
	s, err := Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old, err := s.Get(ctx, "old")
	if err != nil || old.App != "app" || old.FindingsDropped != 0 || old.OutputDropped != 0 {
		t.Fatalf("old record = %+v, %v", old, err)
	}
	rec := storetest.Full("new", time.Now())
	if err := s.Append(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "new")
	if err != nil || got.FindingsDropped != rec.FindingsDropped || got.OutputDropped != rec.OutputDropped {
		t.Errorf("new record dropped %d/%d, %v; want %d/%d", got.FindingsDropped, got.OutputDropped, err, rec.FindingsDropped, rec.OutputDropped)
	}
}
