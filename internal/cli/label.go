package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/atomicfile"
	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/detect/refusal"
	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/label/autograde"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/reward"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/postgres"
	"github.com/modelspec/modelspec/internal/store/sqlite"
	"github.com/modelspec/modelspec/internal/web"
	labelweb "github.com/modelspec/modelspec/internal/web/label"
)

// ClauseMinScore is the least finding score that makes a clause apply to
// a task (label.Screens.MinScore): the content classifiers report weak
// findings on short, harmless texts.
const ClauseMinScore = 0.75

func newLabelCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "label",
		Short: "RLHF data: comparison tasks, trainers, auto-grading, agreement and preference export",
		Long: `Label manages the labeling workbench's data (the workbench itself is /label in
'modelspec serve'). The store is --db: a SQLite file (default $MODELSPEC_DB, else
modelspec.db) or a postgres:// URL.`,
	}, newLabelImportCmd(), newLabelUsersCmd(), newLabelAutogradeCmd(), newLabelAgreementCmd(), newLabelExportCmd())
}

// openLabelStore opens the label store named by db, like the eval store.
func openLabelStore(ctx context.Context, db string) (store.Labels, error) {
	if db == "" {
		db = defaultEvalDB()
	}
	if isPostgresDSN(db) {
		st, err := postgres.OpenLabels(ctx, db)
		if err != nil {
			return nil, fmt.Errorf("label store (postgres): %w", err)
		}
		return st, nil
	}
	st, err := sqlite.OpenLabels(ctx, db, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("label store %s: %w", db, err)
	}
	return st, nil
}

// labelScreens are the detectors that choose a task's clauses and that the
// auto-grader screens responses with: the gateway's.
func labelScreens() (label.Screens, error) {
	chain, err := builtin.ChainOfCommand()
	if err != nil {
		return label.Screens{}, err
	}
	content, err := builtin.Content(builtin.Options{})
	if err != nil {
		return label.Screens{}, err
	}
	return label.Screens{
		Conversation: policy.Options{Injection: chain.Injection, RoleSpoof: chain.RoleSpoof, Content: content},
		Responses:    append(slices.Clone(content), refusal.New()),
		MinScore:     ClauseMinScore,
	}, nil
}

// specVersion names the spec a task was prepared under.
func specVersion(s *spec.Spec) string {
	if s.Version == "" {
		return s.Name
	}
	if s.Name == "" {
		return s.Version
	}
	return s.Name + "@" + s.Version
}

func requireProject(p string) error {
	if p == "" {
		return usageError("--project is required")
	}
	if err := label.ValidID(p); err != nil {
		return usageError("--project: %v", err)
	}
	return nil
}

type labelImportParams struct {
	db, project, spec, suite string
	evalDirs, evalRuns       []string
	file                     string
}

func newLabelImportCmd() *cobra.Command {
	var p labelImportParams
	c := &cobra.Command{
		Use:   "import --project P (FILE.jsonl | --eval DIR... | --eval-run ID...)",
		Short: "Import comparison tasks from JSONL or from eval runs",
		Long: `Import adds comparison tasks to a project (created if it does not exist).

From JSONL (- reads standard input), one task a line:
  {"id": "t1", "messages": [{"role": "user", "content": "..."}],
   "responses": ["text", {"id": "b", "content": "...", "model": "m"}],
   "clauses": ["protect_privacy"], "expect": "refuse", "meta": {"k": "v"}}
id, clauses, expect and meta are optional. Decoding is strict: every problem
is reported with its line, and nothing is imported if there is one.

From eval runs: --eval DIR (an 'eval run --out' directory; repeat it, one per
model) or --eval-run ID (a run in the eval results store, --db); each case
answered by two or more runs becomes a task, the conversation taken from the
suite (--suite overrides the suite the results name).

Each task gets the clauses that apply: those it lists plus those the
detectors' findings on the conversation and the responses cite and those its
roles call for (developer instructions, tool output). Tasks already in the
project (same id) are kept as they are.`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				p.file = args[0]
			}
			return runLabelImport(c.Context(), c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	c.Flags().StringVar(&p.db, "db", "", "label store: a SQLite file or a postgres:// URL (default $MODELSPEC_DB, else modelspec.db)")
	c.Flags().StringVar(&p.project, "project", "", "project to import into")
	c.Flags().StringVar(&p.spec, "spec", "", "spec file (default: the built-in spec)")
	c.Flags().StringArrayVar(&p.evalDirs, "eval", nil, "an eval run's --out directory or results.jsonl (repeat)")
	c.Flags().StringArrayVar(&p.evalRuns, "eval-run", nil, "an eval run id in the eval results store (repeat)")
	c.Flags().StringVar(&p.suite, "suite", "", "suite of the eval runs (default: the one their results name)")
	return c
}

func runLabelImport(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, p labelImportParams) error {
	if err := requireProject(p.project); err != nil {
		return err
	}
	sources := 0
	for _, given := range []bool{p.file != "", len(p.evalDirs) > 0, len(p.evalRuns) > 0} {
		if given {
			sources++
		}
	}
	if sources != 1 {
		return usageError("label import: give one of FILE.jsonl, --eval DIR or --eval-run ID")
	}
	s, _, err := loadSpec(p.spec)
	if err != nil {
		return err
	}
	pol := policy.Effective(s, nil, nil)
	var tasks []label.Task
	var skipped []string
	switch {
	case p.file != "":
		data, err := readInput(stdin, p.file)
		if err != nil {
			return err
		}
		known := func(id string) bool { return s.Section(pol.Cite(id)) != nil }
		tasks, err = label.DecodeTasks(strings.NewReader(string(data)), p.file, label.DecodeOptions{KnownClause: known})
		if err != nil {
			return &exitError{code: ExitError, msg: err.Error()}
		}
	case len(p.evalDirs) > 0:
		if len(p.evalDirs) < 2 {
			return usageError("--eval: give two or more runs to compare (one per model)")
		}
		if tasks, skipped, err = tasksFromEvalDirs(p.evalDirs, p.suite); err != nil {
			return err
		}
	default:
		if len(p.evalRuns) < 2 {
			return usageError("--eval-run: give two or more runs to compare (one per model)")
		}
		if tasks, skipped, err = tasksFromEvalStore(ctx, p.db, p.evalRuns); err != nil {
			return err
		}
	}
	screens, err := labelScreens()
	if err != nil {
		return err
	}
	for i := range tasks {
		tasks[i].Clauses = label.Applicable(pol, tasks[i], screens)
		tasks[i].SpecVersion = specVersion(s)
		if tasks[i].Source == "" {
			tasks[i].Source = "import:" + filepath.Base(p.file)
		}
	}
	st, err := openLabelStore(ctx, p.db)
	if err != nil {
		return err
	}
	defer st.Close()
	switch err := st.CreateProject(ctx, store.LabelProject{ID: p.project, Created: time.Now()}); {
	case err == nil:
		fmt.Fprintf(stderr, "created project %s\n", p.project)
	case !errors.Is(err, store.ErrExists):
		return err
	}
	added, err := st.AddTasks(ctx, p.project, tasks)
	if err != nil {
		return err
	}
	for _, sk := range skipped {
		fmt.Fprintf(stderr, "skipped %s\n", sk)
	}
	fmt.Fprintf(stdout, "%d tasks added to %s (%d already there, %d skipped)\n", added, p.project, len(tasks)-added, len(skipped))
	return nil
}

// evalSummary is what import needs of an eval run's summary.json.
type evalSummary struct {
	RunID  string `json:"run_id"`
	Suite  string `json:"suite"`
	Target string `json:"target"`
	Model  string `json:"model"`
}

func tasksFromEvalDirs(dirs []string, suite string) ([]label.Task, []string, error) {
	var runs []autograde.Run
	named := "" // the suite the results name, which must be one
	for _, d := range dirs {
		path := eval.ResultsPath(d)
		rs, err := eval.ReadResultsFile(path)
		if err != nil {
			return nil, nil, &exitError{code: ExitError, msg: err.Error()}
		}
		sumPath := filepath.Join(filepath.Dir(path), "summary.json")
		sum := evalSummary{RunID: filepath.Base(filepath.Dir(path))}
		if b, err := os.ReadFile(sumPath); err == nil {
			if err := json.Unmarshal(b, &sum); err != nil {
				return nil, nil, usageError("%s: %v", sumPath, err)
			}
		}
		if sum.Suite == "" && len(rs) > 0 {
			sum.Suite = rs[0].Suite
		}
		if suite == "" && sum.Suite != "" {
			if named != "" && named != sum.Suite {
				return nil, nil, usageError("%s: suite %s, but an earlier run's is %s (compare runs of one suite, or give --suite)", path, sum.Suite, named)
			}
			named = sum.Suite
		}
		runs = append(runs, autograde.Run{Name: strings.TrimSpace(sum.Target + " " + sum.Model), RunID: sum.RunID, Results: rs})
	}
	if suite == "" {
		suite = named
	}
	if suite == "" {
		return nil, nil, usageError("--eval: the results name no suite; give --suite")
	}
	cases, err := loadEvalCases(suite)
	if err != nil {
		return nil, nil, err
	}
	tasks, skipped := autograde.FromEval(cases, runs)
	return tasks, skipped, nil
}

func loadEvalCases(suite string) ([]eval.Case, error) {
	var cases []eval.Case
	var err error
	if eval.IsSuiteFile(suite) {
		cases, err = eval.LoadSuiteFile(suite)
	} else {
		cases, err = eval.LoadSuite(suite, eval.DataDir())
	}
	if err != nil {
		return nil, fmt.Errorf("suite %s: %w", suite, err)
	}
	return cases, nil
}

// tasksFromEvalStore builds tasks from runs in the eval results store: the
// cases the first run stored, the first repeat's answer of each run.
func tasksFromEvalStore(ctx context.Context, db string, ids []string) ([]label.Task, []string, error) {
	es, err := openEvalStore(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	defer es.Close()
	var runs []autograde.Run
	var cases []eval.Case
	runsSuite := ""
	for i, id := range ids {
		run, err := es.GetRun(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("eval run %s: %w", id, err)
		}
		if i == 0 {
			for c, err := range es.Cases(ctx, id) {
				if err != nil {
					return nil, nil, fmt.Errorf("eval run %s: %w", id, err)
				}
				var ec eval.Case
				if err := json.Unmarshal(c.Data, &ec); err != nil {
					return nil, nil, fmt.Errorf("eval run %s: case %s: %w", id, c.ID, err)
				}
				cases = append(cases, ec)
			}
		} else if first := runsSuite; run.Suite != first {
			return nil, nil, usageError("eval run %s: suite %s, but run %s's is %s (compare runs of one suite)", id, run.Suite, ids[0], first)
		}
		runsSuite = run.Suite
		r := autograde.Run{Name: strings.TrimSpace(run.Target + " " + run.Model), RunID: run.ID}
		for res, err := range es.Results(ctx, id) {
			if err != nil {
				return nil, nil, fmt.Errorf("eval run %s: %w", id, err)
			}
			if res.Repeat == 0 {
				r.Results = append(r.Results, eval.Result{CaseID: res.CaseID, Answer: res.Answer, Grade: eval.Grade{Status: res.Status}})
			}
		}
		runs = append(runs, r)
	}
	tasks, skipped := autograde.FromEval(cases, runs)
	return tasks, skipped, nil
}

type labelUsersParams struct {
	db, project, role string
	passwordStdin     bool
}

func newLabelUsersCmd() *cobra.Command {
	var p labelUsersParams
	add := &cobra.Command{
		Use:   "add NAME --project P [--role trainer|lead] [--password-stdin]",
		Short: "Add a trainer to a project (or change their role or password)",
		Long: `Add creates the trainer (and the project) if needed and makes them a member of the project with the
role (trainer, or lead: sees progress and disagreements and exports). With
--password-stdin the password is the first line of standard input; without it
a new trainer gets a random password, printed once; an existing trainer keeps
theirs. Passwords are stored as bcrypt hashes.`,
		Args: rangeArgs(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabelUsersAdd(c.Context(), c.InOrStdin(), c.OutOrStdout(), args[0], p)
		},
	}
	add.Flags().StringVar(&p.db, "db", "", "label store: a SQLite file or a postgres:// URL")
	add.Flags().StringVar(&p.project, "project", "", "project")
	add.Flags().StringVar(&p.role, "role", store.RoleTrainer, "trainer or lead")
	add.Flags().BoolVar(&p.passwordStdin, "password-stdin", false, "read the password from standard input")
	var lp labelUsersParams
	list := &cobra.Command{
		Use:   "list",
		Short: "List trainers and their projects",
		Args:  rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabelUsersList(c.Context(), c.OutOrStdout(), lp)
		},
	}
	list.Flags().StringVar(&lp.db, "db", "", "label store: a SQLite file or a postgres:// URL")
	return group(&cobra.Command{Use: "users", Short: "Trainers and their projects"}, add, list)
}

func runLabelUsersAdd(ctx context.Context, stdin io.Reader, stdout io.Writer, name string, p labelUsersParams) error {
	if err := requireProject(p.project); err != nil {
		return err
	}
	if !store.ValidRole(p.role) {
		return usageError("--role %q: want %s or %s", p.role, store.RoleTrainer, store.RoleLead)
	}
	var password string
	if p.passwordStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	st, err := openLabelStore(ctx, p.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CreateProject(ctx, store.LabelProject{ID: p.project, Created: time.Now()}); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	_, err = st.GetTrainer(ctx, name)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	generated := false
	if !exists && password == "" {
		password, generated = randomPassword(), true
	}
	if password != "" {
		hash, err := labelweb.HashPassword(password)
		if err != nil {
			return usageError("%v", err)
		}
		if err := st.PutTrainer(ctx, store.Trainer{Name: name, PasswordHash: hash, Created: time.Now()}); err != nil {
			if errors.Is(err, store.ErrInvalid) {
				return usageError("%v", err)
			}
			return err
		}
	}
	if err := st.AddMember(ctx, p.project, name, p.role); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is a %s of %s\n", name, p.role, p.project)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	return nil
}

// randomPassword is 20 characters of base32 from crypto/rand (100 bits).
func randomPassword() string {
	b := make([]byte, 13)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
}

func runLabelUsersList(ctx context.Context, stdout io.Writer, p labelUsersParams) error {
	st, err := openLabelStore(ctx, p.db)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := st.Trainers(ctx)
	if err != nil {
		return err
	}
	tw := newTable(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRAINER\tPROJECTS")
	for _, t := range ts {
		ms, err := st.Memberships(ctx, t.Name)
		if err != nil {
			return err
		}
		var ps []string
		for _, m := range ms {
			ps = append(ps, m.Project+" ("+m.Role+")")
		}
		fmt.Fprintf(tw, "%s\t%s\n", t.Name, orDash(strings.Join(ps, ", ")))
	}
	return tw.Flush()
}

type labelAutogradeParams struct {
	db, project, spec, clause string
	jobs                      int
}

func newLabelAutogradeCmd() *cobra.Command {
	var p labelAutogradeParams
	c := &cobra.Command{
		Use:   "autograde --project P [--clause C]",
		Short: "Label a project's tasks with the evaluator's graders",
		Long: `Autograde labels every task of the project (or those of one clause) as
auto:grade.case: the evaluator's graders judge each response against what the
task expects (a refusal, help, ignoring injected instructions; inferred from
the conversation's screening when the task does not say), and the content
screens judge what the response contains. Each response gets a rating
(ideal, acceptable, unacceptable, disallowed) with the clause and the reason;
the label chooses or ranks when the ratings tell the responses apart. Running
it again replaces the auto-grader's earlier labels.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabelAutograde(c.Context(), c.OutOrStdout(), p)
		},
	}
	c.Flags().StringVar(&p.db, "db", "", "label store: a SQLite file or a postgres:// URL")
	c.Flags().StringVar(&p.project, "project", "", "project")
	c.Flags().StringVar(&p.spec, "spec", "", "spec file (default: the built-in spec)")
	c.Flags().StringVar(&p.clause, "clause", "", "only the tasks this clause applies to")
	c.Flags().IntVarP(&p.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "tasks graded at once")
	return c
}

// newAutograder returns the auto-grader the CLI and serve use.
func newAutograder(s *spec.Spec) (*autograde.Grader, error) {
	screens, err := labelScreens()
	if err != nil {
		return nil, err
	}
	return &autograde.Grader{Policy: policy.Effective(s, nil, nil), Screens: screens}, nil
}

func runLabelAutograde(ctx context.Context, stdout io.Writer, p labelAutogradeParams) error {
	if err := requireProject(p.project); err != nil {
		return err
	}
	s, _, err := loadSpec(p.spec)
	if err != nil {
		return err
	}
	g, err := newAutograder(s)
	if err != nil {
		return err
	}
	st, err := openLabelStore(ctx, p.db)
	if err != nil {
		return err
	}
	defer st.Close()
	tasks, err := st.Tasks(ctx, store.TaskFilter{Project: p.project, Clause: p.clause})
	if err != nil {
		return err
	}
	type graded struct {
		l  label.Label
		ok bool
	}
	jobs := make(chan label.Task)
	out := make(chan graded)
	var wg sync.WaitGroup
	for range max(p.jobs, 1) {
		wg.Go(func() {
			for t := range jobs {
				l, ok := g.Label(ctx, t, time.Now())
				out <- graded{l, ok}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, t := range tasks {
			select {
			case jobs <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	counts := map[label.Rating]int{}
	labelled, none := 0, 0
	var firstErr error
	for r := range out {
		if !r.ok {
			none++
			continue
		}
		if firstErr == nil {
			if err := st.PutLabel(ctx, r.l); err != nil {
				firstErr = err
				continue
			}
			labelled++
			for _, rt := range r.l.Ratings {
				counts[rt]++
			}
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d of %d tasks labelled by %s (%d without a verdict)\n", labelled, len(tasks), g.Trainer(), none)
	for _, r := range label.RatingScale {
		fmt.Fprintf(stdout, "  %-12s %d responses\n", r, counts[r])
	}
	return nil
}

type labelAgreementParams struct {
	db, project, clause string
	json                bool
	minAlpha            float64
}

func newLabelAgreementCmd() *cobra.Command {
	var p labelAgreementParams
	c := &cobra.Command{
		Use:   "agreement --project P [--clause C] [--json] [--min-alpha X]",
		Short: "Agreement between trainers, and between trainers and the auto-grader, per clause",
		Long: `Agreement prints, for all tasks and for each clause (the tasks it applies to or
a label cites): Krippendorff's alpha among the trainers on the chosen response
(nominal, one unit a task) and on the ratings (ordinal over ideal > acceptable
> unacceptable > disallowed, one unit a response), the same with the
auto-grader counted as a rater, and Cohen's kappa for every pair of raters.
"-" marks a coefficient with no value (too little data, or no variation).

Exit status 1 with --min-alpha X when the trainers' rating alpha over all
tasks is below X or has no value.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabelAgreement(c.Context(), c.OutOrStdout(), p, c.Flags().Changed("min-alpha"))
		},
	}
	c.Flags().StringVar(&p.db, "db", "", "label store: a SQLite file or a postgres:// URL")
	c.Flags().StringVar(&p.project, "project", "", "project")
	c.Flags().StringVar(&p.clause, "clause", "", "only this clause's row (and the row of all tasks)")
	c.Flags().BoolVar(&p.json, "json", false, "print JSON")
	c.Flags().Float64Var(&p.minAlpha, "min-alpha", 0, "fail (exit 1) when the trainers' rating alpha is below this")
	return c
}

func runLabelAgreement(ctx context.Context, stdout io.Writer, p labelAgreementParams, gate bool) error {
	if err := requireProject(p.project); err != nil {
		return err
	}
	st, err := openLabelStore(ctx, p.db)
	if err != nil {
		return err
	}
	defer st.Close()
	tasks, err := st.Tasks(ctx, store.TaskFilter{Project: p.project})
	if err != nil {
		return err
	}
	labels, err := st.Labels(ctx, store.LabelFilter{Project: p.project})
	if err != nil {
		return err
	}
	rows := label.Agreement(tasks, labels)
	if p.clause != "" {
		rows = slices.DeleteFunc(rows, func(r label.ClauseAgreement) bool { return r.Clause != "" && r.Clause != p.clause })
	}
	if p.json {
		err = writeJSON(stdout, map[string]any{"project": p.project, "clauses": rows})
	} else {
		err = writeAgreement(stdout, rows)
	}
	if err != nil {
		return err
	}
	if gate {
		all := rows[0]
		if !all.RatingAlpha.Defined() || all.RatingAlpha.Value < p.minAlpha {
			return &exitError{code: ExitFailure, msg: fmt.Sprintf("rating alpha %s is below --min-alpha %.3f", fmtStat(all.RatingAlpha), p.minAlpha)}
		}
	}
	return nil
}

func fmtStat(s label.Stat) string {
	if !s.Defined() {
		return "-"
	}
	return fmt.Sprintf("%.3f", s.Value)
}

func clauseName(c string) string {
	if c == "" {
		return "(all tasks)"
	}
	return c
}

func writeAgreement(w io.Writer, rows []label.ClauseAgreement) error {
	tw := newTable(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CLAUSE\tTASKS\tLABELS\tCHOICE α\tRATING α\tCHOICE α +AUTO\tRATING α +AUTO\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", clauseName(r.Clause), r.Tasks, r.Labels,
			fmtStat(r.ChoiceAlpha), fmtStat(r.RatingAlpha), fmtStat(r.ChoiceAlphaWithAuto), fmtStat(r.RatingAlphaWithAuto))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = newTable(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLAUSE\tRATERS\tCHOICE κ (TASKS)\tRATING κ (RESPONSES)")
	for _, r := range rows {
		for _, pk := range r.Pairs {
			fmt.Fprintf(tw, "%s\t%s ↔ %s\t%s (%d)\t%s (%d)\n", clauseName(r.Clause), pk.A, pk.B,
				fmtStat(pk.Choice), pk.Choice.Units, fmtStat(pk.Rating), pk.Rating.Units)
		}
	}
	return tw.Flush()
}

type labelExportParams struct {
	db, project, format, out string
	clauses                  []string
	minAgreement             float64
	minLabels                int
	includeAuto, noMetadata  bool
}

func newLabelExportCmd() *cobra.Command {
	var p labelExportParams
	c := &cobra.Command{
		Use:   "export --project P --format openai|pairs [--out FILE]",
		Short: "Export preference pairs for fine-tuning",
		Long: `Export writes the preference pairs the labels support as JSONL:

  openai  OpenAI preference (DPO) fine-tuning: {"input": {"messages": [...]},
          "preferred_output": [...], "non_preferred_output": [...]}
  pairs   {"prompt": [messages], "chosen": [...], "rejected": [...]}, the
          conversational form preference trainers such as TRL's read

Every line carries "metadata": the task id, the clause ids, the spec version
and the votes (--no-metadata leaves it out). A pair is two responses that the
labels order (a ranking orders all; a choice puts the chosen one above each
other), in the order a strict majority of those labels give; --min-agreement
and --min-labels tighten that. --out is written atomically.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabelExport(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	c.Flags().StringVar(&p.db, "db", "", "label store: a SQLite file or a postgres:// URL")
	c.Flags().StringVar(&p.project, "project", "", "project")
	c.Flags().StringVar(&p.format, "format", label.FormatOpenAI, "openai or pairs")
	c.Flags().StringVarP(&p.out, "out", "o", "", "output file (default: standard output)")
	c.Flags().StringArrayVar(&p.clauses, "clause", nil, "only tasks this clause applies to or a label cites (repeat)")
	c.Flags().Float64Var(&p.minAgreement, "min-agreement", 0, "least share of the labels ordering a pair that agree (e.g. 0.75)")
	c.Flags().IntVar(&p.minLabels, "min-labels", 1, "least number of labels ordering a pair")
	c.Flags().BoolVar(&p.includeAuto, "include-auto", false, "count the auto-grader's labels as votes")
	c.Flags().BoolVar(&p.noMetadata, "no-metadata", false, "leave out the metadata object")
	return c
}

func runLabelExport(ctx context.Context, stdout, stderr io.Writer, p labelExportParams) error {
	if err := requireProject(p.project); err != nil {
		return err
	}
	if !slices.Contains(label.Formats, p.format) {
		return usageError("--format %q: want %s", p.format, strings.Join(label.Formats, " or "))
	}
	if p.minAgreement < 0 || p.minAgreement > 1 || math.IsNaN(p.minAgreement) {
		return usageError("--min-agreement %v: want 0 to 1", p.minAgreement)
	}
	st, err := openLabelStore(ctx, p.db)
	if err != nil {
		return err
	}
	defer st.Close()
	tasks, err := st.Tasks(ctx, store.TaskFilter{Project: p.project})
	if err != nil {
		return err
	}
	labels, err := st.Labels(ctx, store.LabelFilter{Project: p.project})
	if err != nil {
		return err
	}
	pairs := label.Pairs(tasks, labels, label.PairOptions{MinAgreement: p.minAgreement, MinLabels: p.minLabels,
		Clauses: p.clauses, IncludeAuto: p.includeAuto})
	opts := label.ExportOptions{Format: p.format, NoMetadata: p.noMetadata}
	if p.out == "" {
		return label.Export(stdout, pairs, opts)
	}
	if err := atomicfile.Write(p.out, func(w io.Writer) error { return label.Export(w, pairs, opts) }); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d pairs from %d tasks written to %s\n", len(pairs), len(tasks), p.out)
	return nil
}

// labelHandler mounts the labeling workbench (/label/) and the reward API
// (POST /v1/grade) in front of the gateway's handler. The reward API takes
// the apps' keys (none configured: loopback only, like the gateway).
func labelHandler(ctx context.Context, cfg config.Config, s *spec.Spec, gw http.Handler, log *slog.Logger) (http.Handler, func(), error) {
	db := cfg.Label.Path
	if cfg.Label.Driver == "postgres" {
		db = cfg.Label.DSN
	}
	st, err := openLabelStore(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	key := []byte(cfg.Label.SessionKey)
	if len(key) == 0 {
		key = web.RandomKey()
		log.Warn("label: no session_key_env: sessions end when the server restarts")
	}
	sessions, err := web.NewSessions(key, web.SessionOptions{Name: "modelspec_label", Secure: cfg.Label.SecureCookies, Path: labelweb.Prefix})
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("label: %w", err)
	}
	g, err := newAutograder(s)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	wb, err := labelweb.New(labelweb.Config{Store: st, Sessions: sessions, Spec: s, Grader: g, TrustForwarded: cfg.Label.TrustForwarded, Log: log})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	var hashes []string
	for _, a := range cfg.Apps {
		hashes = append(hashes, a.KeySHA256)
	}
	auth, err := reward.BearerKeys(hashes)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("label: %w", err)
	}
	rw := reward.New(g, reward.Options{MaxBatch: cfg.Label.MaxBatch, Authorize: auth, SpecVersion: specVersion(s)})
	mux := http.NewServeMux()
	mux.Handle(labelweb.Prefix+"/", wb.Handler())
	mux.Handle(labelweb.Prefix, wb.Handler())
	mux.Handle(reward.Path, rw.Handler())
	mux.Handle("/", gw)
	log.Info("label: workbench at "+labelweb.Prefix+"/, reward API at POST "+reward.Path, "store", cfg.Label.Driver)
	return mux, func() { st.Close() }, nil
}
