package spec

import (
	"fmt"
	"slices"
)

// LintOptions carries what the linter cannot see in the document itself.
type LintOptions struct {
	// Prompts lists the evaluation-prompt files that sit beside the spec
	// (the OpenAI layout: examples/<tag>.md for each [^tag] footnote), by
	// tag. Nil means there is no such folder, and footnotes are not checked.
	Prompts []string
}

// Lint checks a parsed spec and returns every problem, sorted: those the
// parser found and those that need the whole document (duplicate ids,
// references to missing sections, footnotes without prompt files).
func Lint(s *Spec, parsed []Problem, opts LintOptions) []Problem {
	ps := slices.Clone(parsed)
	add := func(pos Pos, sev Severity, code, format string, args ...any) {
		ps = append(ps, Problem{File: s.File, Pos: pos, Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	first := map[string]*Section{}
	for _, sec := range s.Sections {
		if sec.ID == "" {
			continue
		}
		if prev, ok := first[sec.ID]; ok {
			add(sec.Pos, Error, CodeDuplicateID, "duplicate id %q (first used at line %d): give each section its own id", sec.ID, prev.Pos.Line)
			continue
		}
		first[sec.ID] = sec
	}
	// A reference to a section the file does not contain is a warning: the
	// published OpenAI spec links to sections kept in other documents, and
	// it must still load.
	for _, sec := range s.Sections {
		for _, r := range sec.Refs {
			if first[r.ID] == nil {
				add(r.Pos, Warning, CodeMissingRef, "reference to #%s, which no section in this file has", r.ID)
			}
		}
		for _, ex := range sec.Examples {
			for _, c := range ex.Candidates {
				if c.Cites != "" && first[c.Cites] == nil {
					add(c.Turn.Pos, Warning, CodeMissingRef, "BAD label cites #%s, which no section in this file has", c.Cites)
				}
			}
		}
	}
	if opts.Prompts != nil {
		have := map[string]bool{}
		for _, t := range opts.Prompts {
			have[t] = true
		}
		used := map[string]bool{}
		for _, n := range s.Footnotes {
			used[n.Tag] = true
			if !have[n.Tag] {
				add(n.Pos, Warning, CodeMissingPrompt, "footnote [^%s] has no prompt file examples/%s.md", n.Tag, n.Tag)
			}
		}
		unused := []string{}
		for _, t := range opts.Prompts {
			if !used[t] {
				unused = append(unused, t)
			}
		}
		slices.Sort(unused)
		for _, t := range unused {
			add(Pos{1, 1}, Warning, CodeUnusedPrompt, "prompt file examples/%s.md is not referenced by any [^%s] footnote", t, t)
		}
	}
	SortProblems(ps)
	return ps
}

// Counts summarises a spec: how many clauses, examples and labelled
// candidates it has.
type Counts struct {
	Sections   int           `json:"sections"`
	Clauses    int           `json:"clauses"`
	Examples   int           `json:"examples"`
	Turns      int           `json:"turns"`
	Untrusted  int           `json:"untrusted"`
	Candidates int           `json:"candidates"`
	Labels     map[Label]int `json:"labels"`
	Cites      int           `json:"cites"`
}

// Count returns the totals for s.
func (s *Spec) Count() Counts {
	c := Counts{Sections: len(s.Sections), Labels: map[Label]int{Good: 0, Bad: 0, OK: 0}}
	for _, sec := range s.Sections {
		if sec.ID != "" {
			c.Clauses++
		}
		for _, ex := range sec.Examples {
			c.Examples++
			c.Turns += len(ex.Turns)
			for _, t := range ex.Turns {
				c.Untrusted += len(t.Untrusted)
			}
			for _, cand := range ex.Candidates {
				c.Candidates++
				c.Untrusted += len(cand.Turn.Untrusted)
				if cand.Label != "" {
					c.Labels[cand.Label]++
				}
				if cand.Cites != "" {
					c.Cites++
				}
			}
		}
	}
	return c
}

// EffectiveKind is the layer a clause belongs to. Specs without kind=
// attributes (the published OpenAI spec) are read by authority: root and
// system clauses cannot be overridden, so they act as rules; the rest are
// defaults.
func (s *Spec) EffectiveKind(sec *Section) Kind {
	if sec.Kind != "" {
		return sec.Kind
	}
	switch s.EffectiveAuthority(sec) {
	case Root, System:
		return Rule
	case "":
		return ""
	}
	return Default
}
