package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/specload"
)

type specDiffParams struct {
	old, new string
	json     bool
	exitCode bool
	context  int
}

func newSpecDiffCmd() *cobra.Command {
	var p specDiffParams
	c := &cobra.Command{
		Use:   "diff OLD NEW [--json]",
		Short: "Show the clause-level changes between two releases of a spec",
		Long: `Diff compares two releases of a spec clause by clause (sections with an id):
clauses added, removed or renamed (the same or nearly the same text under a
new id), moved under another parent, retitled, given another authority or
kind, reworded (with a word diff), and examples added, removed or changed.

Authorities are shown as written, so a clause that went from
authority=platform to authority=root reports "platform -> root" although
both spellings mean the same level. Reflowing a paragraph is not a change.

"default" names the built-in spec.

In the text output each changed clause is one block:
  ~ #id  Title                     changed
  + #id  Title                     added
  - #id  Title                     removed
  > #old -> #new (renamed)  Title  renamed
and reworded text shows [-deleted-]{+inserted+} words with some context.
--json prints {"old", "new", "changes": [{"id", "old_id", "kinds", ...}],
"summary": {...}}.

Exit status: 0 whether or not the specs differ (with --exit-code: 0 no
differences, 1 differences), 2 usage or I/O error.`,
		Args: rangeArgs(2, 2),
		RunE: func(c *cobra.Command, args []string) error {
			p.old, p.new = args[0], args[1]
			return runSpecDiff(c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	c.Flags().BoolVar(&p.json, "json", false, "print the diff as JSON")
	c.Flags().BoolVar(&p.exitCode, "exit-code", false, "exit with 1 if there are differences (like git diff --exit-code)")
	c.Flags().IntVar(&p.context, "context", spec.DefaultDiffContext, "words of unchanged text shown around each change")
	return c
}

func runSpecDiff(stdout, stderr io.Writer, p specDiffParams) error {
	if p.context < 1 {
		return usageError("spec diff: --context must be at least 1, not %d", p.context)
	}
	oldSpec, oldProblems, err := loadSpec(p.old)
	if err != nil {
		return err
	}
	newSpec, newProblems, err := loadSpec(p.new)
	if err != nil {
		return err
	}
	// A broken document still diffs, but the reader should know that its
	// clauses may not be what the author meant.
	for _, side := range []struct {
		path     string
		problems []spec.Problem
	}{{p.old, oldProblems}, {p.new, newProblems}} {
		if spec.HasErrors(side.problems) {
			fmt.Fprintf(stderr, "modelspec: warning: %s has errors; run 'modelspec spec lint %s' to see them\n", specName(side.path), side.path)
		}
	}
	d := spec.Diff(oldSpec, newSpec)
	if p.json {
		err = writeJSON(stdout, d)
	} else {
		_, err = io.WriteString(stdout, spec.FormatDiff(d, spec.DiffTextOptions{Context: p.context}))
	}
	if err != nil {
		return err
	}
	if p.exitCode && len(d.Changes) > 0 {
		return failure()
	}
	return nil
}

func specName(path string) string {
	if path == "" || path == specload.BuiltIn {
		return "the built-in spec"
	}
	return path
}
