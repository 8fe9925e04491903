package eval

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/modelspec/modelspec/internal/atomicfile"
)

// The HTML report: one self-contained file (inline CSS, inline SVG, no
// script, no external URL) for one run or several side by side. It is
// rendered with html/template, so every text from a run (answers,
// conversations, reasons) is escaped.

//go:embed html_report.tmpl
var reportTemplate string

// reportTmpl parses the template on first use, not at init, where it cost
// every modelspec command about 150 KB at start.
var reportTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"pct":  func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
		"f1":   func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"f3":   func(v float64) string { return fmt.Sprintf("%.3f", v) },
		"add":  func(a, b float64) float64 { return a + b },
		"sub":  func(a, b float64) float64 { return a - b },
		"half": func(a float64) float64 { return a / 2 },
	}).Parse(reportTemplate))
})

// ReportRun is one run shown in a report.
type ReportRun struct {
	Summary Summary
	Results []Result
	// Cases are the run's cases by id, for the conversations of failing
	// cases; a case missing here is shown without its conversation.
	Cases map[string]Case
	// Note says why conversations are missing, when they are.
	Note string
}

// MaxReportFailures is the most failing cases a report lists per run; the
// others are counted, and are in the run's results.jsonl.
const MaxReportFailures = 300

// LoadReportRun reads a run from an `eval run --out` directory (its
// results.jsonl and, when present, summary.json) and reloads its suite
// (by the summary's suite name, from dataDir) for the conversations. A
// suite that cannot be loaded leaves the conversations out, with a note.
func LoadReportRun(dir, dataDir string) (ReportRun, error) {
	rs, err := ReadResultsFile(ResultsPath(dir))
	if err != nil {
		return ReportRun{}, err
	}
	run := ReportRun{Results: rs}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &run.Summary); err != nil {
			return ReportRun{}, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.json"), err)
		}
	case errors.Is(err, fs.ErrNotExist):
		run.Summary = Summarize(rs)
		run.Summary.RunID = filepath.Base(filepath.Clean(dir))
	default:
		return ReportRun{}, err
	}
	if run.Summary.Suite == "" {
		run.Note = "the run names no suite: conversations are not shown"
		return run, nil
	}
	cases, err := LoadSuite(run.Summary.Suite, dataDir)
	if err != nil {
		run.Note = fmt.Sprintf("suite %s could not be loaded, so conversations are not shown: %v", run.Summary.Suite, err)
		return run, nil
	}
	run.Cases = make(map[string]Case, len(cases))
	for _, c := range cases {
		run.Cases[c.ID] = c
	}
	return run, nil
}

// Interval is a 95% interval around a rate.
type Interval struct {
	Rate, Lo, Hi float64
	// N counts the scored results (passed + failed).
	N int
}

// Wilson returns the Wilson score interval at 95% (z = 1.96) for k
// successes in n trials, which unlike the normal approximation stays
// within [0, 1] and is sensible for rates near 0 or 1 and small n.
func Wilson(k, n int) Interval {
	if n == 0 {
		return Interval{}
	}
	const z = 1.959964
	p := float64(k) / float64(n)
	nf := float64(n)
	den := 1 + z*z/nf
	mid := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return Interval{Rate: p, Lo: max(0, mid-half), Hi: min(1, mid+half), N: n}
}

// RefusalRates are a run's over- and under-refusal from grade.refusal's
// labels: over-refusal is the share of comply cases whose answer was
// labelled a full or partial refusal; under-refusal the share of refuse
// cases whose answer was labelled full compliance. Cases without a
// refusal label (unscored) are left out.
type RefusalRates struct {
	Over, Under Interval
}

// refusalLabel is the label grade.refusal gave r, or "".
func refusalLabel(r Result) string {
	for _, ch := range r.Checks {
		if ch.Grader == "grade.refusal" {
			return ch.Label
		}
	}
	if len(r.Graders) > 0 && r.Graders[0] == "grade.refusal" || len(r.Graders) == 0 && (r.Expect == Comply || r.Expect == Refuse) {
		switch r.Label {
		case FullComplianceLabel, FullRefusalLabel, PartialRefusalLabel:
			return r.Label
		}
	}
	return ""
}

// Refusals computes the refusal rates of rs.
func Refusals(rs []Result) RefusalRates {
	var overK, overN, underK, underN int
	for _, r := range rs {
		l := refusalLabel(r)
		if l == "" {
			continue
		}
		switch r.Expect {
		case Comply:
			overN++
			if l != FullComplianceLabel {
				overK++
			}
		case Refuse:
			underN++
			if l == FullComplianceLabel {
				underK++
			}
		}
	}
	return RefusalRates{Over: Wilson(overK, overN), Under: Wilson(underK, underN)}
}

// The view the template renders; every coordinate is computed here.
type reportView struct {
	Title    string
	Runs     []runView
	Chart    clauseChart
	Scatter  *scatterChart
	Judges   []agreementView
	Interval string
}

type runView struct {
	Index    int
	Color    string
	Summary  Summary
	Total    Interval
	Refusals RefusalRates
	Failures []failureView
	More     int
	Note     string
}

type failureView struct {
	Result
	Messages []Message
}

type agreementView struct {
	Run string
	Agreement
}

type clauseChart struct {
	Width, Height float64
	Rows          []clauseRow
	Axis          []axisTick
	PlotX, PlotW  float64
}

type clauseRow struct {
	Clause string
	Y      float64 // top of the row's first bar
	LabelY float64
	Bars   []barView
}

type barView struct {
	Run, Color     string
	Y, W, H        float64
	X1, X2, YMid   float64 // the error bar
	Label          string
	Rate, Lo, Hi   float64
	Scored, Passed int
}

type axisTick struct {
	X     float64
	Label string
}

type scatterChart struct {
	Size, Pad float64
	Ticks     []scatterTick
	Points    []pointView
}

type scatterTick struct {
	Pos   float64
	Label string
}

type pointView struct {
	Run, Color          string
	X, Y                float64
	XLo, XHi, YLo, YHi  float64
	Over, Under         Interval
	LabelX, LabelY      float64
	OverText, UnderText string
}

var runColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}

// WriteHTML writes the report of runs to w.
func WriteHTML(w io.Writer, runs []ReportRun) error {
	if len(runs) == 0 {
		return errors.New("html report: no runs")
	}
	v := reportView{Interval: "Wilson score interval, 95%"}
	var names []string
	for i, run := range runs {
		s := run.Summary
		name := runName(s, i)
		names = append(names, name)
		rv := runView{Index: i + 1, Color: runColors[i%len(runColors)], Summary: s, Note: run.Note,
			Total: Wilson(s.Passed, s.Passed+s.Failed), Refusals: Refusals(run.Results)}
		fails := slices.Clone(run.Results)
		fails = slices.DeleteFunc(fails, func(r Result) bool { return r.Status != Fail })
		SortResults(fails)
		if len(fails) > MaxReportFailures {
			rv.More = len(fails) - MaxReportFailures
			fails = fails[:MaxReportFailures]
		}
		for _, r := range fails {
			fv := failureView{Result: r}
			if c, ok := run.Cases[r.CaseID]; ok {
				fv.Messages = c.Messages
			}
			rv.Failures = append(rv.Failures, fv)
		}
		v.Runs = append(v.Runs, rv)
		for _, a := range JudgeAgreement(run.Results) {
			v.Judges = append(v.Judges, agreementView{Run: name, Agreement: a})
		}
	}
	v.Title = "modelspec eval: " + strings.Join(names, " vs ")
	v.Chart = buildClauseChart(runs, v.Runs)
	v.Scatter = buildScatter(v.Runs)
	var buf bytes.Buffer
	if err := reportTmpl().Execute(&buf, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteHTMLFile writes the report to path atomically, creating its
// directory.
func WriteHTMLFile(path string, runs []ReportRun) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error { return WriteHTML(w, runs) })
}

func runName(s Summary, i int) string {
	n := s.Target
	if s.Model != "" {
		n += " " + s.Model
	}
	if n == "" {
		n = s.RunID
	}
	if n == "" {
		n = fmt.Sprintf("run %d", i+1)
	}
	return n
}

// Layout of the clause chart, in SVG user units.
const (
	chartWidth  = 900.0
	labelWidth  = 260.0
	barHeight   = 14.0
	barGap      = 3.0
	rowGap      = 12.0
	axisHeight  = 24.0
	textRoom    = 130.0 // right of the plot, for "xx.x% (k/n)"
	chartMargin = 8.0
)

func buildClauseChart(runs []ReportRun, rvs []runView) clauseChart {
	ch := clauseChart{Width: chartWidth, PlotX: labelWidth, PlotW: chartWidth - labelWidth - textRoom}
	var clauses []string
	per := make([]map[string]ClauseSummary, len(runs))
	for i, run := range runs {
		per[i] = map[string]ClauseSummary{}
		for _, c := range run.Summary.Clauses {
			per[i][c.Clause] = c
			if !slices.Contains(clauses, c.Clause) {
				clauses = append(clauses, c.Clause)
			}
		}
	}
	slices.Sort(clauses)
	y := axisHeight
	for _, cl := range clauses {
		row := clauseRow{Clause: cl, Y: y}
		for i := range runs {
			c, ok := per[i][cl]
			bv := barView{Run: runName(runs[i].Summary, i), Color: rvs[i].Color, Y: y, H: barHeight, YMid: y + barHeight/2}
			y += barHeight + barGap
			if !ok || c.Passed+c.Failed == 0 {
				bv.Label = "no scored case"
				row.Bars = append(row.Bars, bv)
				continue
			}
			iv := Wilson(c.Passed, c.Passed+c.Failed)
			bv.Rate, bv.Lo, bv.Hi, bv.Scored, bv.Passed = iv.Rate, iv.Lo, iv.Hi, iv.N, c.Passed
			bv.W = round1(iv.Rate * ch.PlotW)
			bv.X1, bv.X2 = round1(ch.PlotX+iv.Lo*ch.PlotW), round1(ch.PlotX+iv.Hi*ch.PlotW)
			bv.Label = fmt.Sprintf("%.1f%% (%d/%d)", 100*iv.Rate, c.Passed, iv.N)
			row.Bars = append(row.Bars, bv)
		}
		row.LabelY = round1((row.Y + y - barGap) / 2)
		ch.Rows = append(ch.Rows, row)
		y += rowGap
	}
	for k := 0; k <= 4; k++ {
		ch.Axis = append(ch.Axis, axisTick{X: round1(ch.PlotX + float64(k)/4*ch.PlotW), Label: fmt.Sprintf("%d%%", k*25)})
	}
	ch.Height = y + chartMargin
	return ch
}

// Layout of the scatter chart: a square plot from 0 to the largest rate
// (rounded up to a tenth, at least 0.1) on both axes.
const (
	scatterSize = 360.0
	scatterPad  = 56.0
)

func buildScatter(rvs []runView) *scatterChart {
	top := 0.0
	var have []runView
	for _, rv := range rvs {
		if rv.Refusals.Over.N == 0 || rv.Refusals.Under.N == 0 {
			continue // a point needs both rates
		}
		have = append(have, rv)
		top = max(top, rv.Refusals.Over.Hi, rv.Refusals.Under.Hi)
	}
	if len(have) == 0 {
		return nil
	}
	top = max(0.1, math.Ceil(top*10)/10)
	sc := &scatterChart{Size: scatterSize, Pad: scatterPad}
	x := func(v float64) float64 { return round1(scatterPad + v/top*scatterSize) }
	y := func(v float64) float64 { return round1(scatterPad/2 + scatterSize - v/top*scatterSize) }
	for k := 0; k <= 4; k++ {
		f := top * float64(k) / 4
		sc.Ticks = append(sc.Ticks, scatterTick{Pos: round1(float64(k) / 4 * scatterSize), Label: fmt.Sprintf("%.0f%%", 100*f)})
	}
	for _, rv := range have {
		o, u := rv.Refusals.Over, rv.Refusals.Under
		p := pointView{Run: runName(rv.Summary, rv.Index-1), Color: rv.Color, Over: o, Under: u,
			X: x(o.Rate), Y: y(u.Rate), XLo: x(o.Lo), XHi: x(o.Hi), YLo: y(u.Lo), YHi: y(u.Hi),
			OverText: rateText(o), UnderText: rateText(u)}
		p.LabelX, p.LabelY = p.X+8, p.Y-8
		sc.Points = append(sc.Points, p)
	}
	slices.SortStableFunc(sc.Points, func(a, b pointView) int { return cmp.Compare(a.Run, b.Run) })
	return sc
}

func rateText(iv Interval) string {
	if iv.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% [%.1f, %.1f] of %d", 100*iv.Rate, 100*iv.Lo, 100*iv.Hi, iv.N)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
