package synth

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseReply: a teacher's reply is untrusted text. ParseReply never
// panics, fails only with ErrMalformedReply, and what it returns is
// trimmed, not empty and taken from the reply.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"<reasoning>r</reasoning><answer>a</answer>",
		"x<reasoning>\n#a applies\n</reasoning>\n<answer>Hi </answer> there</answer>",
		"<answer>a</answer>", "<reasoning></reasoning><answer></answer>", "<reasoning>r</reasoning><answer>cut",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := ParseReply(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformedReply) {
				t.Fatalf("error %v does not wrap ErrMalformedReply", err)
			}
			return
		}
		for _, part := range []string{r.Reasoning, r.Answer} {
			if part == "" || part != strings.TrimSpace(part) || !strings.Contains(raw, part) {
				t.Fatalf("part %q of %q", part, raw)
			}
		}
	})
}
