package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"

	"github.com/modelspec/modelspec/internal/testutil/cputime"
)

func open(tb testing.TB, opts Options) *Store {
	tb.Helper()
	return openStore(tb, Open, filepath.Join(tb.TempDir(), "decisions.db"), opts)
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.DecisionLog { return open(t, Options{}) })
}

func TestContractNormal(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	storetest.Run(t, func(t *testing.T) store.DecisionLog { return open(t, Options{Synchronous: Normal, MaxBatch: 3}) })
}

// BenchmarkAppend reports, besides records/s, records/commit: how many
// appends the group commit put in one transaction on average.
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []string{Full, Normal} {
		b.Run("sync="+sync, func(b *testing.B) {
			storetest.Bench(b, func(tb testing.TB) store.DecisionLog {
				s := open(tb, Options{Synchronous: sync})
				if b, ok := tb.(*testing.B); ok {
					b.Cleanup(func() {
						if c := s.commits.Load(); c > 0 {
							b.ReportMetric(float64(b.N)/float64(c), "records/commit")
						}
					})
				}
				return s
			})
		})
	}
}

func TestPragmas(t *testing.T) {
	for _, sync := range []string{"", Full, Normal} {
		s := open(t, Options{Synchronous: sync})
		var mode string
		var syncN, busy int
		if err := s.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := s.w.QueryRow("PRAGMA synchronous").Scan(&syncN); err != nil {
			t.Fatal(err)
		}
		if err := s.r.QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"": 2, Full: 2, Normal: 1}[sync]
		if mode != "wal" || syncN != want || busy != 5000 {
			t.Errorf("synchronous %q: journal_mode %s synchronous %d busy_timeout %d; want wal %d 5000", sync, mode, syncN, busy, want)
		}
		// The read pool cannot write.
		if _, err := s.r.Exec("DELETE FROM decisions"); err == nil {
			t.Error("a read connection could write")
		}
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{Synchronous: "OFF"}); err == nil {
		t.Error("synchronous OFF was accepted")
	}
}

// TestPath opens a file whose name has the characters a URI would take for
// syntax.
func TestPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?x=1&y#z%20")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "log.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(context.Background(), storetest.Full("p", time.Now())); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at %s: %v", path, err)
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(context.Background(), storetest.Full("kept", time.Now())); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := s.w.QueryRow("SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version %d, %v; want %d", v, err, SchemaVersion())
	}
	s.Close()
	// Reopening applies nothing and keeps the data.
	s, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "kept"); err != nil {
		t.Error(err)
	}
	var n int
	s.w.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n)
	if n != SchemaVersion() {
		t.Errorf("%d migrations recorded, want %d", n, SchemaVersion())
	}
	// A newer build's schema is refused.
	s.w.Exec("INSERT INTO schema_migrations VALUES (?, 0)", SchemaVersion()+1)
	s.Close()
	if _, err := Open(context.Background(), path, Options{}); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
	}
}

// TestConcurrentOpen opens one new file from several goroutines at once:
// the migrations run once and every store works.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			s, err := Open(context.Background(), path, Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			if err := s.Append(context.Background(), storetest.Full(fmt.Sprint(i), time.Now())); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// The crash test: a child process (this test binary, re-run with
// crashEnv set) appends records from several goroutines and prints each id
// once Append has returned; the parent kills it with SIGKILL mid-stream,
// reopens the file and checks that every printed id is there.
const crashEnv = "MODELSPEC_SQLITE_CRASH_DB"

func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrash in a child process")
	}
	s, err := Open(context.Background(), path, Options{Synchronous: os.Getenv(crashEnv + "_SYNC")})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	out := make(chan string, 64)
	prefix := os.Getenv(crashEnv + "_PREFIX")
	for w := range 4 {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("%s-%d-%06d", prefix, w, i)
				if err := s.Append(context.Background(), storetest.BenchRecord(id, time.Now())); err != nil {
					fmt.Println("error", err)
					os.Exit(3)
				}
				out <- id
			}
		}()
	}
	for id := range out {
		// os.Stdout is unbuffered: the line is in the pipe when Write returns.
		if _, err := fmt.Println(id); err != nil {
			os.Exit(3)
		}
	}
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	var all []string
	for round, sync := range []string{Full, Normal, Full} {
		reported := crashRound(t, path, sync, fmt.Sprintf("r%d", round), 300+round*500)
		all = append(all, reported...)
		s, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		var check string
		if err := s.w.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("round %d: integrity_check = %q, %v", round, check, err)
		}
		missing := 0
		for _, id := range all {
			if _, err := s.Get(context.Background(), id); err != nil {
				missing++
				if missing <= 5 {
					t.Errorf("round %d: committed record %s: %v", round, id, err)
				}
			}
		}
		var rows int
		s.r.QueryRow("SELECT COUNT(*) FROM decisions").Scan(&rows)
		t.Logf("round %d (synchronous=%s): %d ids reported before the kill, %d rows after reopening, %d missing", round, sync, len(reported), rows, missing)
		s.Close()
	}
}

// crashRound starts a child, lets it report at least n ids, kills it with
// SIGKILL and returns every id it reported, including those still in the
// pipe when it died.
func crashRound(t *testing.T, path, sync, prefix string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, crashEnv+"_SYNC="+sync, crashEnv+"_PREFIX="+prefix)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	sc := bufio.NewScanner(stdout)
	killed := false
	deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if len(line) > len(prefix) && line[:len(prefix)+1] == prefix+"-" {
			ids = append(ids, line)
		} else if line != "" && !killed {
			t.Logf("child: %s", line)
		}
		if len(ids) == n && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before the kill, after %d ids: %v", len(ids), err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	return ids
}

// TestQueryPlans checks that each single filter is served by an index in
// the order asked for: no full scan and no sort of the matches.
func TestQueryPlans(t *testing.T) {
	s := open(t, Options{})
	after := &store.Position{Micros: 1, ID: "x"}
	for name, q := range map[string]store.Query{
		"all":          {Limit: 10},
		"all oldest":   {Limit: 10, Order: store.Oldest},
		"app":          {App: "a", Limit: 10},
		"action":       {Action: "block", Limit: 10},
		"clause":       {Clause: "c", Limit: 10},
		"clause since": {Clause: "c", HasSince: true, SinceMicros: 5, Limit: 10, After: after},
		"since until":  {HasSince: true, SinceMicros: 5, HasUntil: true, UntilMicros: 9, Limit: 10, After: after},
		"app page":     {App: "a", Limit: 10, After: after, Order: store.Oldest},
	} {
		text, args := buildQuery(q)
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+text, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if strings.Contains(joined, "TEMP B-TREE") || (strings.Contains(joined, "SCAN d") && !strings.Contains(joined, "USING INDEX")) {
			t.Errorf("%s: plan %q sorts or scans the table", name, joined)
		}
	}
}

// BenchmarkAppendPaced appends the way the gateway's recorder does at
// 500 requests a second: one record every 2 ms, each from its own
// goroutine, with and without a commit window, and reports the process's
// CPU time per record (user and system: the fsync is the kernel's work)
// and records per commit. The baseline paces the same goroutines but only
// encodes each record to JSON: what waking up for a record costs anyway.
//
//	go test -run '^$' -bench AppendPaced -benchtime 1500x ./internal/store/sqlite/
func BenchmarkAppendPaced(b *testing.B) {
	rec := func(i int) decisionlog.Record {
		return storetest.BenchRecord(fmt.Sprintf("paced-%d", i), time.Unix(1700000000, 0).Add(time.Duration(i)))
	}
	b.Run("baseline=json", func(b *testing.B) {
		paced(b, func(i int) error { _, err := json.Marshal(rec(i)); return err })
	})
	for _, mode := range []string{Full, Normal} {
		for _, window := range []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
			b.Run(fmt.Sprintf("sync=%s/window=%v", mode, window), func(b *testing.B) {
				s := open(b, Options{Synchronous: mode, CommitWindow: window})
				paced(b, func(i int) error { return s.Append(context.Background(), rec(i)) })
				b.ReportMetric(float64(b.N)/float64(max(1, s.commits.Load())), "records/commit")
			})
		}
	}
}

// paced calls op(i) for i < b.N, one every 2 ms, each in its own
// goroutine, and reports the process's CPU time per call.
func paced(b *testing.B, op func(i int) error) {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	var wg sync.WaitGroup
	cpu0 := cputime.Process()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		wg.Go(func() {
			if err := op(i); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N)/1e3, "cpu-µs/record")
}

// TestMigrationFromVersion1: a decision log written before the counts of
// dropped findings (schema version 1) opens, keeps its records with no
// findings dropped, and stores new records with their counts.
func TestMigrationFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`,
		migrations[0],
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO decisions VALUES ('old', 1, 1795790000000000, 'app', 'spec', 'v', 'm', 'u', 0, 'allow',
			'[]', '[]', '[]', '[]', 0, 0, 0, 0, 0, 0, 200, '')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old, err := s.Get(context.Background(), "old")
	if err != nil || old.App != "app" || old.FindingsDropped != 0 || old.OutputDropped != 0 {
		t.Fatalf("old record = %+v, %v", old, err)
	}
	rec := storetest.Full("new", time.Now())
	if err := s.Append(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), "new")
	if err != nil || got.FindingsDropped != rec.FindingsDropped || got.OutputDropped != rec.OutputDropped {
		t.Errorf("new record dropped %d/%d, %v; want %d/%d", got.FindingsDropped, got.OutputDropped, err, rec.FindingsDropped, rec.OutputDropped)
	}
}
