package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/atomicfile"
	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/synth"
)

type synthParams struct {
	suite, teacher, model, out  string
	jobs, samples               int
	timeout                     time.Duration
	rps                         float64
	db                          string
	noCache                     bool
	judge                       evalJudgeFlags
	keepReasoning, reasoningOut string
	noMetadata                  bool
	minKept                     string
	json, progress              bool
	// Injected for tests; zero values mean the real ones.
	now     func() time.Time
	rand    io.Reader
	client  *http.Client
	dataDir string
}

func newSynthCmd() *cobra.Command {
	var p synthParams
	c := &cobra.Command{
		Use:   "synth --suite S --teacher T [--model M] --out FILE [--spec F] [--judge URL --judge-model M]... [--samples N] [-j N] [--rps R] [--keep-reasoning metadata|inline] [--reasoning-out FILE] [--min-kept N|P%] [--json]",
		Short: "Make fine-tuning data from the spec: a teacher reasons over the clauses, graders keep what complies",
		Long: `Synth makes supervised fine-tuning data the way deliberative alignment does
(Guan et al. 2024): for each case of a suite (a built-in suite or a suite
file, as for 'eval run'), it picks the clauses that apply — the case's own,
those the detectors' findings on the conversation point to, the chain of
command when a system or developer message speaks, the rule on untrusted
data when a tool turn or quoted data is there — and asks a teacher model
(--teacher: an OpenAI-compatible base URL with --model, or anthropic:[URL])
with the text of those clauses and their worked examples in the system
prompt to reason about which apply inside <reasoning>…</reasoning> and then
answer inside <answer>…</answer>. A case no clause of the spec applies to
is not asked.

The answer (without the reasoning) is kept only when it passes the case's
graders (grade.case: refusal, injection, clarify, regex, length, schema,
detectors; with --judge, grade.judge and grade.pairwise as in 'eval run'),
the reply has both parts, and the answer cites no clause id. With
--samples N the teacher is asked N times per case and the passing reply
with the best judge score (else the first) is kept.

--out FILE is written atomically as OpenAI chat fine-tuning JSONL: a line
{"messages": [...], "metadata": {...}} per kept case; the messages are the
conversation as the evaluator sends it, WITHOUT the spec (a developer
message written as system; the case's own assistant turns with weight 0,
so only the kept answer is trained on), then the answer. metadata holds
case_id, suite, sample, clauses, expect, spec, spec_version, teacher, model,
run_id and the graders' verdicts; --no-metadata leaves it out. OpenAI's
chat format has no field for a chain of thought: --keep-reasoning metadata
keeps it in metadata.reasoning (not trained on), --keep-reasoning inline
writes it before the answer in the assistant message (trained on, so the
model learns to reason in the open), --reasoning-out FILE writes it to a
separate JSONL file ({"line","case_id","sample","reasoning"}).

The teacher's replies are kept as a run in the eval results store (--db,
as for 'eval run'; listed by 'eval runs'), so they are cached: running the
same command again (after Ctrl-C, or with other graders) asks the teacher
only what it did not answer. -j, --rps and --timeout are as for 'eval run'.

The summary (or --json: kept and dropped per clause, dropped cases per
reason — teacher_error, ungraded, no_clauses, not_run, or the check that
failed: synth.reply, synth.cites_spec, grade.refusal, grade.judge, … — and
each dropped case) goes to stdout. Exit status: 0 done, 1 fewer kept than
--min-kept (a count, or a share of the suite's cases such as 80%; the file
is written all the same), 2 an error or an interrupted run (nothing is
written).`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runSynth(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	f := c.Flags()
	f.StringVar(&p.suite, "suite", "", "suite name (see 'modelspec eval suites') or a .yaml/.jsonl suite file")
	f.StringVar(&p.teacher, "teacher", "", "the teacher: an OpenAI-compatible base URL, or anthropic:[URL]")
	f.StringVar(&p.model, "model", "", "the teacher's model")
	f.StringVar(&p.out, "out", "", "the fine-tuning JSONL file to write")
	f.IntVarP(&p.jobs, "jobs", "j", 4, "requests to the teacher at once")
	f.IntVar(&p.samples, "samples", 1, "replies asked per case; the best that passes is kept")
	f.DurationVar(&p.timeout, "timeout", 120*time.Second, "time limit per reply, retries included")
	f.Float64Var(&p.rps, "rps", 0, "at most this many requests per second to the teacher (0: no limit)")
	f.StringVar(&p.db, "db", defaultEvalDB(), "eval results store: a SQLite file or a postgres:// URL (default $"+EvalDBEnv+" or modelspec.db)")
	f.BoolVar(&p.noCache, "no-cache", false, "ask the teacher even when the reply is cached, and cache nothing")
	p.judge.register(f)
	f.StringVar(&p.keepReasoning, "keep-reasoning", "", "keep the teacher's reasoning: metadata (in metadata.reasoning) or inline (before the answer, trained on)")
	f.StringVar(&p.reasoningOut, "reasoning-out", "", "write the reasoning of each line to this JSONL file")
	f.BoolVar(&p.noMetadata, "no-metadata", false, "leave the metadata object out of each line")
	f.StringVar(&p.minKept, "min-kept", "", "exit 1 when fewer cases are kept: a count (100) or a share of the cases (80%)")
	f.BoolVar(&p.json, "json", false, "print the summary as JSON")
	f.BoolVar(&p.progress, "progress", false, "print progress to stderr even when it is not a terminal")
	return c
}

// parseMinKept reads --min-kept: a count, or a percentage of cases.
func parseMinKept(s string, cases int) (int, error) {
	if s == "" {
		return 0, nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(pct, 64)
		if err != nil || v < 0 || v > 100 {
			return 0, fmt.Errorf("--min-kept %q: want a count or a percentage 0%%..100%%", s)
		}
		n := v / 100 * float64(cases)
		k := int(n)
		if float64(k) < n {
			k++
		}
		return k, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--min-kept %q: want a count or a percentage such as 80%%", s)
	}
	return n, nil
}

func runSynth(ctx context.Context, stdout, stderr io.Writer, p synthParams) error {
	switch {
	case p.suite == "" || p.teacher == "" || p.out == "":
		return usageError("synth: --suite, --teacher and --out are required")
	case strings.HasPrefix(p.teacher, "replay:"):
		return usageError("synth: --teacher %s: a replay answers from recordings and cannot read the spec; give a model endpoint", p.teacher)
	case p.jobs < 1:
		return usageError("synth: -j must be at least 1")
	case p.samples < 1 || p.samples > 100:
		return usageError("synth: --samples must be within 1..100")
	case p.rps < 0:
		return usageError("synth: --rps must not be negative")
	}
	reasoning := p.keepReasoning
	switch reasoning {
	case synth.ReasoningDrop, synth.ReasoningMetadata, synth.ReasoningInline:
	default:
		return usageError("synth: --keep-reasoning %q: want %s or %s", reasoning, synth.ReasoningMetadata, synth.ReasoningInline)
	}
	if reasoning == synth.ReasoningMetadata && p.noMetadata {
		return usageError("synth: --keep-reasoning metadata and --no-metadata exclude each other (use --reasoning-out FILE)")
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
	res, err := specload.Load(p.judge.spec)
	if err != nil {
		return usageError("synth: --spec: %v", err)
	}
	cases, err := eval.LoadSuite(p.suite, p.dataDir)
	if err != nil {
		return usageError("synth: %v", err)
	}
	minKept, err := parseMinKept(p.minKept, len(cases))
	if err != nil {
		return usageError("synth: %v", err)
	}
	teacher, err := eval.ParseTarget(p.teacher, eval.TargetOptions{DataDir: p.dataDir, Model: p.model,
		APIKey: os.Getenv("OPENAI_API_KEY"), AnthropicKey: os.Getenv(eval.AnthropicKeyEnv), Client: p.client})
	if err != nil {
		return usageError("synth: --teacher: %v", err)
	}
	// --spec names the teacher's clauses, and the judges' rubric.
	jf := p.judge
	if !jf.active() {
		jf.spec = ""
	}
	grader, err := jf.caseGrader(p.client)
	if err != nil {
		return err
	}
	chain, err := builtin.ChainOfCommand()
	if err != nil {
		return usageError("synth: %v", err)
	}
	content, err := builtin.Content(builtin.Options{})
	if err != nil {
		return usageError("synth: %v", err)
	}
	screens := label.Screens{Conversation: policy.Options{Injection: chain.Injection, RoleSpoof: chain.RoleSpoof, Content: content},
		MinScore: synth.DefaultMinScore}
	runID, err := eval.NewRunID(p.now(), p.rand)
	if err != nil {
		return usageError("synth: %v", err)
	}
	st, err := openEvalStore(ctx, p.db)
	if err != nil {
		return usageError("synth: %v", err)
	}
	defer st.Close()

	o := synth.Options{RunID: runID, Suite: p.suite, Cases: cases, Spec: res.Spec, SpecName: specArg(p.judge.spec),
		Screens: screens, Teacher: teacher, Model: p.model, Grader: grader, Samples: p.samples, Now: p.now,
		Run:    eval.RunOptions{Concurrency: p.jobs, Timeout: p.timeout, RPS: p.rps},
		Params: map[string]string{"target": p.teacher, "timeout": p.timeout.String(), "judges": p.judge.params()}}
	if !p.noCache {
		o.Run.Cache = st
	}
	var bar *progressbar.ProgressBar
	started, pending, done := p.now(), 0, 0
	if p.progress || (isTerminal(stderr) && !p.json) {
		o.OnStart = func(n int) { pending, bar = n, newProgressBar(stderr, n, "synth "+runID) }
		o.OnResult = func(eval.Result) { done++; bar.Add(1) }
	}
	out, err := synth.Generate(ctx, st, o)
	if bar != nil {
		finishProgressBar(stderr, bar, done, pending, p.now().Sub(started))
	}
	if errors.Is(err, eval.ErrInterrupted) {
		return usageError("synth: %v; nothing written. Run the same command again: the replies stored in %s come from the cache", err, dbName(p.db))
	}
	if err != nil {
		return usageError("synth: %v", err)
	}
	wo := synth.WriteOptions{Reasoning: reasoning, NoMetadata: p.noMetadata}
	if err := atomicfile.Write(p.out, func(w io.Writer) error { return synth.WriteJSONL(w, out.Examples, wo) }); err != nil {
		return usageError("synth: %v", err)
	}
	if p.reasoningOut != "" {
		if err := atomicfile.Write(p.reasoningOut, func(w io.Writer) error { return synth.WriteReasoning(w, out.Examples) }); err != nil {
			return usageError("synth: %v", err)
		}
	}
	if p.json {
		if err := writeJSON(stdout, out.Summary); err != nil {
			return err
		}
	} else if err := writeSynthSummary(stdout, p.out, out.Summary); err != nil {
		return err
	}
	if out.Summary.Kept < minKept {
		fmt.Fprintf(stderr, "modelspec: %d case(s) kept, fewer than --min-kept %s (%d)\n", out.Summary.Kept, p.minKept, minKept)
		return failure()
	}
	return nil
}

// maxDroppedListed bounds the dropped cases the text summary lists
// (--json lists them all).
const maxDroppedListed = 20

func writeSynthSummary(w io.Writer, path string, s synth.Summary) error {
	fmt.Fprintf(w, "synth run %s: suite %s, teacher %s", s.RunID, s.Suite, s.Teacher)
	if s.Model != "" {
		fmt.Fprintf(w, " (%s)", s.Model)
	}
	fmt.Fprintf(w, ", spec %s %s, %d sample(s) per case", s.Spec, s.SpecVersion, s.Samples)
	if s.Cached > 0 {
		fmt.Fprintf(w, ", %d cached", s.Cached)
	}
	fmt.Fprintf(w, "\nkept %d of %d cases (%.1f%%) in %s\n\n", s.Kept, s.Cases, 100*s.KeptRate, path)
	tw := newTable(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clause\tcases\tkept\tdropped\t")
	for _, c := range s.Clauses {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", c.Clause, c.Cases, c.Kept, c.Dropped)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t\n", s.Cases, s.Kept, s.Dropped)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.DroppedBy) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\ndropped cases by reason (a case counts under each reason one of its samples failed for):")
	tw = newTable(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, why := range slices.Sorted(maps.Keys(s.DroppedBy)) {
		fmt.Fprintf(tw, "%s\t%d\t\n", why, s.DroppedBy[why])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for i, d := range s.DroppedCases {
		if i == maxDroppedListed {
			fmt.Fprintf(w, "  ... and %d more (see --json)\n", len(s.DroppedCases)-i)
			break
		}
		fmt.Fprintf(w, "  %s [%s] (%s) %s\n", d.CaseID, strings.Join(d.Clauses, ","), strings.Join(d.Reasons, ","), oneLine(d.Detail))
	}
	return nil
}
