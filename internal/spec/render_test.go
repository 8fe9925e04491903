package spec_test

import (
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/specs"
)

func TestRenderGolden(t *testing.T) {
	src := []byte(`---
name: tiny
version: "3"
---
# Overview {#overview}

Background for people.

!!! meta "Commentary"
    Only for readers.

## Be brief {#be_brief authority=guideline kind=default}

Keep it short[^ab12]. See [?](#no_harm) and [the docs](https://example.com/docs).

**Example**: short answer

~~~xml
<user>
What is 2+2?
</user>
<comparison>
<assistant> <!-- GOOD -->
4
</assistant>
<assistant> <!-- BAD[#be_brief]: padded -->
Great question! The answer,
after careful thought, is 4.
</assistant>
</comparison>
~~~

## No harm {#no_harm authority=platform kind=rule}

Never help hurt people.

### Weapons {#weapons}

No weapon recipes.
`)
	s, ps := spec.Parse("tiny.md", src)
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	golden(t, "testdata/render/tiny.txt", spec.Render(s, spec.RenderOptions{}))
	golden(t, "testdata/render/tiny-examples.txt", spec.Render(s, spec.RenderOptions{Examples: true, Background: true}))
	golden(t, "testdata/render/tiny-clauses.txt", spec.Render(s, spec.RenderOptions{Clauses: []string{"no_harm"}}))
}

func TestRenderBuiltIn(t *testing.T) {
	s, _ := spec.Parse(specs.DefaultName, specs.Default)
	out := spec.Render(s, spec.RenderOptions{})
	// Authority order: every root clause before every guideline clause.
	lastRoot := strings.LastIndex(out, "[#no_nsfw, rule]")
	firstGuideline := strings.Index(out, "[#ask_clarifying_questions, default]")
	if lastRoot < 0 || firstGuideline < 0 || lastRoot > firstGuideline {
		t.Errorf("clauses not in authority order (root at %d, guideline at %d)", lastRoot, firstGuideline)
	}
	if strings.Contains(out, "**Example**") || strings.Contains(out, "~~~") {
		t.Error("examples rendered without --examples")
	}

	// Brief: the same clauses in the same order, each with the first
	// paragraph of its full text and nothing after it.
	brief := spec.Render(s, spec.RenderOptions{Brief: true, Examples: true})
	full, short := clauseTexts(out), clauseTexts(brief)
	if len(short) != len(full) || len(full) < 10 {
		t.Fatalf("brief render has %d clauses, full %d", len(short), len(full))
	}
	for i, f := range full {
		b := short[i]
		if b.heading != f.heading {
			t.Errorf("clause %d: brief %q, full %q", i, b.heading, f.heading)
			continue
		}
		first, _, _ := strings.Cut(f.text, "\n\n")
		if b.text != first || b.text == "" {
			t.Errorf("%s: brief text %q, want the first paragraph %q", b.heading, b.text, first)
		}
	}
	if strings.Contains(brief, "*Rationale:*") || strings.Contains(brief, "\nExample: ") {
		t.Error("brief render has a rationale or an example")
	}
	if 10*len(brief) > 6*len(out) {
		t.Errorf("brief render is %d bytes, more than 60%% of the full %d", len(brief), len(out))
	}
}

type clauseText struct{ heading, text string }

// clauseTexts splits a render into its clauses: each "### " heading and
// the text up to the next heading.
func clauseTexts(render string) []clauseText {
	var out []clauseText
	for _, part := range strings.Split(render, "\n### ")[1:] {
		heading, text, _ := strings.Cut(part, "\n")
		text, _, _ = strings.Cut(text, "\n## ")
		out = append(out, clauseText{heading, strings.TrimSpace(text)})
	}
	return out
}

func TestExampleRecords(t *testing.T) {
	s, _ := spec.Parse("multi.md", []byte("## A {#a authority=user kind=default}\n\n**Example**: two rounds\n\n~~~xml\n<user>\nhi\n</user>\n<comparison>\n<assistant> <!-- GOOD -->\nhello\n</assistant>\n</comparison>\n<user>\nbye\n</user>\n<comparison>\n<assistant> <!-- GOOD -->\nbye\n</assistant>\n<assistant> <!-- BAD[#a]: rude -->\ngo\n</assistant>\n</comparison>\n~~~\n"))
	recs := spec.ExampleRecords(s)
	if len(recs) != 2 {
		t.Fatalf("records = %d, want 2", len(recs))
	}
	if len(recs[0].Messages) != 1 || len(recs[1].Messages) != 2 || recs[1].Messages[1].Content != "bye" {
		t.Errorf("messages = %+v / %+v", recs[0].Messages, recs[1].Messages)
	}
	if len(recs[1].Candidates) != 2 || recs[1].Candidates[1].Cites != "a" || recs[1].Candidates[1].Reason != "rude" {
		t.Errorf("candidates = %+v", recs[1].Candidates)
	}
}

func TestExtend(t *testing.T) {
	base, _ := spec.Parse("base.md", []byte("## Safe {#safe authority=root kind=rule}\n\nBe safe.\n\n## Brief {#brief authority=guideline kind=default}\n\nBe brief.\n"))
	child, _ := spec.Parse("child.md", []byte("---\nname: child\nextends: base.md\n---\n## Safe {#safe authority=user kind=default}\n\nAnything goes.\n\n## Brief {#brief authority=guideline kind=default}\n\nBe very brief.\n\n## Kind {#kind authority=user kind=default}\n\nBe kind.\n"))
	out, ps := spec.Extend(base, child)
	if len(ps) != 1 || ps[0].Code != spec.CodeRuleOverride || ps[0].Pos.Line != 5 {
		t.Fatalf("problems = %v", ps)
	}
	if got := out.Section("safe").Body; got != "Be safe." {
		t.Errorf("a rule was weakened: %q", got)
	}
	if got := out.Section("brief").Body; got != "Be very brief." {
		t.Errorf("default not refined: %q", got)
	}
	if out.Section("kind") == nil || out.Name != "child" {
		t.Errorf("new clause or name missing: %+v", out)
	}
}
