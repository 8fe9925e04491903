package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/store"
)

// Params of the two linked runs of `eval run --spec-in-context`.
const (
	// paramSpecInContext is "off" in the run without the spec, the mode
	// (full or clauses) in the run with it.
	paramSpecInContext = "spec_in_context"
	// paramPairedRun is the other run's id.
	paramPairedRun   = "paired_run"
	paramSpec        = "spec"
	paramSpecVersion = "spec_version"
	paramSpecExample = "spec_examples"
	specContextOff   = "off"
)

// specInContextJSON is `eval run --spec-in-context --json`.
type specInContextJSON struct {
	Mode        string          `json:"spec_in_context"`
	Spec        string          `json:"spec"`
	SpecVersion string          `json:"spec_version"`
	Without     eval.Summary    `json:"without_spec"`
	With        eval.Summary    `json:"with_spec"`
	Comparison  eval.Comparison `json:"comparison"`
}

// checkSpecInContext validates --spec-in-context and what it excludes.
func checkSpecInContext(p evalRunParams) error {
	if p.specInContext == "" {
		if p.specExamples {
			return usageError("eval run: --spec-examples needs --spec-in-context")
		}
		return nil
	}
	switch p.specInContext {
	case eval.SpecContextFull, eval.SpecContextClauses:
	default:
		return usageError("eval run: --spec-in-context %q: want %s or %s", p.specInContext, eval.SpecContextFull, eval.SpecContextClauses)
	}
	if p.junit != "" || p.failUnder > 0 {
		return usageError("eval run: --junit and --fail-under take one run; with --spec-in-context use --out DIR and 'eval compare'")
	}
	return nil
}

// runSpecInContext runs (or resumes) the pair of runs of
// --spec-in-context: A without the spec, B with it, against the same
// target, with the same grader and options; then compares them.
func runSpecInContext(ctx context.Context, stdout, stderr io.Writer, st store.EvalResults, p evalRunParams, grader eval.Grader) error {
	var pair [2]*eval.Session
	var target eval.Target
	if p.resume != "" {
		sess, t, err := startOrResume(ctx, st, &p)
		if err != nil {
			return err
		}
		if sess.Run().Params[paramPairedRun] == "" {
			return usageError("eval run: --resume %s: the run was not made with --spec-in-context", p.resume)
		}
		other, err := eval.ResumeSession(ctx, st, sess.Run().Params[paramPairedRun])
		if err != nil {
			return usageError("eval run: --resume %s: its paired run: %v", p.resume, err)
		}
		pair, target = [2]*eval.Session{sess, other}, t
		if sess.Run().Params[paramSpecInContext] != specContextOff {
			pair = [2]*eval.Session{other, sess}
		}
		stored := pair[1].Run().Params
		if pair[0].Run().Params[paramSpecInContext] != specContextOff || stored[paramPairedRun] != pair[0].Run().ID {
			return usageError("eval run: --resume %s: runs %s and %s are not a --spec-in-context pair", p.resume, pair[0].Run().ID, pair[1].Run().ID)
		}
		for _, c := range []struct{ flag, given, stored string }{
			{"--spec-in-context", p.specInContext, stored[paramSpecInContext]}, {"--spec", p.judge.spec, stored[paramSpec]},
		} {
			if c.given != "" && c.given != c.stored {
				return usageError("eval run: --resume %s: %s %s differs from the run's %q", p.resume, c.flag, c.given, c.stored)
			}
		}
		p.specInContext, p.judge.spec, p.specExamples = stored[paramSpecInContext], stored[paramSpec], stored[paramSpecExample] == "true"
	}
	res, err := specload.Load(p.judge.spec)
	if err != nil {
		return usageError("eval run: --spec: %v", err)
	}
	if p.resume != "" && res.Spec.Version != pair[1].Run().Params[paramSpecVersion] {
		return usageError("eval run: --resume %s: the spec %s is now version %q, the run had %q", p.resume,
			specArg(p.judge.spec), res.Spec.Version, pair[1].Run().Params[paramSpecVersion])
	}
	prompt, err := eval.NewSpecPrompt(res.Spec, p.specInContext, p.specExamples)
	if err != nil {
		return usageError("eval run: %v", err)
	}
	if p.resume == "" {
		if pair, target, err = startSpecPair(ctx, st, &p, res.Spec.Version); err != nil {
			return err
		}
	}
	if strings.HasPrefix(p.target, "replay:") {
		fmt.Fprintf(stderr, "modelspec: note: %s answers from recordings, which the spec in context cannot change\n", p.target)
	}
	targets := [2]eval.Target{target, eval.WithSystemText(target, prompt.For)}
	for i, sess := range pair {
		sess.Now = p.now
		if sess.Pending() == 0 {
			continue
		}
		if err := executeRun(ctx, stderr, st, sess, targets[i], grader, p); err != nil {
			if errors.Is(err, eval.ErrInterrupted) {
				return usageError("eval run: %v; continue with: modelspec eval run --resume %s%s", err, sess.Run().ID, dbFlag(p.db))
			}
			return usageError("eval run: %v", err)
		}
	}

	rctx := context.WithoutCancel(ctx)
	var sums [2]eval.Summary
	var results [2][]eval.Result
	var reports []eval.ReportRun
	for i, sess := range pair {
		sum, err := sess.Summary(rctx)
		if err != nil {
			return usageError("eval run: %v", err)
		}
		for r, err := range sess.Results(rctx) {
			if err != nil {
				return usageError("eval run: %v", err)
			}
			results[i] = append(results[i], r)
		}
		sums[i] = sum
		rr := eval.ReportRun{Summary: sum, Results: results[i], Cases: map[string]eval.Case{}}
		for _, c := range sess.Cases() {
			rr.Cases[c.ID] = c
		}
		reports = append(reports, rr)
	}
	if p.out != "" {
		for i, dir := range []string{"without-spec", "with-spec"} {
			if err := eval.WriteResults(p.out+"/"+dir, results[i], sums[i]); err != nil {
				return usageError("%v", err)
			}
		}
	}
	if p.html != "" {
		if err := eval.WriteHTMLFile(p.html, reports); err != nil {
			return usageError("%v", err)
		}
	}
	cmp := eval.Compare(results[0], results[1])
	if p.json {
		return writeJSON(stdout, specInContextJSON{Mode: p.specInContext, Spec: specArg(p.judge.spec), SpecVersion: res.Spec.Version,
			Without: sums[0], With: sums[1], Comparison: cmp})
	}
	fmt.Fprintf(stdout, "spec in context (%s): %s %s, target %s, grader %s\n", p.specInContext, specArg(p.judge.spec), res.Spec.Version, sums[0].Target, sums[0].Grader)
	return writeEvalCompare(stdout, "run "+sums[0].RunID+" (without the spec)", "run "+sums[1].RunID+" (with the spec)", cmp)
}

// startSpecPair stores the two runs of a new --spec-in-context run, each
// naming the other, before either starts: an interruption in the first
// leaves both to resume.
func startSpecPair(ctx context.Context, st store.EvalResults, p *evalRunParams, specVersion string) ([2]*eval.Session, eval.Target, error) {
	var pair [2]*eval.Session
	cases, err := eval.LoadSuite(p.suite, p.dataDir)
	if err != nil {
		return pair, nil, usageError("%v", err)
	}
	target, err := parseEvalTarget(p)
	if err != nil {
		return pair, nil, usageError("%v", err)
	}
	var ids [2]string
	for i := range ids {
		if ids[i], err = eval.NewRunID(p.now(), p.rand); err != nil {
			return pair, nil, usageError("%v", err)
		}
	}
	if ids[0] == ids[1] {
		return pair, nil, usageError("eval run: two runs got the id %s", ids[0])
	}
	for i, mode := range []string{specContextOff, p.specInContext} {
		run := newRunRecord(p, ids[i], target)
		run.Params[paramSpecInContext] = mode
		run.Params[paramPairedRun] = ids[1-i]
		run.Params[paramSpec] = p.judge.spec
		run.Params[paramSpecVersion] = specVersion
		run.Params[paramSpecExample] = strconv.FormatBool(p.specExamples)
		if pair[i], err = eval.StartSession(ctx, st, run, cases); err != nil {
			return pair, nil, usageError("eval run: %v", err)
		}
	}
	return pair, target, nil
}

// specArg names a --spec value in output: the file, or "default".
func specArg(path string) string {
	if path == "" {
		return specload.BuiltIn
	}
	return path
}
