package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/store"
)

func newEvalCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "eval",
		Short: "Measure a model's adherence to the spec, clause by clause",
	}, newEvalSuitesCmd(), newEvalRunCmd(), newEvalRunsCmd(), newEvalCompareCmd(), newEvalReportCmd(), newEvalXSTestCmd())
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
			tw := newTable(c.OutOrStdout(), 0, 0, 2, ' ', 0)
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
	// The results store (a SQLite file or a postgres:// URL; "" means
	// defaultEvalDB), the run to resume, the response cache switch,
	// repeats per case and the request rate limit.
	db, resume string
	noCache    bool
	repeats    int
	rps        float64
	// Model-backed grading (--judge ...) and the HTML report (--html).
	judge evalJudgeFlags
	html  string
	// The spec in the system prompt (--spec-in-context full|clauses, with
	// its examples with --spec-examples): two linked runs, compared.
	specInContext string
	specExamples  bool
	// Injected for tests; zero values mean the real ones.
	now     func() time.Time
	rand    io.Reader
	client  *http.Client
	dataDir string
}

func newEvalRunCmd() *cobra.Command {
	var p evalRunParams
	c := &cobra.Command{
		Use:   "run --suite S --target T [--model M] [-j N] [--repeats N] [--rps R] [--db D] [--no-cache] [--out DIR] [--junit FILE] [--html FILE] [--judge URL --judge-model M]... [--json] [--fail-under RATE] | run --resume RUN_ID",
		Short: "Run a suite against a target and grade the answers",
		Long: `Run sends every case of a suite to a target, grades each answer by what
the case expects (comply or refuse: grade.refusal; ignore_injection:
grade.injection; clarify: grade.clarify; regex, max_length, json_schema,
detectors: grade.regex, grade.length, grade.json, grade.detect) and prints a summary per clause, or with
--json {"run_id","suite","target","cases","passed","failed","unscored",
"clauses":[{"clause","passed","failed","unscored"}]}.

--suite is a built-in suite (see 'modelspec eval suites') or a suite file,
FILE.yaml, FILE.yml or FILE.jsonl, of cases {id, messages, expect, clauses,
regex, not_regex, max_length, json_schema, detectors, reference, meta};
detectors are detector ids (e.g. detect.pii.email) that must not fire on the
answer; reference is an answer to compare with (by a judge). An unknown
field or detector is an error naming its line.

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

Every run is stored with its cases and each result as it comes in the
eval results store, --db: a SQLite file (default $MODELSPEC_DB, else
modelspec.db in the working directory) or a postgres:// URL. An
interrupted run (Ctrl-C, a crash) keeps every result finished before it
stopped; 'eval run --resume RUN_ID' runs only what is missing, with the
stored cases, target, model and repeats (--suite, --target, --model and
--repeats may be left out, and must match when given). 'eval runs' lists
the stored runs. The answers of an HTTP target are cached in the same store
by request (target URL, model and the exact request body, and the repeat
number), so running a suite again asks the model nothing; --no-cache
neither reads nor writes the cache.

--repeats N runs each case N times; the summary then counts results, and
gives each pass rate with its standard error clustered by case. -j sets
the cases run at once, --rps the requests started per second (cache hits
are not requests). A progress bar with rate and ETA goes to stderr when it
is a terminal and --json is not given, or always with --progress.

A target may also be anthropic: (Anthropic's Messages API at
https://api.anthropic.com) or anthropic:URL (another base URL, without
/v1), with --model and the key in ANTHROPIC_API_KEY; 429, 529 and 5xx
answers are retried.

Model-backed grading: --judge URL (an OpenAI-compatible endpoint; repeat it
for a panel) with --judge-model M (one for all, or one per --judge) adds
grade.judge to every case: the judge answers yes/no propositions about the
answer (violates each clause, refuses, asks a clarifying question, follows
injected instructions, judgmental), each with a probability, against a
rubric made of the clauses' text and their GOOD/BAD examples in --spec
(default: the built-in spec); a documented rule combines them. It adds
grade.pairwise to every case with a reference (a suite file's reference, or
the GOOD answer of a spec example): the judge compares the answer with it
twice, in both orders. A panel decides by majority; a judge that errors or
replies invalidly casts no vote, and a case without a majority is
unscored. --judge-graders picks judge, pairwise or both; the key is read
from --judge-key-env (default OPENAI_API_KEY). A resumed run needs the same
--judge flags.

--html FILE writes the run's HTML report (see 'modelspec eval report').

--spec-in-context measures how much the model follows the spec when it
is given the text: the suite is run twice against the same target, first
as it is, then with the spec (--spec, default the built-in one) rendered
as 'spec render' writes it in the system prompt (--spec-in-context=clauses:
only each case's clauses; --spec-examples adds the worked examples). The
text goes before the conversation's opening system or developer message,
separated by a line "---", in that message (which keeps its role), or in a
system message of its own when the conversation has none. The two runs are
stored linked (either id resumes both) and compared per clause as 'eval
compare' does; --out DIR writes DIR/without-spec and DIR/with-spec, --html
both runs side by side, and --json prints {"spec_in_context", "spec",
"spec_version", "without_spec", "with_spec", "comparison"}. --junit and
--fail-under take one run and are refused with it.

The pass rate is passed / (passed + failed). Exit status: 0 done, 1 the pass
rate is below --fail-under (or nothing was scored), 2 an error or an
interrupted run.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			if c.Flags().Changed("repeats") && p.repeats < 1 {
				return usageError("eval run: --repeats must be at least 1")
			}
			if !c.Flags().Changed("repeats") {
				p.repeats = 0 // 1 for a new run; the stored run's when resuming
			}
			return runEvalRun(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	f := c.Flags()
	f.StringVar(&p.suite, "suite", "", "suite name (see 'modelspec eval suites') or a .yaml/.jsonl suite file")
	f.StringVar(&p.target, "target", "", "replay:NAME or an OpenAI-compatible base URL")
	f.StringVar(&p.model, "model", "", "model name sent to a URL target")
	f.IntVarP(&p.jobs, "jobs", "j", 4, "cases run at once")
	f.IntVar(&p.repeats, "repeats", 1, "run each case this many times")
	f.Float64Var(&p.rps, "rps", 0, "at most this many requests per second to the target (0: no limit)")
	f.StringVar(&p.db, "db", defaultEvalDB(), "eval results store: a SQLite file or a postgres:// URL (default $"+EvalDBEnv+" or modelspec.db)")
	f.StringVar(&p.resume, "resume", "", "continue the stored run RUN_ID: only the cases and repeats it lacks")
	f.BoolVar(&p.noCache, "no-cache", false, "ask the target even when the answer is cached, and cache nothing")
	f.DurationVar(&p.timeout, "timeout", 60*time.Second, "time limit per case, retries included")
	f.StringVar(&p.out, "out", "", "write results.jsonl and summary.json to this directory")
	f.StringVar(&p.junit, "junit", "", "write the results as JUnit XML to this file")
	f.StringVar(&p.html, "html", "", "write the HTML report of the run to this file (as 'eval report' does)")
	p.judge.register(f)
	f.BoolVar(&p.json, "json", false, "print the summary as JSON")
	f.BoolVar(&p.progress, "progress", false, "print progress to stderr even when it is not a terminal")
	f.Float64Var(&p.failUnder, "fail-under", 0, "exit 1 when the pass rate (0..1) is below this")
	f.StringVar(&p.specInContext, "spec-in-context", "", "run the suite twice, without and with the spec (--spec, default built-in) in the system prompt: full, or clauses (each case's own); compare per clause")
	f.Lookup("spec-in-context").NoOptDefVal = eval.SpecContextFull
	f.BoolVar(&p.specExamples, "spec-examples", false, "with --spec-in-context: include the clauses' worked examples")
	return c
}

func runEvalRun(ctx context.Context, stdout, stderr io.Writer, p evalRunParams) error {
	if p.resume == "" && (p.suite == "" || p.target == "") {
		return usageError("eval run: --suite and --target are required (or --resume RUN_ID)")
	}
	if p.jobs < 1 {
		return usageError("eval run: -j must be at least 1")
	}
	if p.failUnder < 0 || p.failUnder > 1 {
		return usageError("eval run: --fail-under must be within 0..1")
	}
	if p.repeats < 0 || p.repeats > store.MaxEvalRepeats {
		return usageError("eval run: --repeats must be within 1..%d", store.MaxEvalRepeats)
	}
	if p.rps < 0 {
		return usageError("eval run: --rps must not be negative")
	}
	if err := checkSpecInContext(p); err != nil {
		return err
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.dataDir == "" {
		p.dataDir = eval.DataDir()
	}
	if p.client == nil {
		p.client = evalHTTPClient(p.jobs)
	}
	// --spec names the judges' rubric, and the spec put in context.
	jf := p.judge
	if p.specInContext != "" && !jf.active() {
		jf.spec = ""
	}
	grader, err := jf.caseGrader(p.client)
	if err != nil {
		return err
	}
	st, err := openEvalStore(ctx, p.db)
	if err != nil {
		return usageError("eval run: %v", err)
	}
	defer st.Close()
	if p.resume != "" {
		run, err := st.GetRun(ctx, p.resume)
		if err == nil && run.Params["kind"] != "" {
			return usageError("eval run: --resume %s: the run was made by 'modelspec %s', not 'eval run'", p.resume, run.Params["kind"])
		}
		if err == nil && run.Params[paramPairedRun] != "" {
			return runSpecInContext(ctx, stdout, stderr, st, p, grader)
		}
	}
	if p.specInContext != "" {
		return runSpecInContext(ctx, stdout, stderr, st, p, grader)
	}
	sess, target, err := startOrResume(ctx, st, &p)
	if err != nil {
		return err
	}
	sess.Now = p.now
	run := sess.Run()

	runErr := executeRun(ctx, stderr, st, sess, target, grader, p)
	if runErr != nil && !errors.Is(runErr, eval.ErrInterrupted) {
		return usageError("eval run: %v", runErr)
	}

	// Read the run back from the store, even when ctx was cancelled: it
	// holds the results of earlier sessions of a resumed run too.
	rctx := context.WithoutCancel(ctx)
	sum, err := sess.Summary(rctx)
	if err != nil {
		return usageError("eval run: %v", err)
	}
	var results []eval.Result
	if p.out != "" || p.junit != "" || p.html != "" || p.judge.active() {
		results = make([]eval.Result, 0, sum.Results)
		for r, err := range sess.Results(rctx) {
			if err != nil {
				return usageError("eval run: %v", err)
			}
			results = append(results, r)
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
		if p.html != "" {
			run := eval.ReportRun{Summary: sum, Results: results, Cases: map[string]eval.Case{}}
			for _, c := range sess.Cases() {
				run.Cases[c.ID] = c
			}
			if err := eval.WriteHTMLFile(p.html, []eval.ReportRun{run}); err != nil {
				return usageError("%v", err)
			}
		}
	}
	if p.json {
		if err := writeJSON(stdout, sum); err != nil {
			return err
		}
	} else if err := writeEvalSummary(stdout, sum); err != nil {
		return err
	} else if err := writeJudgeAgreement(stdout, results); err != nil {
		return err
	}
	if runErr != nil {
		return usageError("eval run: %v; continue with: modelspec eval run --resume %s%s", runErr, run.ID, dbFlag(p.db))
	}
	if p.failUnder > 0 && (sum.Passed+sum.Failed == 0 || sum.PassRate < p.failUnder) {
		fmt.Fprintf(stderr, "modelspec: pass rate %.3f is below --fail-under %.3f\n", sum.PassRate, p.failUnder)
		return failure()
	}
	return nil
}

// executeRun runs what sess lacks against target, with a progress bar on
// stderr when it is a terminal (or with --progress) and --json is not
// given; the error is Session.Execute's.
func executeRun(ctx context.Context, stderr io.Writer, st store.EvalResults, sess *eval.Session, target eval.Target, grader eval.Grader, p evalRunParams) error {
	var bar *progressbar.ProgressBar
	if p.progress || (isTerminal(stderr) && !p.json) {
		bar = newProgressBar(stderr, sess.Pending(), "run "+sess.Run().ID)
	}
	started, pending := p.now(), sess.Pending()
	o := eval.RunOptions{Concurrency: p.jobs, Timeout: p.timeout, Now: p.now, RPS: p.rps}
	if !p.noCache {
		o.Cache = st
	}
	var onResult func(eval.Result)
	if bar != nil {
		onResult = func(eval.Result) { bar.Add(1) }
	}
	runErr := sess.Execute(ctx, target, grader, o, onResult)
	if bar != nil {
		finishProgressBar(stderr, bar, pending-sess.Pending(), pending, p.now().Sub(started))
	}
	return runErr
}

// newProgressBar is the bar of eval run and synth: count, rate and ETA.
func newProgressBar(stderr io.Writer, n int, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(desc), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("results"), progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

// finishProgressBar ends bar with the line "done/pending done in T (R/s)".
func finishProgressBar(stderr io.Writer, bar *progressbar.ProgressBar, done, pending int, el time.Duration) {
	bar.Finish()
	fmt.Fprintf(stderr, "%d/%d done in %s (%.1f/s)\n", done, pending, el.Round(time.Millisecond), float64(done)/max(el.Seconds(), 1e-9))
}

// startOrResume stores a new run of p's suite, or loads the run p.resume
// names and checks that p agrees with it; it returns the session and the
// target to run it against.
func startOrResume(ctx context.Context, st store.EvalResults, p *evalRunParams) (*eval.Session, eval.Target, error) {
	if p.resume != "" {
		sess, err := eval.ResumeSession(ctx, st, p.resume)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, usageError("eval run: --resume %s: no such run in %s (see 'modelspec eval runs')", p.resume, dbName(p.db))
		}
		if err != nil {
			return nil, nil, usageError("eval run: %v", err)
		}
		run := sess.Run()
		spec := run.Params["target"]
		for _, c := range []struct{ flag, given, stored string }{
			{"--suite", p.suite, run.Suite}, {"--target", p.target, spec}, {"--model", p.model, run.Model},
		} {
			if c.given != "" && c.given != c.stored {
				return nil, nil, usageError("eval run: --resume %s: %s %s differs from the run's %q", run.ID, c.flag, c.given, c.stored)
			}
		}
		if got := p.judge.params(); got != run.Params["judges"] {
			return nil, nil, usageError("eval run: --resume %s: the run was graded with judges %q; give the same --judge flags (now %q)", run.ID, run.Params["judges"], got)
		}
		if p.repeats != 0 && p.repeats != run.Repeats {
			return nil, nil, usageError("eval run: --resume %s: --repeats %d differs from the run's %d", run.ID, p.repeats, run.Repeats)
		}
		p.suite, p.target, p.model = run.Suite, spec, run.Model
		target, err := eval.ParseTarget(spec, eval.TargetOptions{
			DataDir: p.dataDir, Model: run.Model, APIKey: os.Getenv("OPENAI_API_KEY"), AnthropicKey: os.Getenv(eval.AnthropicKeyEnv), Client: p.client,
		})
		if err != nil {
			return nil, nil, usageError("eval run: --resume %s: %v", run.ID, err)
		}
		return sess, target, nil
	}
	cases, err := eval.LoadSuite(p.suite, p.dataDir)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	target, err := parseEvalTarget(p)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	runID, err := eval.NewRunID(p.now(), p.rand)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	sess, err := eval.StartSession(ctx, st, newRunRecord(p, runID, target), cases)
	if err != nil {
		return nil, nil, usageError("eval run: %v", err)
	}
	return sess, target, nil
}

// parseEvalTarget is the target p names (--target, --model, the keys
// from the environment).
func parseEvalTarget(p *evalRunParams) (eval.Target, error) {
	return eval.ParseTarget(p.target, eval.TargetOptions{
		DataDir: p.dataDir, Model: p.model, APIKey: os.Getenv("OPENAI_API_KEY"), AnthropicKey: os.Getenv(eval.AnthropicKeyEnv), Client: p.client,
	})
}

// newRunRecord is the stored run of a new `eval run` of p.
func newRunRecord(p *evalRunParams, id string, target eval.Target) store.EvalRun {
	return store.EvalRun{
		ID: id, Suite: p.suite, Target: target.Name(), Model: p.model, Grader: eval.CaseGrader{}.ID(),
		Repeats: max(p.repeats, 1), Started: p.now(),
		// What a resumed run needs again: the target as given.
		Params: map[string]string{"target": p.target, "timeout": p.timeout.String(), "judges": p.judge.params()},
	}
}

// dbFlag is the --db flag to repeat in a hint ("" for the default store).
func dbFlag(db string) string {
	if db == "" || db == defaultEvalDB() {
		return ""
	}
	return " --db " + dbName(db) // a URL's password shown as xxxxx
}

// evalHTTPClient keeps a connection per worker alive: the default
// transport keeps two per host, so sixteen workers would reconnect for
// most requests.
func evalHTTPClient(jobs int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(100, 2*jobs)
	tr.MaxIdleConnsPerHost = max(2, 2*jobs)
	return &http.Client{Transport: tr}
}

func writeEvalSummary(w io.Writer, s eval.Summary) error {
	fmt.Fprintf(w, "run %s: suite %s, target %s, grader %s", s.RunID, s.Suite, s.Target, s.Grader)
	if s.Repeats > 1 {
		fmt.Fprintf(w, ", %d repeats", s.Repeats)
	}
	if s.Cached > 0 {
		fmt.Fprintf(w, ", %d cached", s.Cached)
	}
	if s.Status != "" && s.Status != store.EvalDone {
		fmt.Fprintf(w, " (%s)", s.Status)
	}
	fmt.Fprint(w, "\n\n")
	tw := newTable(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clause\tpassed\tfailed\tunscored\tpass rate\t± s.e.\t")
	for _, c := range s.Clauses {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t\n", c.Clause, c.Passed, c.Failed, c.Unscored, pct(c.Passed, c.Failed), stdErr(c.StdErr))
	}
	fmt.Fprintf(tw, "total (%d cases)\t%d\t%d\t%d\t%s\t%s\t\n", s.Cases, s.Passed, s.Failed, s.Unscored, pct(s.Passed, s.Failed), stdErr(s.StdErr))
	return tw.Flush()
}

// stdErr prints a standard error in points, "-" when there is none.
func stdErr(se *float64) string {
	if se == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", 100**se)
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
	tw := newTable(w, 0, 0, 2, ' ', tabwriter.AlignRight)
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
