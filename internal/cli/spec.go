package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/specload"
)

func newSpecCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "spec",
		Short: "Lint, show, render, diff and extract examples from a spec",
	}, newSpecLintCmd(), newSpecShowCmd(), newSpecRenderCmd(), newSpecExamplesCmd(), newSpecDiffCmd())
}

// loadSpec loads one spec ("" for the built-in one) and fails on an I/O
// error. Document problems are returned, not fatal: a spec with problems
// still loads.
func loadSpec(path string) (*spec.Spec, []spec.Problem, error) {
	res, err := specload.Load(path)
	if err != nil {
		return nil, nil, err
	}
	return res.Spec, res.Problems, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

type specLintParams struct {
	files  []string
	strict bool
	json   bool
}

func newSpecLintCmd() *cobra.Command {
	var p specLintParams
	c := &cobra.Command{
		Use:   "lint [FILE...]",
		Short: "Report every problem in one pass, sorted, as file:line:col code message",
		Long: `Lint parses each spec and reports every problem, sorted, one per line as
file:line:col code message. Warnings mark places where a document disagrees
with itself (a reference to a section it does not contain, a footnote without
its prompt file) and do not fail the lint unless --strict is given.

Exit status: 0 clean, 1 problems, 2 usage or I/O error.`,
		RunE: func(c *cobra.Command, args []string) error {
			p.files = args
			return runSpecLint(c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	c.Flags().BoolVar(&p.strict, "strict", false, "treat warnings as problems (exit 1)")
	c.Flags().BoolVar(&p.json, "json", false, "print the problems as a JSON array")
	return c
}

func runSpecLint(stdout, stderr io.Writer, p specLintParams) error {
	files := p.files
	if len(files) == 0 {
		files = []string{""}
	}
	all := []spec.Problem{}
	ioFailed := false
	for _, f := range files {
		s, problems, err := loadSpec(f)
		if err != nil {
			fmt.Fprintf(stderr, "modelspec: %v\n", err)
			ioFailed = true
			continue
		}
		prompts, err := specload.Prompts(f)
		if err != nil {
			fmt.Fprintf(stderr, "modelspec: %s: %v\n", f, err)
			ioFailed = true
		}
		all = append(all, spec.Lint(s, problems, spec.LintOptions{Prompts: prompts})...)
	}
	spec.SortProblems(all)
	if p.json {
		if err := writeJSON(stdout, all); err != nil {
			return err
		}
	} else {
		for _, pr := range all {
			fmt.Fprintln(stdout, pr)
		}
	}
	failed := spec.HasErrors(all) || (p.strict && len(all) > 0)
	switch {
	case ioFailed:
		return &exitError{code: ExitError}
	case failed:
		return failure()
	}
	return nil
}

type specShowParams struct {
	file string
	json bool
}

func newSpecShowCmd() *cobra.Command {
	var p specShowParams
	c := &cobra.Command{
		Use:   "show [--json] [FILE]",
		Short: "Show a spec's clauses, authorities, kinds and examples",
		Args:  rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				p.file = args[0]
			}
			return runSpecShow(c.OutOrStdout(), p)
		},
	}
	c.Flags().BoolVar(&p.json, "json", false, "print the whole parsed spec as JSON")
	return c
}

// showSection is a section as spec show --json prints it: the parsed
// section with its effective authority and kind filled in.
type showSection struct {
	*spec.Section
	Authority spec.Authority `json:"authority,omitempty"`
	Kind      spec.Kind      `json:"kind,omitempty"`
	// Inherited is true when the authority comes from an enclosing section.
	Inherited bool            `json:"inherited_authority,omitempty"`
	Examples  []*spec.Example `json:"examples"`
}

type showJSON struct {
	File      string             `json:"file"`
	Name      string             `json:"name,omitempty"`
	Version   string             `json:"version,omitempty"`
	Extends   string             `json:"extends,omitempty"`
	Sections  []showSection      `json:"sections"`
	Examples  int                `json:"examples"`
	Labels    map[spec.Label]int `json:"labels"`
	Counts    spec.Counts        `json:"counts"`
	Footnotes []spec.Footnote    `json:"footnotes,omitempty"`
	Problems  []spec.Problem     `json:"problems"`
}

func runSpecShow(stdout io.Writer, p specShowParams) error {
	s, problems, err := loadSpec(p.file)
	if err != nil {
		return err
	}
	counts := s.Count()
	if p.json {
		out := showJSON{File: s.File, Name: s.Name, Version: s.Version, Extends: s.Extends,
			Examples: counts.Examples, Labels: counts.Labels, Counts: counts, Footnotes: s.Footnotes, Problems: problems}
		if out.Problems == nil {
			out.Problems = []spec.Problem{}
		}
		for _, sec := range s.Sections {
			ss := showSection{Section: sec, Authority: s.EffectiveAuthority(sec), Kind: s.EffectiveKind(sec), Examples: sec.Examples}
			ss.Inherited = sec.Authority == "" && ss.Authority != ""
			if ss.Examples == nil {
				ss.Examples = []*spec.Example{}
			}
			out.Sections = append(out.Sections, ss)
		}
		return writeJSON(stdout, out)
	}
	title := s.Name
	if title == "" {
		title = s.File
	}
	fmt.Fprintf(stdout, "%s", title)
	if s.Version != "" {
		fmt.Fprintf(stdout, " version %s", s.Version)
	}
	fmt.Fprintf(stdout, " (%s)\n", s.File)
	fmt.Fprintf(stdout, "%d sections, %d clauses, %d examples, %d candidates (GOOD %d, BAD %d, OK %d)\n\n",
		counts.Sections, counts.Clauses, counts.Examples, counts.Candidates, counts.Labels[spec.Good], counts.Labels[spec.Bad], counts.Labels[spec.OK])
	tw := newTable(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAUTHORITY\tKIND\tEXAMPLES\tTITLE")
	for _, sec := range s.Sections {
		auth := string(s.EffectiveAuthority(sec))
		if sec.Authority == "" && auth != "" {
			auth += "*"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%d\t%s\n", strings.Repeat("  ", max(sec.Level-1, 0)), orDash(sec.ID), orDash(auth), orDash(string(s.EffectiveKind(sec))), len(sec.Examples), sec.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "\n%d problems; run 'modelspec spec lint %s' to see them\n", len(problems), p.file)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type specRenderParams struct {
	file       string
	examples   bool
	background bool
	brief      bool
	clauses    []string
}

func newSpecRenderCmd() *cobra.Command {
	var p specRenderParams
	c := &cobra.Command{
		Use:   "render [FILE]",
		Short: "Render a spec as the text a model is given (clauses in authority order)",
		Args:  rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				p.file = args[0]
			}
			return runSpecRender(c.OutOrStdout(), p)
		},
	}
	c.Flags().BoolVar(&p.examples, "examples", false, "include the worked examples")
	c.Flags().BoolVar(&p.background, "background", false, "include sections without authority (overview, definitions)")
	c.Flags().BoolVar(&p.brief, "brief", false, "only the first paragraph of each clause, its statement (no explanations, rationale or examples)")
	c.Flags().StringSliceVar(&p.clauses, "clauses", nil, "only these clause ids (comma-separated) and the clauses nested under them")
	return c
}

func runSpecRender(stdout io.Writer, p specRenderParams) error {
	s, _, err := loadSpec(p.file)
	if err != nil {
		return err
	}
	if p.brief && p.examples {
		return usageError("--brief leaves the examples out: use one of --brief and --examples")
	}
	if unknown := s.UnknownIDs(p.clauses); len(unknown) > 0 {
		return usageError("--clauses: no clause %s in %s (see 'modelspec spec show %s')", strings.Join(unknown, ", "), s.File, p.file)
	}
	_, err = io.WriteString(stdout, spec.Render(s, spec.RenderOptions{Examples: p.examples, Clauses: p.clauses, Background: p.background, Brief: p.brief}))
	return err
}

func newSpecExamplesCmd() *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "examples [FILE]",
		Short: "Write the spec's examples as JSON lines (messages and labelled candidates)",
		Args:  rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				file = args[0]
			}
			s, _, err := loadSpec(file)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(c.OutOrStdout())
			enc.SetEscapeHTML(false)
			for _, rec := range spec.ExampleRecords(s) {
				if err := enc.Encode(rec); err != nil {
					return err
				}
			}
			return nil
		},
	}
	return c
}
