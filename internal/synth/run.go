package synth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
)

// Options configure Generate.
type Options struct {
	// RunID names the run in the results store; Suite names the suite
	// (a built-in suite or the suite file as given); Cases are its cases.
	RunID string
	Suite string
	Cases []eval.Case
	// Spec is the spec whose clauses the teacher reasons about; SpecName
	// names it in the metadata (the file as given, or "default").
	Spec     *spec.Spec
	SpecName string
	// Screens choose the clauses the detectors' findings point to (Plan).
	Screens label.Screens
	// Teacher answers the cases; Model names its model for the metadata.
	Teacher eval.Target
	Model   string
	// Grader grades the answers (grade.case, with judges when given).
	Grader eval.Grader
	// Samples is how many replies to ask for per case (at least 1); the
	// best that passes is kept (see Collect).
	Samples int
	// Run sets the workers, the timeout per request, the rate limit and
	// the response cache (eval.RunOptions; Repeats and Skip are set here).
	Run eval.RunOptions
	// Params are kept with the stored run beside synth's own.
	Params map[string]string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnStart, when set, is called with the number of replies to ask for
	// once the run is stored; OnResult for each result as it comes (both
	// from the calling goroutine).
	OnStart  func(pending int)
	OnResult func(eval.Result)
}

// Outcome is what Generate made.
type Outcome struct {
	Examples []Example
	Summary  Summary
}

// Kind is the stored run's Params["kind"]: a synth run is not an eval run,
// and `eval run --resume` refuses it.
const Kind = "synth"

// Generate plans the cases' clauses, asks the teacher for each case that
// has some (Samples times, as repeats of one stored run in st, so that the
// answers are cached and an interrupted run loses nothing that was
// stored), grades every reply with a Grader around o.Grader, and collects
// the examples. When ctx is cancelled it returns what was done with an
// error wrapping eval.ErrInterrupted; another error means nothing usable.
func Generate(ctx context.Context, st store.EvalResults, o Options) (Outcome, error) {
	if o.Samples < 1 {
		o.Samples = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	asked, none := Plan(o.Spec, o.Screens, o.Cases)
	teacher := NewTeacher(o.Spec)
	// Check every prompt before asking anything: a clause too long to
	// send is an error of the spec, better reported once than per case.
	for _, c := range asked {
		if _, err := teacher.Prompt(c); err != nil {
			return Outcome{}, fmt.Errorf("case %s: %w", c.ID, err)
		}
	}
	params := map[string]string{}
	maps.Copy(params, o.Params)
	params["kind"] = Kind
	params["spec"] = o.SpecName
	params["spec_version"] = o.Spec.Version
	params["samples"] = strconv.Itoa(o.Samples)
	params["cases_without_clauses"] = strconv.Itoa(len(none))
	run := store.EvalRun{ID: o.RunID, Suite: o.Suite, Target: o.Teacher.Name(), Model: o.Model,
		Grader: (&Grader{}).ID(), Repeats: o.Samples, Started: o.Now(), Params: params}
	sess, err := eval.StartSession(ctx, st, run, asked)
	if err != nil {
		return Outcome{}, err
	}
	sess.Now = o.Now
	if o.OnStart != nil {
		o.OnStart(sess.Pending())
	}
	runErr := sess.Execute(ctx, teacher.Target(o.Teacher), NewGrader(o.Spec, o.Grader), o.Run, o.OnResult)
	if runErr != nil && !errors.Is(runErr, eval.ErrInterrupted) {
		return Outcome{}, runErr
	}
	rctx := context.WithoutCancel(ctx)
	var results []eval.Result
	for r, err := range sess.Results(rctx) {
		if err != nil {
			return Outcome{}, err
		}
		results = append(results, r)
	}
	stored, err := st.GetRun(rctx, o.RunID)
	if err != nil {
		return Outcome{}, err
	}
	info := Info{RunID: o.RunID, Suite: o.Suite, Teacher: o.Teacher.Name(), Model: o.Model,
		Spec: o.SpecName, SpecVersion: o.Spec.Version, Samples: o.Samples, Status: stored.Status}
	ex, sum := Collect(info, asked, none, results)
	return Outcome{Examples: ex, Summary: sum}, runErr
}

// Info names a run in the metadata and the summary.
type Info struct {
	RunID, Suite, Teacher, Model, Spec, SpecVersion string
	Samples                                         int
	Status                                          string
}

// Reasons a case is dropped, beside the ids of the checks that failed it
// (ReplyCheck, CitesCheck, grade.refusal, grade.judge, ...).
const (
	// DropNoClauses: no clause of the spec applies; the teacher was not
	// asked.
	DropNoClauses = "no_clauses"
	// DropTeacherError: the teacher gave no answer (an error or timeout
	// after the target's retries).
	DropTeacherError = "teacher_error"
	// DropUngraded: a grader could not grade the answer (a judge that
	// errs or replies invalidly casts no vote).
	DropUngraded = "ungraded"
	// DropNotRun: the run was interrupted before the sample was asked.
	DropNotRun = "not_run"
)

// Collect picks, for each asked case, the best of its passing samples and
// turns it into an Example, and counts kept and dropped cases per clause
// and dropped cases per reason. The best sample is the one whose judge
// score (the grade.judge check's) is highest, then the lowest sample
// number; without judges, the first that passes.
func Collect(info Info, asked, none []eval.Case, results []eval.Result) ([]Example, Summary) {
	sum := Summary{RunID: info.RunID, Suite: info.Suite, Teacher: info.Teacher, Model: info.Model, Spec: info.Spec,
		SpecVersion: info.SpecVersion, Samples: info.Samples, Status: info.Status,
		Cases: len(asked) + len(none), Asked: len(asked), DroppedBy: map[string]int{},
		Clauses: []ClauseCount{}, DroppedCases: []DroppedCase{}}
	byCase := map[string][]eval.Result{}
	for _, r := range results {
		byCase[r.CaseID] = append(byCase[r.CaseID], r)
		if r.Cached {
			sum.Cached++
		}
	}
	clauses := map[string]*ClauseCount{}
	count := func(cl []string, kept bool) {
		for _, id := range cl {
			cc := clauses[id]
			if cc == nil {
				cc = &ClauseCount{Clause: id}
				clauses[id] = cc
			}
			cc.Cases++
			if kept {
				cc.Kept++
			} else {
				cc.Dropped++
			}
		}
	}
	var out []Example
	for _, c := range asked {
		rs := byCase[c.ID]
		best, ok := bestSample(rs)
		if ok {
			ex, err := newExample(info, c, best)
			if err == nil {
				out = append(out, ex)
				count(c.Clauses, true)
				continue
			}
			// A passing reply that does not parse cannot happen (the
			// grader parsed it); count it rather than lose it silently.
			rs = []eval.Result{{CaseID: c.ID, Grade: failed(ReplyCheck, err.Error())}}
		}
		count(c.Clauses, false)
		d := DroppedCase{CaseID: c.ID, Clauses: c.Clauses, Reasons: dropReasons(rs, info.Samples)}
		d.Detail = detail(rs)
		for _, why := range d.Reasons {
			sum.DroppedBy[why]++
		}
		sum.DroppedCases = append(sum.DroppedCases, d)
	}
	for _, c := range none {
		sum.DroppedBy[DropNoClauses]++
		sum.DroppedCases = append(sum.DroppedCases, DroppedCase{CaseID: c.ID, Clauses: []string{}, Reasons: []string{DropNoClauses},
			Detail: "no clause of the spec applies: the case's clauses are not in it and the detectors found nothing"})
	}
	slices.SortFunc(sum.DroppedCases, func(a, b DroppedCase) int { return cmp.Compare(a.CaseID, b.CaseID) })
	for _, cc := range clauses {
		sum.Clauses = append(sum.Clauses, *cc)
	}
	slices.SortFunc(sum.Clauses, func(a, b ClauseCount) int { return cmp.Compare(a.Clause, b.Clause) })
	sum.Kept = len(out)
	sum.Dropped = sum.Cases - sum.Kept
	if sum.Cases > 0 {
		sum.KeptRate = float64(sum.Kept) / float64(sum.Cases)
	}
	return out, sum
}

// bestSample returns the passing result with the highest judge score,
// then the lowest repeat.
func bestSample(rs []eval.Result) (eval.Result, bool) {
	var best eval.Result
	found := false
	for _, r := range rs {
		if r.Status != eval.Pass {
			continue
		}
		if !found || judgeScore(r) > judgeScore(best) || judgeScore(r) == judgeScore(best) && r.Repeat < best.Repeat {
			best, found = r, true
		}
	}
	return best, found
}

func judgeScore(r eval.Result) float64 {
	for _, ch := range r.Checks {
		if ch.Grader == "grade.judge" {
			return ch.Score
		}
	}
	return 0
}

// dropReasons lists, sorted and once each, why the samples of a dropped
// case failed; samples without a result count as DropNotRun.
func dropReasons(rs []eval.Result, samples int) []string {
	set := map[string]bool{}
	for _, r := range rs {
		switch {
		case r.Status == eval.Fail:
			for _, ch := range r.Checks {
				if ch.Status == eval.Fail {
					set[ch.Grader] = true
				}
			}
		case len(r.Graders) == 0:
			set[DropTeacherError] = true
		default:
			set[DropUngraded] = true
		}
	}
	if len(rs) < samples {
		set[DropNotRun] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// detail is the reason (or error) of the first sample that has one.
func detail(rs []eval.Result) string {
	for _, r := range rs {
		if r.Reason != "" {
			return r.Reason
		}
		if r.Error != "" {
			return r.Error
		}
	}
	return "not asked before the run was interrupted"
}
