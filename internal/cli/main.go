// Package cli is the modelspec command line: one file per command, each
// parsing its flags into a params struct, validating it and calling the
// packages that do the work. It owns exit codes: 0 success, 1 a policy or
// quality failure (lint problems, a blocked conversation), 2 an error
// (usage, I/O, bad input).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitError   = 2
)

// exitError ends a command with a code and, if msg is not empty, a message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// failure ends a command with exit code 1 after it has printed its result.
func failure() error { return &exitError{code: ExitFailure} }

// usageError ends a command with exit code 2 and a message.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitError, msg: fmt.Sprintf(format, args...)}
}

// Main runs the command line with args (without the program name) and
// returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "modelspec: %s\n", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "modelspec: %v\n", err)
	return ExitError
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "modelspec",
		Short: "Turn a written Model Spec into software: lint, render, diff and enforce it",
		Long: `modelspec turns a Model Spec (how an AI assistant should behave, written as Markdown)
into software: a spec toolchain, a chain-of-command decision core, and more.

With no spec file, every command uses the built-in default spec.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// Flag errors are usage errors: exit 2 with the message.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%s: %v (see '%s --help')", c.CommandPath(), err, c.CommandPath())
	})
	group(root, newSpecCmd(), newCheckCmd(), newPolicyCmd(), newScreenCmd(), newServeCmd(), newKeysCmd(), newLogsCmd(), newTrainCmd(), newEvalCmd(), newLabelCmd(), newFeedbackCmd(), newSynthCmd())
	return root
}

// group makes a command that only holds subcommands: given no arguments it
// prints its help, given an unknown subcommand it fails with exit 2 (cobra
// would print the help and exit 0).
func group(c *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError("unknown command %q for %q (see '%s --help')", args[0], c.CommandPath(), c.CommandPath())
		}
		return c.Help()
	}
	c.AddCommand(subs...)
	return c
}

// rangeArgs wraps cobra's checks so that a wrong number of
// arguments is a usage error (exit 2).
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.RangeArgs(lo, hi)(c, args); err != nil {
			return usageError("%s: %v (usage: %s)", c.CommandPath(), err, c.UseLine())
		}
		return nil
	}
}
