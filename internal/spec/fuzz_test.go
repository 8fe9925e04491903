package spec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/specs"
)

// FuzzParse feeds the parser arbitrary documents, seeded from the lint
// cases, the built-in spec and the published OpenAI spec. Whatever the
// input, parsing must not panic, every position must lie inside the
// document, every untrusted span inside its turn, and rendering and
// example extraction must work on the result.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/lint/*.md")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add(specs.Default)
	if b, err := os.ReadFile(filepath.Join(openaiDir, "model_spec.md")); err == nil {
		// Whole sections of the real spec, so that mutations start from
		// realistic examples without a 270 KB input per run.
		for _, part := range strings.SplitAfter(string(b), "\n## ") {
			f.Add([]byte(part))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, ps := spec.Parse("fuzz.md", src)
		lines := strings.Count(string(src), "\n") + 1
		for _, p := range spec.Lint(s, ps, spec.LintOptions{Prompts: []string{}}) {
			if p.Pos.Line < 1 || p.Pos.Line > lines || p.Pos.Col < 1 {
				t.Fatalf("problem outside the document (%d lines): %s", lines, p)
			}
		}
		for _, ex := range s.Examples() {
			turns := append([]*spec.Turn{}, ex.Turns...)
			for _, c := range ex.Candidates {
				turns = append(turns, c.Turn)
				if c.Context < 0 || c.Context > len(ex.Turns) {
					t.Fatalf("candidate context %d of %d turns", c.Context, len(ex.Turns))
				}
			}
			for _, tn := range turns {
				for _, sp := range tn.Untrusted {
					if sp.Start < 0 || sp.Start > sp.End || sp.End > len(tn.Text) {
						t.Fatalf("untrusted span %v outside text of %d bytes", sp, len(tn.Text))
					}
				}
			}
		}
		out := spec.Render(s, spec.RenderOptions{Examples: true, Background: true})
		if utf8.Valid(src) && !utf8.ValidString(out) {
			t.Fatalf("render made invalid UTF-8 from valid input")
		}
		spec.ExampleRecords(s)
	})
}
