package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/store"
)

func newEvalReportCmd() *cobra.Command {
	var out, db string
	c := &cobra.Command{
		Use:   "report RUN... [-o report.html] [--db D]",
		Short: "Write an HTML report of one or more runs",
		Long: `Report writes one self-contained HTML file (inline CSS and SVG, no script,
nothing fetched) for one run or several side by side:

  - each run's totals, with the pass rate's 95% Wilson score interval;
  - the pass rate per clause, a bar per run with its Wilson interval;
  - over-refusal (comply cases whose answer grade.refusal labelled a
    refusal) against under-refusal (refuse cases it labelled compliance),
    a point per run;
  - the agreement of the judges, when a panel graded the run;
  - the failing cases with their conversation, answer and each grader's
    reason (at most 300 per run).

A RUN is an 'eval run --out' directory (its results.jsonl and summary.json;
the conversations come from reloading the suite it names) or the id of a
run in the eval results store (--db; see 'modelspec eval runs'), whose
cases are stored with it. Every text from a run is escaped.

-o names the file (default report.html); it is written atomically.
Exit status: 0 written, 2 an error.`,
		Args: rangeArgs(1, 16),
		RunE: func(c *cobra.Command, args []string) error {
			return runEvalReport(c.Context(), c.OutOrStdout(), args, out, db)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "report.html", "the HTML file to write")
	c.Flags().StringVar(&db, "db", defaultEvalDB(), "eval results store for RUN ids: a SQLite file or a postgres:// URL")
	return c
}

func runEvalReport(ctx context.Context, stdout io.Writer, args []string, out, db string) error {
	var runs []eval.ReportRun
	var st store.EvalResults
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	for _, arg := range args {
		if _, err := os.Stat(arg); err == nil {
			run, err := eval.LoadReportRun(arg, eval.DataDir())
			if err != nil {
				return usageError("eval report: %v", err)
			}
			runs = append(runs, run)
			continue
		}
		if st == nil {
			if _, err := os.Stat(db); !isPostgresDSN(db) && err != nil {
				return usageError("eval report: %s: no such directory or file, and no store %s to find a run in", arg, db)
			}
			var err error
			if st, err = openEvalStore(ctx, db); err != nil {
				return usageError("eval report: %s is not a file or directory, and the store cannot be opened: %v", arg, err)
			}
		}
		run, err := storedReportRun(ctx, st, arg)
		if errors.Is(err, store.ErrNotFound) {
			return usageError("eval report: %s: no such directory, file or run in %s", arg, db)
		}
		if err != nil {
			return usageError("eval report: %v", err)
		}
		runs = append(runs, run)
	}
	if err := eval.WriteHTMLFile(out, runs); err != nil {
		return usageError("eval report: %v", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d run(s))\n", out, len(runs))
	return nil
}

// storedReportRun loads run id from the store, with its cases.
func storedReportRun(ctx context.Context, st store.EvalResults, id string) (eval.ReportRun, error) {
	sess, err := eval.ResumeSession(ctx, st, id)
	if err != nil {
		return eval.ReportRun{}, err
	}
	return sessionReportRun(ctx, sess)
}

func sessionReportRun(ctx context.Context, sess *eval.Session) (eval.ReportRun, error) {
	sum, err := sess.Summary(ctx)
	if err != nil {
		return eval.ReportRun{}, err
	}
	run := eval.ReportRun{Summary: sum, Cases: map[string]eval.Case{}}
	for _, c := range sess.Cases() {
		run.Cases[c.ID] = c
	}
	for r, err := range sess.Results(ctx) {
		if err != nil {
			return eval.ReportRun{}, err
		}
		run.Results = append(run.Results, r)
	}
	return run, nil
}
