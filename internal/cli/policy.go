package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
)

func newPolicyCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "policy",
		Short: "Check developer policies against a spec",
	}, newPolicyLintCmd())
}

type policyLintParams struct {
	spec  string
	files []string
	json  bool
}

func newPolicyLintCmd() *cobra.Command {
	var p policyLintParams
	c := &cobra.Command{
		Use:   "lint [--spec F] POLICY.yaml...",
		Short: "Report every entry of a developer policy that the spec does not allow",
		Long: `Lint reads developer policies and reports, as file:line:col code message, every
entry that tries to change a clause it may not (a rule, an objective, a root or
system clause), names a clause the spec does not have, or is malformed.

Exit status: 0 clean, 1 problems, 2 usage or I/O error.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("%s: give at least one policy file (usage: %s)", c.CommandPath(), c.UseLine())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			p.files = args
			return runPolicyLint(c.OutOrStdout(), p)
		},
	}
	c.Flags().StringVar(&p.spec, "spec", "", "spec file (default: the built-in spec)")
	c.Flags().BoolVar(&p.json, "json", false, "print the problems as a JSON array")
	return c
}

func runPolicyLint(stdout io.Writer, p policyLintParams) error {
	s, _, err := loadSpec(p.spec)
	if err != nil {
		return err
	}
	all := []spec.Problem{}
	for _, f := range p.files {
		_, problems, err := loadDeveloper(s, f)
		if err != nil {
			return err
		}
		all = append(all, problems...)
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
	if spec.HasErrors(all) {
		return failure()
	}
	return nil
}

// loadDeveloper reads and checks a developer policy. A file that cannot be
// read is an error; a policy with problems is returned with them (and is
// nil when it does not parse).
func loadDeveloper(s *spec.Spec, path string) (*policy.Developer, []spec.Problem, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read policy: %w", err)
	}
	dev, problems := policy.ParseDeveloper(path, src)
	if dev == nil {
		return nil, problems, nil
	}
	return dev, policy.CheckDeveloper(s, dev), nil
}
