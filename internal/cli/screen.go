package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/openai"
)

type screenParams struct {
	input     string
	protected string
	json      bool
	exitCode  bool
	only      []string
}

func newScreenCmd() *cobra.Command {
	var p screenParams
	c := &cobra.Command{
		Use:   "screen [--json] [FILE|-]",
		Short: "Run the detectors on a text or a conversation and print their findings",
		Long: `Screen runs every built-in detector on a text, or on each message of a
conversation (a chat completions request or an array of messages, recognised
when the input is JSON of that shape), and prints the findings. With --json it
prints {"findings": [...], "scores": {...}}: scores holds every classifier's
score, found or not (for a conversation, the highest over its messages).
With no FILE, or -, it reads standard input.

Exit status: 0, or 1 with --exit-code when something was found; 2 on error.`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			p.input = "-"
			if len(args) == 1 {
				p.input = args[0]
			}
			return runScreen(c.InOrStdin(), c.OutOrStdout(), p)
		},
	}
	c.Flags().BoolVar(&p.json, "json", false, "print findings and scores as JSON")
	c.Flags().BoolVar(&p.exitCode, "exit-code", false, "exit 1 when there are findings")
	c.Flags().StringVar(&p.protected, "protected", "", "folder of protected texts (.txt, .md) for the creators'-rights screen")
	c.Flags().StringSliceVar(&p.only, "detectors", nil, "only these detector ids (comma-separated; see the list in --help of screen)")
	return c
}

type screenJSON struct {
	Findings []detect.Finding   `json:"findings"`
	Scores   map[string]float64 `json:"scores"`
}

func runScreen(stdin io.Reader, stdout io.Writer, p screenParams) error {
	protected, err := builtin.LoadProtected(p.protected)
	if err != nil {
		return err
	}
	reg, err := builtin.Registry(builtin.Options{Protected: protected})
	if err != nil {
		return err
	}
	if len(p.only) > 0 {
		if reg, err = subset(reg, p.only); err != nil {
			return err
		}
	}
	data, err := readInput(stdin, p.input)
	if err != nil {
		return err
	}
	out := screenJSON{Findings: []detect.Finding{}, Scores: map[string]float64{}}
	texts := []string{string(data)}
	conv := asConversation(data)
	if conv != nil {
		texts = texts[:0]
		for _, m := range conv.Messages {
			texts = append(texts, m.Text())
		}
	}
	for i, text := range texts {
		fs := reg.Run(text)
		if conv != nil {
			for j := range fs {
				msg := i
				fs[j].Message = &msg
			}
		}
		out.Findings = append(out.Findings, fs...)
		for cat, s := range reg.Scores(text) {
			out.Scores[cat] = max(out.Scores[cat], s)
		}
	}
	if p.json {
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	} else if err := printFindings(stdout, texts, out.Findings); err != nil {
		return err
	}
	if p.exitCode && len(out.Findings) > 0 {
		return failure()
	}
	return nil
}

// asConversation returns the input as a conversation when it is JSON of
// that shape, and nil for anything else (which is screened as text).
func asConversation(data []byte) *openai.Conversation {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil
	}
	conv, err := openai.DecodeConversation(t)
	if err != nil {
		return nil
	}
	return conv
}

func subset(reg *detect.Registry, ids []string) (*detect.Registry, error) {
	out := &detect.Registry{}
	for _, id := range ids {
		d, ok := reg.Get(id)
		if !ok {
			return nil, usageError("--detectors: no detector %q (have: %s)", id, strings.Join(reg.IDs(), ", "))
		}
		if err := out.Register(d); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func printFindings(w io.Writer, texts []string, fs []detect.Finding) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "no findings")
		return err
	}
	tw := newTable(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE\tSPAN\tDETECTOR\tCATEGORY\tSCORE\tCLAUSE\tTEXT")
	for _, f := range fs {
		msg, text := "-", texts[0]
		if f.Message != nil {
			msg, text = fmt.Sprint(*f.Message), texts[*f.Message]
		}
		fmt.Fprintf(tw, "%s\t%d-%d\t%s\t%s\t%.2f\t%s\t%s\n", msg, f.Start, f.End, f.Detector, f.Category, f.Score, f.Clause, excerpt(text[f.Start:f.End]))
	}
	return tw.Flush()
}

// excerpt shortens a finding's text to one line of at most 60 characters.
func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return fmt.Sprintf("%q", s)
}
