package eval

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/modelspec/modelspec/internal/atomicfile"
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
	// Repeats is how many times each case was run (omitted when 1); then
	// passed, failed and unscored count results, Results of them in all.
	Repeats int `json:"repeats,omitempty"`
	Results int `json:"results"`
	// StdErr is the pass rate's standard error, clustered by case (see
	// stats.go); omitted with fewer than two scored cases.
	StdErr *float64 `json:"std_err,omitempty"`
	// Cached counts the answers that came from the response cache.
	Cached int `json:"cached,omitempty"`
	// Status is the stored run's: done, or interrupted (resume it).
	Status string `json:"status,omitempty"`
}

// ClauseSummary counts the results of the cases tied to one clause.
type ClauseSummary struct {
	Clause   string `json:"clause"`
	Passed   int    `json:"passed"`
	Failed   int    `json:"failed"`
	Unscored int    `json:"unscored"`
	// Cases tied to the clause; PassRate and its clustered StdErr are
	// omitted when they cannot be computed.
	Cases    int      `json:"cases"`
	PassRate *float64 `json:"pass_rate,omitempty"`
	StdErr   *float64 `json:"std_err,omitempty"`
}

// Rate is passed / (passed + failed), 0 when nothing was scored.
func Rate(passed, failed int) float64 {
	if passed+failed == 0 {
		return 0
	}
	return float64(passed) / float64(passed+failed)
}

// Summarize counts results (with Tally); clauses are sorted by id.
func Summarize(rs []Result) Summary {
	var t Tally
	for _, r := range rs {
		t.Add(r)
	}
	return t.Summary()
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
	err := atomicfile.Write(filepath.Join(dir, "results.jsonl"), func(w io.Writer) error {
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
	return atomicfile.Write(filepath.Join(dir, "summary.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}
