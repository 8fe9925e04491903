package eval

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"
)

// Pass rates and their standard errors.
//
// A pass rate is passed / (passed + failed) over every scored result. With
// repeats, the results of one case are not independent draws: they share
// the case. So the standard error is clustered by case (Miller 2024,
// "Adding Error Bars to Evals", sections 2.2 and 3.1): with n cases that
// have at least one scored result, s_i passes out of m_i scored results for
// case i, M = Σ m_i and the rate p = Σ s_i / M,
//
//	SE(p) = sqrt( n/(n-1) · Σ_i (s_i − p·m_i)² ) / M
//
// With one result per case this is sqrt(p(1−p)/(n−1)), the usual binomial
// error with the n−1 correction; with K repeats of every case it is the
// standard error of the mean of the per-case pass rates, so repeats narrow
// it only as far as they remove each case's own noise, never below the
// spread between cases. No standard error is given for fewer than two
// cases. A 95% interval is about rate ± 1.96·SE.

// caseCount is one case's passes out of its scored results.
type caseCount struct{ pass, scored int }

// clusteredSE returns the pass rate and its standard error clustered by
// case; nil when nothing was scored, a nil SE with fewer than two cases.
func clusteredSE(cases map[string]*caseCount) (rate, se *float64) {
	var n, pass, scored int
	for _, c := range cases {
		if c.scored > 0 {
			n++
			pass += c.pass
			scored += c.scored
		}
	}
	if scored == 0 {
		return nil, nil
	}
	p := float64(pass) / float64(scored)
	rate = &p
	if n < 2 {
		return rate, nil
	}
	var ss float64
	for _, c := range cases {
		if c.scored > 0 {
			d := float64(c.pass) - p*float64(c.scored)
			ss += d * d
		}
	}
	v := math.Sqrt(float64(n)/float64(n-1)*ss) / float64(scored)
	return rate, &v
}

// Tally counts results as they come and makes their Summary. It keeps
// per case only the counts the standard errors need, never the results,
// so its memory grows with the number of cases, not with answers.
type Tally struct {
	passed, failed, unscored, cached int
	cases                            map[string]*caseCount
	clauses                          map[string]*clauseTally
	graders                          map[string]bool
}

type clauseTally struct {
	sum   ClauseSummary
	cases map[string]*caseCount
}

// Add counts r.
func (t *Tally) Add(r Result) {
	if t.cases == nil {
		t.cases, t.clauses, t.graders = map[string]*caseCount{}, map[string]*clauseTally{}, map[string]bool{}
	}
	for _, g := range r.Graders {
		t.graders[g] = true
	}
	count(r.Status, &t.passed, &t.failed, &t.unscored)
	if r.Cached {
		t.cached++
	}
	addCase(t.cases, r)
	for _, cl := range r.Clauses {
		ct := t.clauses[cl]
		if ct == nil {
			ct = &clauseTally{sum: ClauseSummary{Clause: cl}, cases: map[string]*caseCount{}}
			t.clauses[cl] = ct
		}
		count(r.Status, &ct.sum.Passed, &ct.sum.Failed, &ct.sum.Unscored)
		addCase(ct.cases, r)
	}
}

func addCase(m map[string]*caseCount, r Result) {
	c := m[r.CaseID]
	if c == nil {
		c = &caseCount{}
		m[r.CaseID] = c
	}
	switch r.Status {
	case Pass:
		c.pass++
		c.scored++
	case Fail:
		c.scored++
	}
}

// Summary returns the totals so far; clauses are sorted by id; Grader
// lists, sorted, the graders that judged any result. The caller fills in
// the run's identity (RunID, Suite, Target, ...).
func (t *Tally) Summary() Summary {
	s := Summary{Cases: len(t.cases), Results: t.passed + t.failed + t.unscored,
		Passed: t.passed, Failed: t.failed, Unscored: t.unscored, Cached: t.cached, Clauses: []ClauseSummary{}}
	var rate *float64
	rate, s.StdErr = clusteredSE(t.cases)
	if rate != nil {
		s.PassRate = *rate
	}
	for _, ct := range t.clauses {
		cs := ct.sum
		cs.Cases = len(ct.cases)
		cs.PassRate, cs.StdErr = clusteredSE(ct.cases)
		s.Clauses = append(s.Clauses, cs)
	}
	slices.SortFunc(s.Clauses, func(a, b ClauseSummary) int { return cmp.Compare(a.Clause, b.Clause) })
	graders := slices.Sorted(maps.Keys(t.graders))
	s.Grader = strings.Join(graders, ",")
	return s
}
