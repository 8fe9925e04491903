package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/detect/injection"
	"github.com/modelspec/modelspec/internal/detect/rolespoof"
	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
)

type checkParams struct {
	spec            string
	policy          string
	settings        string
	systemAuthority string
	conversation    string
}

func newCheckCmd() *cobra.Command {
	var p checkParams
	c := &cobra.Command{
		Use:   "check [--spec F] [--policy F] [--settings F] CONVERSATION.json",
		Short: "Apply the chain of command to a conversation and print the decision as JSON",
		Long: `Check reads a conversation in OpenAI chat format (a chat completions request, or
a bare array of messages; - reads standard input) and prints the decision as
JSON: the authority of every message, the data spans inside instructing
messages, the effective policy after layering the spec, the developer policy
and the user settings, every override with whether it was accepted and the
clause that decided it, the findings of the injection and role-spoofing
screens, the action and the clauses cited.

Exit status: 0 when the action is allow or annotate, 1 when it is block,
2 on a usage error or input that does not parse.`,
		Args: rangeArgs(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			p.conversation = args[0]
			return runCheck(c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr(), p)
		},
	}
	c.Flags().StringVar(&p.spec, "spec", "", "spec file (default: the built-in spec)")
	c.Flags().StringVar(&p.policy, "policy", "", "developer policy (YAML)")
	c.Flags().StringVar(&p.settings, "settings", "", "user settings (YAML or JSON)")
	c.Flags().StringVar(&p.systemAuthority, "system-authority", "developer", "authority of system messages: developer (an app's system prompt) or system (the platform's)")
	return c
}

func runCheck(stdin io.Reader, stdout, stderr io.Writer, p checkParams) error {
	var opts policy.Options
	switch p.systemAuthority {
	case "developer", "system":
		opts.SystemAuthority = spec.Authority(p.systemAuthority)
	default:
		return usageError("--system-authority %q: want developer or system", p.systemAuthority)
	}
	s, _, err := loadSpec(p.spec)
	if err != nil {
		return err
	}
	var dev *policy.Developer
	if p.policy != "" {
		var problems []spec.Problem
		dev, problems, err = loadDeveloper(s, p.policy)
		if err != nil {
			return err
		}
		// Problems that do not stop the policy from loading are refused
		// overrides: they show in the decision, and are named here too.
		for _, pr := range problems {
			fmt.Fprintln(stderr, pr)
		}
		if dev == nil {
			return &exitError{code: ExitError, msg: fmt.Sprintf("%s: the developer policy does not parse", p.policy)}
		}
	}
	var user *policy.Settings
	if p.settings != "" {
		src, err := os.ReadFile(p.settings)
		if err != nil {
			return fmt.Errorf("read settings: %w", err)
		}
		var problems []spec.Problem
		if user, problems = policy.ParseSettings(p.settings, src); user == nil {
			for _, pr := range problems {
				fmt.Fprintln(stderr, pr)
			}
			return &exitError{code: ExitError, msg: fmt.Sprintf("%s: the user settings do not parse", p.settings)}
		}
	}
	data, err := readInput(stdin, p.conversation)
	if err != nil {
		return err
	}
	conv, err := openai.DecodeConversation(data)
	if err != nil {
		return usageError("%s: %v", p.conversation, err)
	}
	opts.Injection, opts.RoleSpoof = injection.New(), rolespoof.New()
	d := policy.Decide(policy.Effective(s, dev, user), policy.FromChat(conv.Messages), opts)
	if err := writeJSON(stdout, d); err != nil {
		return err
	}
	if d.Action == policy.Block {
		return failure()
	}
	return nil
}

// readInput reads a named file, or standard input for "-".
func readInput(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read conversation: %w", err)
	}
	return data, nil
}
