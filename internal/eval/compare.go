package eval

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// ResultsPath is the results file inside an `eval run --out` directory;
// a path that is not a directory is taken as the results file itself.
func ResultsPath(dirOrFile string) string {
	if st, err := os.Stat(dirOrFile); err == nil && st.IsDir() {
		return filepath.Join(dirOrFile, "results.jsonl")
	}
	return dirOrFile
}

// ReadResultsFile reads a results.jsonl as WriteResults writes it. A
// malformed line, a line without case_id or a case id and repeat seen
// before is an error naming the file and the line.
func ReadResultsFile(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadResults(f, path)
}

// ReadResults reads results.jsonl from r; name labels errors.
func ReadResults(r io.Reader, name string) ([]Result, error) {
	br := bufio.NewReader(r)
	var rs []Result
	seen := map[resultKey]int{}
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				return rs, nil
			}
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		b = bytes.TrimSpace(b)
		if len(b) > 0 {
			var res Result
			dec := json.NewDecoder(bytes.NewReader(b))
			if derr := dec.Decode(&res); derr != nil {
				return nil, fmt.Errorf("%s:%d: malformed result: %v", name, line, derr)
			}
			if dec.More() {
				return nil, fmt.Errorf("%s:%d: malformed result: more than one JSON value", name, line)
			}
			if res.CaseID == "" {
				return nil, fmt.Errorf("%s:%d: result without case_id", name, line)
			}
			if prev, ok := seen[res.key()]; ok {
				return nil, fmt.Errorf("%s:%d: case %s repeated (first on line %d)", name, line, res.key(), prev)
			}
			seen[res.key()] = line
			rs = append(rs, res)
		}
		if err == io.EOF {
			return rs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
		}
	}
}

// Comparison is `eval compare A B`: pass rates per clause in both runs and
// the cases whose verdict changed.
type Comparison struct {
	CasesA int `json:"cases_a"`
	CasesB int `json:"cases_b"`
	// Common counts the case ids in both runs.
	Common  int           `json:"common"`
	A       RunRate       `json:"a"`
	B       RunRate       `json:"b"`
	Clauses []ClauseDelta `json:"clauses"`
	// Regressed passed in A and failed in B; Improved the reverse.
	Regressed []CaseChange `json:"regressed"`
	Improved  []CaseChange `json:"improved"`
	// Changed are the other changes of status between A and B (to or
	// from unscored).
	Changed []CaseChange `json:"changed"`
	OnlyA   []string     `json:"only_a"`
	OnlyB   []string     `json:"only_b"`
}

// RunRate is the totals of one run; PassRate is nil when nothing was scored.
type RunRate struct {
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	Unscored int      `json:"unscored"`
	PassRate *float64 `json:"pass_rate"`
}

// ClauseDelta is one clause in both runs, each over all of that run's
// cases tied to the clause. Change is B's rate minus A's (nil when either
// is nil).
type ClauseDelta struct {
	Clause    string   `json:"clause"`
	A         RunRate  `json:"a"`
	B         RunRate  `json:"b"`
	Change    *float64 `json:"change"`
	Regressed int      `json:"regressed"`
	Improved  int      `json:"improved"`
}

// CaseChange is one case present in both runs whose status differs.
type CaseChange struct {
	CaseID  string   `json:"case_id"`
	Clauses []string `json:"clauses"`
	StatusA string   `json:"status_a"`
	StatusB string   `json:"status_b"`
	// Reason is B's grader reason (or error), else A's.
	Reason string `json:"reason,omitempty"`
}

func (r *RunRate) add(status string) { count(status, &r.Passed, &r.Failed, &r.Unscored) }

func (r *RunRate) finish() {
	if r.Passed+r.Failed > 0 {
		v := Rate(r.Passed, r.Failed)
		r.PassRate = &v
	}
}

// resultKey names a result within a run: its case and repeat.
type resultKey struct {
	id     string
	repeat int
}

func (r Result) key() resultKey { return resultKey{r.CaseID, r.Repeat} }

func (k resultKey) String() string {
	if k.repeat == 0 {
		return k.id
	}
	return fmt.Sprintf("%s#%d", k.id, k.repeat)
}

// Compare matches the results of runs a and b by case id and repeat
// (runs with --repeats are compared repeat by repeat; a case's repeat r
// is named "ID#r"). Clauses are sorted by id, case lists by case id.
func Compare(a, b []Result) Comparison {
	c := Comparison{CasesA: len(a), CasesB: len(b),
		Clauses: []ClauseDelta{}, Regressed: []CaseChange{}, Improved: []CaseChange{},
		Changed: []CaseChange{}, OnlyA: []string{}, OnlyB: []string{}}
	by := map[string]*ClauseDelta{}
	clause := func(id string) *ClauseDelta {
		d := by[id]
		if d == nil {
			d = &ClauseDelta{Clause: id}
			by[id] = d
		}
		return d
	}
	inB := make(map[resultKey]Result, len(b))
	for _, r := range b {
		inB[r.key()] = r
		c.B.add(r.Status)
		for _, cl := range r.Clauses {
			clause(cl).B.add(r.Status)
		}
	}
	inA := make(map[resultKey]bool, len(a))
	for _, ra := range a {
		inA[ra.key()] = true
		c.A.add(ra.Status)
		for _, cl := range ra.Clauses {
			clause(cl).A.add(ra.Status)
		}
		rb, ok := inB[ra.key()]
		if !ok {
			c.OnlyA = append(c.OnlyA, ra.key().String())
			continue
		}
		c.Common++
		sa, sb := norm(ra.Status), norm(rb.Status)
		if sa == sb {
			continue
		}
		ch := CaseChange{CaseID: ra.key().String(), Clauses: rb.Clauses, StatusA: sa, StatusB: sb, Reason: why(rb)}
		if len(ch.Clauses) == 0 {
			ch.Clauses = ra.Clauses
		}
		if ch.Reason == "" {
			ch.Reason = why(ra)
		}
		switch {
		case sa == Pass && sb == Fail:
			c.Regressed = append(c.Regressed, ch)
			for _, cl := range ch.Clauses {
				clause(cl).Regressed++
			}
		case sa == Fail && sb == Pass:
			c.Improved = append(c.Improved, ch)
			for _, cl := range ch.Clauses {
				clause(cl).Improved++
			}
		default:
			c.Changed = append(c.Changed, ch)
		}
	}
	for _, r := range b {
		if !inA[r.key()] {
			c.OnlyB = append(c.OnlyB, r.key().String())
		}
	}
	c.A.finish()
	c.B.finish()
	for _, d := range by {
		d.A.finish()
		d.B.finish()
		if d.A.PassRate != nil && d.B.PassRate != nil {
			v := *d.B.PassRate - *d.A.PassRate
			d.Change = &v
		}
		c.Clauses = append(c.Clauses, *d)
	}
	slices.SortFunc(c.Clauses, func(x, y ClauseDelta) int { return cmp.Compare(x.Clause, y.Clause) })
	byID := func(x, y CaseChange) int { return cmp.Compare(x.CaseID, y.CaseID) }
	slices.SortFunc(c.Regressed, byID)
	slices.SortFunc(c.Improved, byID)
	slices.SortFunc(c.Changed, byID)
	slices.Sort(c.OnlyA)
	slices.Sort(c.OnlyB)
	return c
}

// norm maps any status other than pass and fail to unscored, as Summarize
// counts it.
func norm(s string) string {
	if s == Pass || s == Fail {
		return s
	}
	return Unscored
}

func why(r Result) string {
	if r.Reason != "" {
		return r.Reason
	}
	return r.Error
}
