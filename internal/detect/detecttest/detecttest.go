// Package detecttest holds checks shared by the tests of detectors: the
// contract every Finding must meet, and loading of table-test cases kept as
// data in testdata/*.jsonl. It is for tests only and does no I/O beyond
// reading the case file it is given.
package detecttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
)

// Check returns every way in which fs breaks the Finding contract for a
// detector with the given id, clause and category run on text: spans within
// bounds, ordered, on the unit boundaries utf8.DecodeRuneInString walks, and
// scores in [0, 1].
func Check(text string, fs []detect.Finding, id, clause, category string) error {
	var bounds []bool // bounds[i]: offset i starts a unit, or is len(text)
	var errs []error
	for i, f := range fs {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("finding %d (%s [%d,%d)): %s", i, f.Evidence, f.Start, f.End, fmt.Sprintf(format, args...)))
		}
		if f.Detector != id || f.Clause != clause || f.Category != category {
			bad("identity %q/%q/%q, want %q/%q/%q", f.Detector, f.Clause, f.Category, id, clause, category)
		}
		if !(f.Score >= 0 && f.Score <= 1) {
			bad("score %v outside [0,1]", f.Score)
		}
		if f.Evidence == "" {
			bad("no evidence")
		}
		if f.Start < 0 || f.End < f.Start || f.End > len(text) {
			bad("span outside [0,%d]", len(text))
			continue
		}
		if bounds == nil {
			bounds = unitBounds(text)
		}
		if !bounds[f.Start] || !bounds[f.End] {
			bad("span not on UTF-8 boundaries")
		}
	}
	return errors.Join(errs...)
}

func unitBounds(s string) []bool {
	b := make([]bool, len(s)+1)
	for i := 0; i < len(s); {
		b[i] = true
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	b[len(s)] = true
	return b
}

// Case is one table-test case: a text and the evidence names of the findings
// a detector must report for it (any order, repeats counted). An empty Want
// means no finding.
type Case struct {
	Name string   `json:"name"`
	Text string   `json:"text"`
	Want []string `json:"want"`
	Line int      `json:"-"`
}

// LoadCases reads one JSON object per line from path; blank lines and lines
// starting with "//" are skipped. Unknown fields are an error.
func LoadCases(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Case
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) == 0 || len(line) >= 2 && line[0] == '/' && line[1] == '/' {
			continue
		}
		var c Case
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		c.Line = n
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// Evidence returns the findings' evidence names, sorted: what a case file
// pins.
func Evidence(fs []detect.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Evidence)
	}
	slices.Sort(out)
	return out
}

// MustLoadCases loads a case file and fails the test if it cannot.
func MustLoadCases(t testing.TB, path string) []Case {
	t.Helper()
	cs, err := LoadCases(path)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// RunCases runs d on every case of the JSONL file at path: each finding
// must keep the Finding contract (Check) with the detector's id, clause
// and category, and the sorted evidence must equal the case's want.
func RunCases(t *testing.T, d detect.Detector, path, id, clause, category string) {
	t.Helper()
	for _, c := range MustLoadCases(t, path) {
		t.Run(c.Name, func(t *testing.T) {
			fs := d.Detect(c.Text)
			if err := Check(c.Text, fs, id, clause, category); err != nil {
				t.Error(err)
			}
			want := slices.Clone(c.Want)
			slices.Sort(want)
			if want == nil {
				want = []string{}
			}
			if got := Evidence(fs); !slices.Equal(got, want) {
				t.Errorf("%s:%d: evidence %q, want %q", path, c.Line, got, want)
				for _, f := range fs {
					t.Logf("  %s %.2f %q", f.Evidence, f.Score, c.Text[f.Start:f.End])
				}
			}
		})
	}
}
