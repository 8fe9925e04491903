package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const diffOld = `# Chain of command {#chain_of_command}

## Follow the chain of command {#follow_chain authority=platform}

Platform instructions come first, then developer instructions, then user
instructions.

## Be terse {#be_terse authority=guideline}

Prefer short answers.
`

const diffNew = `# Chain of command {#chain_of_command}

## Follow the chain of command {#follow_chain authority=root}

Root instructions come first, then system, developer and user instructions.

## No other objectives {#no_other_objectives authority=root}

Pursue no goal of your own.
`

func writeSpecs(t *testing.T) (oldPath, newPath string) {
	t.Helper()
	dir := t.TempDir()
	oldPath, newPath = filepath.Join(dir, "old.md"), filepath.Join(dir, "new.md")
	for path, text := range map[string]string{oldPath: diffOld, newPath: diffNew} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return oldPath, newPath
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSpecDiffText(t *testing.T) {
	oldPath, newPath := writeSpecs(t)
	code, out, errOut := runCLI("spec", "diff", oldPath, newPath)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{
		"--- " + oldPath + "\n+++ " + newPath + "\n",
		"~ #follow_chain  Follow the chain of command\n    authority: platform -> root\n    text:\n",
		"[-Platform-]{+Root+} instructions come first, then [-developer instructions, then-]{+system, developer and+} user instructions.",
		"+ #no_other_objectives  No other objectives\n    authority: root\n",
		"- #be_terse  Be terse\n",
		"3 clauses changed: 1 added, 1 removed, 1 authority changed, 1 text changed; 1 unchanged (3 clauses -> 3)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSpecDiffJSON(t *testing.T) {
	oldPath, newPath := writeSpecs(t)
	code, out, errOut := runCLI("spec", "diff", "--json", oldPath, newPath)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var got struct {
		Changes []struct {
			ID           string   `json:"id"`
			Kinds        []string `json:"kinds"`
			OldAuthority string   `json:"old_authority"`
			NewAuthority string   `json:"new_authority"`
			WordDiff     []struct {
				Op   string `json:"op"`
				Text string `json:"text"`
			} `json:"word_diff"`
		} `json:"changes"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(got.Changes) != 3 {
		t.Fatalf("%d changes, want 3:\n%s", len(got.Changes), out)
	}
	c := got.Changes[0]
	if c.ID != "follow_chain" || strings.Join(c.Kinds, ",") != "authority_changed,text_changed" ||
		c.OldAuthority != "platform" || c.NewAuthority != "root" || len(c.WordDiff) == 0 || c.WordDiff[0].Op != "delete" {
		t.Errorf("first change %+v", c)
	}
	for k, want := range map[string]int{"added": 1, "removed": 1, "authority_changed": 1, "text_changed": 1, "renamed": 0, "changed": 3, "unchanged": 1} {
		if n, ok := got.Summary[k]; !ok || n != want {
			t.Errorf("summary[%q] = %d (present %v), want %d", k, n, ok, want)
		}
	}
}

func TestSpecDiffExitCodes(t *testing.T) {
	oldPath, newPath := writeSpecs(t)
	tests := []struct {
		name string
		args []string
		code int
		// stderr, when set, is a part of the expected message.
		stderr string
	}{
		{"differences", []string{oldPath, newPath}, ExitOK, ""},
		{"exit-code with differences", []string{"--exit-code", oldPath, newPath}, ExitFailure, ""},
		{"exit-code without differences", []string{"--exit-code", oldPath, oldPath}, ExitOK, ""},
		{"built-in against itself", []string{"--exit-code", "default", "default"}, ExitOK, ""},
		{"one argument", []string{oldPath}, ExitError, "accepts between 2 and 2 arg(s)"},
		{"three arguments", []string{oldPath, newPath, newPath}, ExitError, "accepts between 2 and 2 arg(s)"},
		{"missing file", []string{oldPath, filepath.Join(t.TempDir(), "nope.md")}, ExitError, "nope.md"},
		{"bad flag", []string{"--frobnicate", oldPath, newPath}, ExitError, "unknown flag"},
		{"bad context", []string{"--context", "0", oldPath, newPath}, ExitError, "--context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(append([]string{"spec", "diff"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderr)
			}
		})
	}
}

func TestSpecDiffBuiltIn(t *testing.T) {
	_, out, _ := runCLI("spec", "diff", "default", "default")
	if !strings.Contains(out, "no clause-level changes") {
		t.Errorf("built-in against itself:\n%s", out)
	}
}

// TestSpecDiffOpenAI runs the command on the release that renamed the
// platform authority level to root.
func TestSpecDiffOpenAI(t *testing.T) {
	dir := "../../../shared/data/openai-model-spec/versions/"
	oldPath, newPath := dir+"model_spec-2025-04-11.md", dir+"model_spec-2025-09-12.md"
	if _, err := os.Stat(oldPath); err != nil {
		t.Skip(err)
	}
	code, out, errOut := runCLI("spec", "diff", "--exit-code", oldPath, newPath)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1 (differences); stderr %s", code, errOut)
	}
	for _, want := range []string{
		"~ #follow_all_applicable_instructions  Follow all applicable instructions\n    authority: platform -> root\n",
		"> #be_kind -> #love_humanity (renamed)  Love humanity\n",
		"64 clauses changed: 10 added, 4 removed, 1 renamed, 4 moved, 3 title changed, 19 authority changed, 35 text changed, " +
			"9 with examples added, 2 with examples removed, 27 with examples changed; 17 unchanged (71 clauses -> 77)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
