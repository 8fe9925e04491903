package eval

import (
	"bufio"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Summary is a run's totals, overall and per clause; its JSON is the
// `eval run --json` contract.
type Summary struct {
	RunID    string          `json:"run_id"`
	Suite    string          `json:"suite"`
	Target   string          `json:"target"`
	Model    string          `json:"model,omitempty"`
	Grader   string          `json:"grader"`
	Cases    int             `json:"cases"`
	Passed   int             `json:"passed"`
	Failed   int             `json:"failed"`
	Unscored int             `json:"unscored"`
	PassRate float64         `json:"pass_rate"`
	Clauses  []ClauseSummary `json:"clauses"`
}

// ClauseSummary counts the results of the cases tied to one clause.
type ClauseSummary struct {
	Clause   string `json:"clause"`
	Passed   int    `json:"passed"`
	Failed   int    `json:"failed"`
	Unscored int    `json:"unscored"`
}

// Rate is passed / (passed + failed), 0 when nothing was scored.
func Rate(passed, failed int) float64 {
	if passed+failed == 0 {
		return 0
	}
	return float64(passed) / float64(passed+failed)
}

// Summarize counts results; clauses are sorted by id.
func Summarize(rs []Result) Summary {
	s := Summary{Cases: len(rs), Clauses: []ClauseSummary{}}
	by := map[string]*ClauseSummary{}
	for _, r := range rs {
		for _, cl := range r.Clauses {
			cs := by[cl]
			if cs == nil {
				cs = &ClauseSummary{Clause: cl}
				by[cl] = cs
			}
			count(r.Status, &cs.Passed, &cs.Failed, &cs.Unscored)
		}
		count(r.Status, &s.Passed, &s.Failed, &s.Unscored)
	}
	for _, cs := range by {
		s.Clauses = append(s.Clauses, *cs)
	}
	slices.SortFunc(s.Clauses, func(a, b ClauseSummary) int { return cmp.Compare(a.Clause, b.Clause) })
	s.PassRate = Rate(s.Passed, s.Failed)
	return s
}

// GradersUsed lists, sorted, the ids of the graders that judged rs.
func GradersUsed(rs []Result) []string {
	var ids []string
	for _, r := range rs {
		for _, g := range r.Graders {
			if !slices.Contains(ids, g) {
				ids = append(ids, g)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func count(status string, p, f, u *int) {
	switch status {
	case Pass:
		*p++
	case Fail:
		*f++
	default:
		*u++
	}
}

// NewRunID returns "YYYYMMDDTHHMMSSZ-xxxxxxxx" from now and 4 random bytes
// of rnd (crypto/rand.Reader when nil).
func NewRunID(now time.Time, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", fmt.Errorf("run id: %w", err)
	}
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b), nil
}

// WriteResults writes dir/results.jsonl (one result a line, in the order
// given) and dir/summary.json, each atomically (a temporary file in dir
// renamed over the target).
func WriteResults(dir string, rs []Result, s Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	err := writeAtomic(filepath.Join(dir, "results.jsonl"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range rs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "summary.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = fill(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Progress writes a one-line progress report ("\r 120/450  35.2/s  ETA 9s").
type Progress struct {
	W     io.Writer
	Total int
	Start time.Time
	Now   func() time.Time
	done  int
}

// Step counts one more case done and redraws the line.
func (p *Progress) Step() {
	p.done++
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	el := now().Sub(p.Start).Seconds()
	rate, eta := 0.0, "?"
	if el > 0 {
		rate = float64(p.done) / el
		if rate > 0 {
			eta = (time.Duration(float64(p.Total-p.done)/rate*1e9) * time.Nanosecond).Round(time.Second).String()
		}
	}
	fmt.Fprintf(p.W, "\r%d/%d done  %.1f/s  ETA %s ", p.done, p.Total, rate, eta)
	if p.done == p.Total {
		fmt.Fprintln(p.W)
	}
}
