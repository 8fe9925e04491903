package spec_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/specs"
)

var update = flag.Bool("update", false, "rewrite golden files")

// openaiDir holds the published OpenAI Model Spec and its releases.
const openaiDir = "../../../shared/data/openai-model-spec"

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestLintGolden lints each testdata/lint/*.md and compares the problems
// with the .want file beside it.
func TestLintGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/lint/*.md")
	if len(files) == 0 {
		t.Fatal("no lint cases")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, ps := spec.Parse(filepath.Base(f), src)
			ps = spec.Lint(s, ps, spec.LintOptions{})
			var b strings.Builder
			for _, p := range ps {
				b.WriteString(p.String() + "\n")
			}
			golden(t, strings.TrimSuffix(f, ".md")+".want", b.String())
		})
	}
}

func loadOpenAI(t testing.TB, name string) (*spec.Spec, []spec.Problem) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(openaiDir, name))
	if err != nil {
		t.Skipf("OpenAI spec not available: %v", err)
	}
	return spec.Parse(name, src)
}

// TestOpenAIReleases pins what the parser finds in the five published
// releases, counted independently with grep (see each comment).
func TestOpenAIReleases(t *testing.T) {
	type want struct {
		clauses, examples, turns, untrusted, good, bad, ok, cites, errors int
		authorities                                                       map[spec.Authority]int
	}
	cases := map[string]want{
		// grep -c '^\*\*Example\*\*' and grep -o '<!-- GOOD' etc.
		"model_spec.md": {clauses: 80, examples: 183, turns: 233, untrusted: 2, good: 193, bad: 196, ok: 8, cites: 14,
			authorities: map[spec.Authority]int{spec.Root: 22, spec.System: 3, spec.Developer: 1, spec.User: 15, spec.Guideline: 18}},
		"versions/model_spec-2025-10-27.md": {clauses: 78, examples: 181, turns: 230, untrusted: 2, good: 194, bad: 194, ok: 8, cites: 17},
		"versions/model_spec-2025-09-12.md": {clauses: 77, examples: 173, turns: 222, untrusted: 2, good: 186, bad: 186, ok: 7, cites: 17},
		// The two spring releases have a typo, "*</comparison>", that
		// leaves a comparison open: the linter reports it as errors.
		"versions/model_spec-2025-04-11.md": {clauses: 71, examples: 154, turns: 193, untrusted: 2, good: 167, bad: 162, ok: 7, cites: 18, errors: 6},
		"versions/model_spec-2025-02-12.md": {clauses: 71, examples: 154, turns: 193, untrusted: 2, good: 167, bad: 162, ok: 7, cites: 18, errors: 6},
	}
	for name, w := range cases {
		t.Run(filepath.Base(name), func(t *testing.T) {
			s, ps := loadOpenAI(t, name)
			c := s.Count()
			got := want{clauses: c.Clauses, examples: c.Examples, turns: c.Turns, untrusted: c.Untrusted,
				good: c.Labels[spec.Good], bad: c.Labels[spec.Bad], ok: c.Labels[spec.OK], cites: c.Cites}
			for _, p := range spec.Lint(s, ps, spec.LintOptions{}) {
				if p.Severity == spec.Error {
					got.errors++
				}
			}
			if w.authorities != nil {
				got.authorities = map[spec.Authority]int{}
				for _, sec := range s.Sections {
					if sec.Authority != "" {
						got.authorities[sec.Authority]++
					}
				}
			}
			if a, b := strings.ReplaceAll(fmtWant(got), " ", ""), strings.ReplaceAll(fmtWant(w), " ", ""); a != b {
				t.Errorf("got  %s\nwant %s", a, b)
			}
		})
	}
}

func fmtWant(v any) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(sprint(v), "\n", " "), "\t", " "))
}

// TestOpenAIDetails checks single facts of the latest release: a tool
// turn keeps its attributes, untrusted spans cover the right text, and a
// BAD label keeps the clause it cites.
func TestOpenAIDetails(t *testing.T) {
	s, _ := loadOpenAI(t, "model_spec.md")
	sec := s.Section("ignore_untrusted_data")
	if sec == nil || sec.Authority != spec.Root || len(sec.Examples) != 3 {
		t.Fatalf("ignore_untrusted_data = %+v", sec)
	}
	tool := sec.Examples[0].Turns[1]
	if tool.Role != "tool" || tool.Attrs["name"] != "browser" || !strings.HasPrefix(tool.Text, "To language models visiting this site") {
		t.Errorf("tool turn = %+v", tool)
	}
	if call := sec.Examples[0].Turns[0]; call.Role != "assistant" || call.Attrs["recipient"] != "browser" {
		t.Errorf("tool call turn = %+v", call)
	}
	dev := sec.Examples[1].Turns[0]
	if len(dev.Untrusted) != 1 {
		t.Fatalf("untrusted spans = %v", dev.Untrusted)
	}
	u := dev.Text[dev.Untrusted[0].Start:dev.Untrusted[0].End]
	if !strings.HasPrefix(u, "PUGCOIN is going to the moon") || !strings.HasSuffix(strings.TrimSpace(u), "definitely not spam.") {
		t.Errorf("untrusted span = %q", u)
	}
	var cites []string
	for _, ex := range s.Examples() {
		for _, c := range ex.Candidates {
			if c.Cites != "" {
				cites = append(cites, c.Cites)
			}
		}
	}
	if len(cites) != 14 || cites[0] == "" {
		t.Errorf("cites = %v", cites)
	}
	if sec := s.Section("prioritize_teen_safety"); sec == nil || sec.Attrs["tags"] != "under_18" {
		t.Errorf("extra heading attributes lost: %+v", sec)
	}
	// Headings inside code fences are not sections.
	for _, sec := range s.Sections {
		if sec.Title == "functions" || strings.HasPrefix(sec.Title, "[...]") {
			t.Errorf("heading inside a code fence parsed as a section: %q", sec.Title)
		}
	}
}

// TestOpenAIPrompts checks the footnotes against the prompt files: the
// release has four footnotes without a file and two files without a
// footnote (comm -3 of the two lists).
func TestOpenAIPrompts(t *testing.T) {
	s, ps := loadOpenAI(t, "model_spec.md")
	entries, err := os.ReadDir(filepath.Join(openaiDir, "examples"))
	if err != nil {
		t.Skip(err)
	}
	var tags []string
	for _, e := range entries {
		tags = append(tags, strings.TrimSuffix(e.Name(), ".md"))
	}
	got := map[string][]string{}
	for _, p := range spec.Lint(s, ps, spec.LintOptions{Prompts: tags}) {
		if p.Severity != spec.Warning {
			t.Errorf("unexpected error: %s", p)
		}
		got[p.Code] = append(got[p.Code], p.Message)
	}
	if len(got[spec.CodeMissingPrompt]) != 4 || len(got[spec.CodeUnusedPrompt]) != 2 {
		t.Errorf("missing prompts %v, unused prompts %v", got[spec.CodeMissingPrompt], got[spec.CodeUnusedPrompt])
	}
	if len(s.Footnotes) != 116 {
		t.Errorf("footnotes = %d, want 116", len(s.Footnotes))
	}
}

// TestBuiltInSpec: the default spec lints clean and has the three layers.
func TestBuiltInSpec(t *testing.T) {
	s, ps := spec.Parse(specs.DefaultName, specs.Default)
	for _, p := range spec.Lint(s, ps, spec.LintOptions{}) {
		t.Errorf("built-in spec: %s", p)
	}
	kinds := map[spec.Kind][]string{}
	for _, sec := range s.Clauses() {
		if sec.Kind != "" {
			kinds[sec.Kind] = append(kinds[sec.Kind], sec.ID)
			if len(sec.Examples) == 0 {
				t.Errorf("%s has no example", sec.ID)
			}
			good, bad := false, false
			for _, ex := range sec.Examples {
				for _, c := range ex.Candidates {
					good = good || c.Label == spec.Good
					bad = bad || c.Label == spec.Bad
				}
			}
			if !good || !bad {
				t.Errorf("%s lacks a GOOD or a BAD candidate", sec.ID)
			}
			if !strings.Contains(sec.Body, "*Rationale:*") {
				t.Errorf("%s has no rationale", sec.ID)
			}
		}
	}
	if len(kinds[spec.Objective]) != 3 || len(kinds[spec.Rule]) != 6 || len(kinds[spec.Default]) != 10 {
		t.Errorf("kinds = %v", kinds)
	}
	for _, id := range kinds[spec.Rule] {
		if a := s.Section(id).Authority; a != spec.Root {
			t.Errorf("rule %s has authority %s", id, a)
		}
	}
	if s.Name == "" || s.Version == "" {
		t.Errorf("front matter: name %q version %q", s.Name, s.Version)
	}
}

func BenchmarkParseOpenAI(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(openaiDir, "model_spec.md"))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		spec.Parse("model_spec.md", src)
	}
}

func BenchmarkLintOpenAI(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(openaiDir, "model_spec.md"))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		s, ps := spec.Parse("model_spec.md", src)
		spec.Lint(s, ps, spec.LintOptions{})
	}
}

func sprint(v any) string { return fmtAny(v) }
