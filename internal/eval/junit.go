package eval

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/modelspec/modelspec/internal/atomicfile"
)

// JUnit XML, as CI systems (Jenkins, GitLab, GitHub Actions reporters)
// read it: a <testsuites> root holding one <testsuite> named after the
// suite, one <testcase> per result.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// WriteJUnit writes rs as JUnit XML to w. The testsuite is named s.Suite;
// a testcase's classname is its case's first clause (the suite when it has
// none) and its name the case id. A failed case carries
// <failure message=reason>reason</failure>, an unscored one
// <skipped message=why/>; the answer goes to <system-out>. Counts are the
// summary's: tests = the results (s.Cases without repeats), failures =
// s.Failed, skipped = s.Unscored. With repeats, a testcase is named
// "ID#r", r the repeat from 0.
func WriteJUnit(w io.Writer, rs []Result, s Summary) error {
	var total int64
	suite := junitSuite{
		Name: s.Suite, Tests: len(rs), Failures: s.Failed, Skipped: s.Unscored,
		Cases: make([]junitCase, 0, len(rs)),
	}
	for _, p := range []junitProperty{{"run_id", s.RunID}, {"target", s.Target}, {"model", s.Model}, {"grader", s.Grader}} {
		if p.Value != "" {
			suite.Properties = append(suite.Properties, p)
		}
	}
	for _, r := range rs {
		total += r.ElapsedMS
		tc := junitCase{Classname: s.Suite, Name: r.CaseID, Time: seconds(r.ElapsedMS), SystemOut: r.Answer}
		if s.Repeats > 1 {
			tc.Name = fmt.Sprintf("%s#%d", r.CaseID, r.Repeat)
		}
		if len(r.Clauses) > 0 {
			tc.Classname = r.Clauses[0]
		} else if r.Suite != "" {
			tc.Classname = r.Suite
		}
		switch r.Status {
		case Pass:
		case Fail:
			msg := r.Reason
			if msg == "" {
				msg = "failed: expected " + r.Expect
				if r.Label != "" {
					msg += ", got " + r.Label
				}
			}
			tc.Failure = &junitMessage{Message: msg, Text: msg}
		default:
			msg := r.Error
			if msg == "" {
				msg = r.Reason
			}
			if msg == "" {
				msg = "unscored"
			}
			tc.Skipped = &junitMessage{Message: msg}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Time = seconds(total)
	root := junitSuites{
		Name: s.Suite, Tests: len(rs), Failures: s.Failed, Skipped: s.Unscored, Time: suite.Time,
		Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteJUnitFile writes WriteJUnit's XML to path atomically (a temporary
// file beside it renamed over it), creating its directory.
func WriteJUnitFile(path string, rs []Result, s Summary) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error { return WriteJUnit(w, rs, s) })
}
