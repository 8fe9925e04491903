package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/eval"
)

func newEvalCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "eval",
		Short: "Measure a model's adherence to the spec, clause by clause",
	}, newEvalSuitesCmd(), newEvalRunCmd(), newEvalCompareCmd(), newEvalXSTestCmd())
}

func newEvalSuitesCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "suites [--json]",
		Short: "List the built-in suites and their case counts",
		Long: `List the built-in suites. Suites built from data read it from ../shared/data
(seen from the working directory) or $MODELSPEC_DATA; a suite whose data is
missing is listed with the path it looked for.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			infos := eval.Suites(eval.DataDir())
			if asJSON {
				return writeJSON(c.OutOrStdout(), infos)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, s := range infos {
				n := fmt.Sprint(s.Cases)
				if s.Cases < 0 {
					n = "-"
				}
				line := s.Description
				if s.Error != "" {
					line += " (unavailable: " + s.Error + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, n, line)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the suites as JSON")
	return c
}

type evalRunParams struct {
	suite, target, model, out string
	junit                     string
	jobs                      int
	timeout                   time.Duration
	json, progress            bool
	failUnder                 float64
	// Injected for tests; zero values mean the real ones.
	now     func() time.Time
	rand    io.Reader
	client  *http.Client
	dataDir string
}

func newEvalRunCmd() *cobra.Command {
	var p evalRunParams
	c := &cobra.Command{
		Use:   "run --suite S --target T [--model M] [-j N] [--out DIR] [--junit FILE] [--json] [--fail-under RATE]",
		Short: "Run a suite against a target and grade the answers",
		Long: `Run sends every case of a suite to a target, grades each answer by what
the case expects (comply or refuse: grade.refusal; ignore_injection:
grade.injection; regex, max_length, json_schema: grade.regex, grade.length,
grade.json) and prints a summary per clause, or with
--json {"run_id","suite","target","cases","passed","failed","unscored",
"clauses":[{"clause","passed","failed","unscored"}]}.

--suite is a built-in suite (see 'modelspec eval suites') or a suite file,
FILE.yaml, FILE.yml or FILE.jsonl, of cases {id, messages, expect, clauses,
regex, not_regex, max_length, json_schema, meta}; an unknown field is an
error naming its line.

A target is replay:NAME (recorded XSTest completions; NAME is gpt4,
llama2new, llama2orig, mistralguard or mistralinstruct) or an
OpenAI-compatible base URL such as https://api.openai.com/v1, with --model
and the key in OPENAI_API_KEY. A case the target has no answer for, or that
the grader cannot grade, is unscored: it neither passes nor fails.

--out DIR writes results.jsonl (a result a line) and summary.json, the
input of 'modelspec eval compare'. --junit FILE writes JUnit XML for CI:
one <testsuite> named after the suite, a <testcase classname=CLAUSE
name=CASE-ID> per case (classname is the case's first clause, or the suite),
<failure> with the grader's reason for a failed case and <skipped> for an
unscored one.

The pass rate is passed / (passed + failed). Exit status: 0 done, 1 the pass
rate is below --fail-under (or nothing was scored), 2 an error.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runEvalRun(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	f := c.Flags()
	f.StringVar(&p.suite, "suite", "", "suite name (see 'modelspec eval suites') or a .yaml/.jsonl suite file")
	f.StringVar(&p.target, "target", "", "replay:NAME or an OpenAI-compatible base URL")
	f.StringVar(&p.model, "model", "", "model name sent to a URL target")
	f.IntVarP(&p.jobs, "jobs", "j", 4, "cases run at once")
	f.DurationVar(&p.timeout, "timeout", 60*time.Second, "time limit per case, retries included")
	f.StringVar(&p.out, "out", "", "write results.jsonl and summary.json to this directory")
	f.StringVar(&p.junit, "junit", "", "write the results as JUnit XML to this file")
	f.BoolVar(&p.json, "json", false, "print the summary as JSON")
	f.BoolVar(&p.progress, "progress", false, "print progress to stderr even when it is not a terminal")
	f.Float64Var(&p.failUnder, "fail-under", 0, "exit 1 when the pass rate (0..1) is below this")
	return c
}

func runEvalRun(ctx context.Context, stdout, stderr io.Writer, p evalRunParams) error {
	if p.suite == "" || p.target == "" {
		return usageError("eval run: --suite and --target are required")
	}
	if p.jobs < 1 {
		return usageError("eval run: -j must be at least 1")
	}
	if p.failUnder < 0 || p.failUnder > 1 {
		return usageError("eval run: --fail-under must be within 0..1")
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.dataDir == "" {
		p.dataDir = eval.DataDir()
	}
	cases, err := eval.LoadSuite(p.suite, p.dataDir)
	if err != nil {
		return usageError("%v", err)
	}
	target, err := eval.ParseTarget(p.target, eval.TargetOptions{
		DataDir: p.dataDir, Model: p.model, APIKey: os.Getenv("OPENAI_API_KEY"), Client: p.client,
	})
	if err != nil {
		return usageError("%v", err)
	}
	runID, err := eval.NewRunID(p.now(), p.rand)
	if err != nil {
		return usageError("%v", err)
	}
	var prog *eval.Progress
	if p.progress || isTerminal(stderr) {
		prog = &eval.Progress{W: stderr, Total: len(cases), Start: p.now(), Now: p.now}
	}
	grader := eval.CaseGrader{}
	results := make([]eval.Result, 0, len(cases))
	for r := range eval.Run(ctx, cases, target, grader, eval.RunOptions{Concurrency: p.jobs, Timeout: p.timeout, Now: p.now}) {
		results = append(results, r)
		if prog != nil {
			prog.Step()
		}
	}
	eval.SortResults(results)
	sum := eval.Summarize(results)
	sum.RunID, sum.Suite, sum.Target, sum.Model, sum.Grader = runID, p.suite, target.Name(), p.model, grader.ID()
	if used := eval.GradersUsed(results); len(used) > 0 {
		sum.Grader = strings.Join(used, ",")
	}
	if p.out != "" {
		if err := eval.WriteResults(p.out, results, sum); err != nil {
			return usageError("%v", err)
		}
	}
	if p.junit != "" {
		if err := eval.WriteJUnitFile(p.junit, results, sum); err != nil {
			return usageError("%v", err)
		}
	}
	if p.json {
		if err := writeJSON(stdout, sum); err != nil {
			return err
		}
	} else if err := writeEvalSummary(stdout, sum); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return usageError("eval run: %v", ctx.Err())
	}
	if p.failUnder > 0 && (sum.Passed+sum.Failed == 0 || sum.PassRate < p.failUnder) {
		fmt.Fprintf(stderr, "modelspec: pass rate %.3f is below --fail-under %.3f\n", sum.PassRate, p.failUnder)
		return failure()
	}
	return nil
}

func writeEvalSummary(w io.Writer, s eval.Summary) error {
	fmt.Fprintf(w, "run %s: suite %s, target %s, grader %s\n\n", s.RunID, s.Suite, s.Target, s.Grader)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clause\tpassed\tfailed\tunscored\tpass rate\t")
	for _, c := range s.Clauses {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", c.Clause, c.Passed, c.Failed, c.Unscored, pct(c.Passed, c.Failed))
	}
	fmt.Fprintf(tw, "total (%d cases)\t%d\t%d\t%d\t%s\t\n", s.Cases, s.Passed, s.Failed, s.Unscored, pct(s.Passed, s.Failed))
	return tw.Flush()
}

func pct(passed, failed int) string {
	if passed+failed == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*eval.Rate(passed, failed))
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newEvalXSTestCmd() *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "xstest [--all]",
		Short: "Reproduce XSTest: refusal rates per model, refusal grader beside the human labels",
		Long: `Grade the recorded XSTest completions of the five replay models with the
refusal grader and print, per model and for safe and unsafe prompts, the
full-refusal, partial-refusal and compliance rates beside those of the human
final_label, as a Markdown table.

The refusal model was trained on the completions whose id has an even
FNV-1a 64 hash; by default only the held-out (odd-hash) half is used. --all
uses every prompt, training half included.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			half := eval.HalfHeldOut
			if all {
				half = eval.HalfAll
			}
			rows, err := eval.XSTestTable(eval.DataDir(), half)
			if err != nil {
				return usageError("%v", err)
			}
			return eval.WriteXSTestTable(c.OutOrStdout(), rows)
		},
	}
	c.Flags().BoolVar(&all, "all", false, "use every prompt, including the half the refusal model was trained on")
	return c
}

func newEvalCompareCmd() *cobra.Command {
	var asJSON, failOnRegression bool
	c := &cobra.Command{
		Use:   "compare A B [--json] [--fail-on-regression]",
		Short: "Compare two runs: pass rate per clause, regressions and improvements",
		Long: `Compare reads the results of two runs, A (before) and B (after): each an
'eval run --out' directory (its results.jsonl is read) or a results.jsonl
file. Cases are matched by id. It prints, per clause, the pass rate in A and
in B (each over that run's cases tied to the clause; "-" when nothing was
scored), the change in points and how many cases regressed and improved;
then the cases that regressed (passed in A, failed in B), improved (failed
in A, passed in B), changed to or from unscored, and those only in A or
only in B. --json prints the same as {"cases_a","cases_b","common","a","b",
"clauses":[{"clause","a","b","change","regressed","improved"}],"regressed",
"improved","changed","only_a","only_b"}.

Exit status: 0 done, 1 with --fail-on-regression when any case regressed,
2 an error (a missing file, a malformed line: named with its line number).`,
		Args: rangeArgs(2, 2),
		RunE: func(c *cobra.Command, args []string) error {
			var runs [2][]eval.Result
			for i, arg := range args {
				rs, err := eval.ReadResultsFile(eval.ResultsPath(arg))
				if err != nil {
					return usageError("eval compare: %v", err)
				}
				runs[i] = rs
			}
			cmp := eval.Compare(runs[0], runs[1])
			if asJSON {
				if err := writeJSON(c.OutOrStdout(), cmp); err != nil {
					return err
				}
			} else if err := writeEvalCompare(c.OutOrStdout(), args[0], args[1], cmp); err != nil {
				return err
			}
			if failOnRegression && len(cmp.Regressed) > 0 {
				fmt.Fprintf(c.ErrOrStderr(), "modelspec: %d case(s) regressed\n", len(cmp.Regressed))
				return failure()
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	c.Flags().BoolVar(&failOnRegression, "fail-on-regression", false, "exit 1 when any case passed in A and failed in B")
	return c
}

func writeEvalCompare(w io.Writer, a, b string, c eval.Comparison) error {
	fmt.Fprintf(w, "A %s: %d cases\nB %s: %d cases\n%d in both\n\n", a, c.CasesA, b, c.CasesB, c.Common)
	rate := func(r *float64) string {
		if r == nil {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100**r)
	}
	change := func(d *float64) string {
		if d == nil {
			return "-"
		}
		return fmt.Sprintf("%+.1f", 100**d)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clause\tA\tB\tchange\tregressed\timproved\t")
	for _, d := range c.Clauses {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t\n", d.Clause, rate(d.A.PassRate), rate(d.B.PassRate), change(d.Change), d.Regressed, d.Improved)
	}
	var total *float64
	if c.A.PassRate != nil && c.B.PassRate != nil {
		v := *c.B.PassRate - *c.A.PassRate
		total = &v
	}
	fmt.Fprintf(tw, "total\t%s\t%s\t%s\t%d\t%d\t\n", rate(c.A.PassRate), rate(c.B.PassRate), change(total), len(c.Regressed), len(c.Improved))
	if err := tw.Flush(); err != nil {
		return err
	}
	changes := func(title string, cs []eval.CaseChange) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, len(cs))
		for _, ch := range cs {
			fmt.Fprintf(w, "  %s [%s] %s -> %s", ch.CaseID, strings.Join(ch.Clauses, ","), ch.StatusA, ch.StatusB)
			if ch.Reason != "" {
				fmt.Fprintf(w, ": %s", oneLine(ch.Reason))
			}
			fmt.Fprintln(w)
		}
	}
	changes("regressed (passed in A, failed in B)", c.Regressed)
	changes("improved (failed in A, passed in B)", c.Improved)
	changes("changed to or from unscored", c.Changed)
	only := func(title string, ids []string) {
		if len(ids) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, len(ids))
		for _, id := range ids {
			fmt.Fprintf(w, "  %s\n", id)
		}
	}
	only("only in A", c.OnlyA)
	only("only in B", c.OnlyB)
	return nil
}

// oneLine folds whitespace runs (newlines included) to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
