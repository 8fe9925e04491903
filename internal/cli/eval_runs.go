package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/postgres"
	"github.com/modelspec/modelspec/internal/store/sqlite"
)

// EvalDBEnv names the variable that chooses the eval results store when
// --db is not given.
const EvalDBEnv = "MODELSPEC_DB"

// defaultEvalDB is --db's default: $MODELSPEC_DB, else modelspec.db in
// the working directory (the file `serve` keeps its decision log in).
func defaultEvalDB() string {
	if v := os.Getenv(EvalDBEnv); v != "" {
		return v
	}
	return "modelspec.db"
}

// isPostgresDSN reports whether db names a PostgreSQL server rather than
// a SQLite file.
func isPostgresDSN(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// dbName names db in a message: a SQLite path as it is, a PostgreSQL
// URL without its password.
func dbName(db string) string {
	if db == "" {
		db = defaultEvalDB()
	}
	if isPostgresDSN(db) {
		if u, err := url.Parse(db); err == nil {
			return u.Redacted()
		}
		return "the PostgreSQL database"
	}
	return db
}

// openEvalStore opens the eval results store named by db: a postgres://
// URL, or the path of a SQLite file (created if needed).
func openEvalStore(ctx context.Context, db string) (store.EvalResults, error) {
	if db == "" {
		db = defaultEvalDB()
	}
	if isPostgresDSN(db) {
		st, err := postgres.OpenEval(ctx, db)
		if err != nil {
			return nil, fmt.Errorf("eval results (postgres): %w", err)
		}
		return st, nil
	}
	st, err := sqlite.OpenEval(ctx, db, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("eval results %s: %w", db, err)
	}
	return st, nil
}

type evalRunsParams struct {
	db, suite, target, model, status string
	limit                            int
	json                             bool
}

func newEvalRunsCmd() *cobra.Command {
	var p evalRunsParams
	c := &cobra.Command{
		Use:   "runs [--db D] [--suite S] [--target T] [--model M] [--status S] [--limit N] [--json]",
		Short: "List the stored eval runs, newest first",
		Long: `List the runs kept in the eval results store (--db, as for 'eval run'),
newest first: id, start time, suite, target, model, repeats, results
stored out of planned, pass rate and status (running, done, or
interrupted: continue it with 'eval run --resume ID'). --json prints
[{"run_id","suite","target","model","grader","repeats","status","started",
"finished","cases","planned","results","passed","failed","unscored"}].`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runEvalRuns(c.Context(), c.OutOrStdout(), p)
		},
	}
	f := c.Flags()
	f.StringVar(&p.db, "db", defaultEvalDB(), "eval results store: a SQLite file or a postgres:// URL (default $"+EvalDBEnv+" or modelspec.db)")
	f.StringVar(&p.suite, "suite", "", "only runs of this suite")
	f.StringVar(&p.target, "target", "", "only runs against this target")
	f.StringVar(&p.model, "model", "", "only runs of this model")
	f.StringVar(&p.status, "status", "", "only runs with this status (running, done, interrupted)")
	f.IntVar(&p.limit, "limit", 20, "at most this many runs (up to 1000)")
	f.BoolVar(&p.json, "json", false, "print the runs as JSON")
	return c
}

// evalRunJSON is a run as `eval runs --json` prints it.
type evalRunJSON struct {
	RunID    string     `json:"run_id"`
	Suite    string     `json:"suite"`
	Target   string     `json:"target"`
	Model    string     `json:"model,omitempty"`
	Grader   string     `json:"grader"`
	Repeats  int        `json:"repeats"`
	Status   string     `json:"status"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	Cases    int        `json:"cases"`
	Planned  int        `json:"planned"`
	Results  int        `json:"results"`
	Passed   int        `json:"passed"`
	Failed   int        `json:"failed"`
	Unscored int        `json:"unscored"`
}

func runEvalRuns(ctx context.Context, stdout io.Writer, p evalRunsParams) error {
	if p.limit < 1 {
		return usageError("eval runs: --limit must be at least 1")
	}
	st, err := openEvalStore(ctx, p.db)
	if err != nil {
		return usageError("%v", err)
	}
	defer st.Close()
	runs, err := st.ListRuns(ctx, store.EvalRunFilter{Suite: p.suite, Target: p.target, Model: p.model, Status: p.status, Limit: p.limit})
	if err != nil {
		return usageError("eval runs: %v", err)
	}
	if p.json {
		out := make([]evalRunJSON, len(runs))
		for i, r := range runs {
			out[i] = evalRunJSON{RunID: r.ID, Suite: r.Suite, Target: r.Target, Model: r.Model, Grader: r.Grader,
				Repeats: r.Repeats, Status: r.Status, Started: r.Started, Cases: r.Cases, Planned: r.Planned(),
				Results: r.Results(), Passed: r.Passed, Failed: r.Failed, Unscored: r.Unscored}
			if !r.Finished.IsZero() {
				out[i].Finished = &r.Finished
			}
		}
		return writeJSON(stdout, out)
	}
	tw := newTable(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tstarted\tsuite\ttarget\tmodel\trepeats\tresults\tpass rate\tstatus")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d/%d\t%s\t%s\n", r.ID, r.Started.Format(time.RFC3339), r.Suite, r.Target,
			orDash(r.Model), r.Repeats, r.Results(), r.Planned(), pct(r.Passed, r.Failed), r.Status)
	}
	return tw.Flush()
}
