// Package policy applies a spec's chain of command: it layers the spec
// (root), a developer policy and user settings into an effective policy,
// and decides what a conversation may and may not change.
//
// It is part of the pure core: no net/http, no database/sql, no clock and
// no I/O. Files arrive as bytes, and the same inputs always give the same
// Decision, so a decision can be replayed exactly.
package policy

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/modelspec/modelspec/internal/spec"
)

// Developer is a developer policy: what one app changes in the spec.
type Developer struct {
	File string `yaml:"-"`
	// App names the application the policy belongs to.
	App string `yaml:"app"`
	// Spec names the spec the policy was written for (informative).
	Spec string `yaml:"spec"`
	// Defaults turns defaults off, changes or locks them.
	Defaults []DefaultChange `yaml:"defaults"`
	// UsersMayOverride is "all" (the default: whatever the spec lets users
	// change), "none", or a list of clause ids.
	UsersMayOverride OverrideList `yaml:"users_may_override"`
	// Clauses are extra clauses at developer authority.
	Clauses []ExtraClause `yaml:"clauses"`
	// Checks sets the action for each detector category.
	Checks map[string]Check `yaml:"checks"`

	pos map[string]spec.Pos // YAML path -> position, for problems
}

// DefaultChange is one entry of Developer.Defaults or Settings.Overrides.
type DefaultChange struct {
	Clause string `yaml:"clause"`
	// Off turns the clause off.
	Off bool `yaml:"off"`
	// Set replaces the clause's instruction with this text.
	Set string `yaml:"set"`
	// Lock keeps users from overriding the clause (developers only).
	Lock bool `yaml:"lock"`
}

// Action returns what the change does: off, set or lock.
func (d DefaultChange) Action() string {
	switch {
	case d.Off:
		return "off"
	case d.Set != "":
		return "set"
	case d.Lock:
		return "lock"
	}
	return ""
}

// ExtraClause is a clause a developer adds to the spec.
type ExtraClause struct {
	ID    string    `yaml:"id"`
	Title string    `yaml:"title"`
	Text  string    `yaml:"text"`
	Kind  spec.Kind `yaml:"kind"`
}

// Check is the action taken when a detector category finds something, and
// what to do when the check itself fails.
type Check struct {
	Action Action `yaml:"action"`
	// Fail is "open" (let the request through) or "closed" (block it) when
	// the check errors or times out.
	Fail string `yaml:"fail"`
}

// OverrideList is a list of clause ids, or everything ("all"), or nothing
// ("none").
type OverrideList struct {
	All bool
	IDs []string
	set bool
}

// UnmarshalYAML accepts "all", "none" or a list of ids.
func (a *OverrideList) UnmarshalYAML(b []byte) error {
	a.set = true
	var s string
	if err := yaml.Unmarshal(b, &s); err == nil {
		switch s {
		case "all":
			a.All = true
			return nil
		case "none":
			return nil
		}
		return fmt.Errorf("users_may_override: %q: want all, none or a list of clause ids", s)
	}
	return yaml.Unmarshal(b, &a.IDs)
}

// Permits reports whether id is in the list.
func (a OverrideList) Permits(id string) bool {
	if !a.set || a.All {
		return true
	}
	for _, x := range a.IDs {
		if x == id {
			return true
		}
	}
	return false
}

// Settings are a user's overrides.
type Settings struct {
	File      string          `yaml:"-"`
	Overrides []DefaultChange `yaml:"overrides"`
	pos       map[string]spec.Pos
}

// ParseDeveloper reads a developer policy. Syntax errors and unknown
// fields are returned as problems with their line; so is every entry that
// the spec forbids, by CheckDeveloper.
func ParseDeveloper(name string, src []byte) (*Developer, []spec.Problem) {
	d := &Developer{File: name}
	if ps := decodeStrict(name, src, d); ps != nil {
		return nil, ps
	}
	d.pos = positions(src)
	return d, nil
}

// ParseSettings reads user settings (YAML or JSON).
func ParseSettings(name string, src []byte) (*Settings, []spec.Problem) {
	s := &Settings{File: name}
	if ps := decodeStrict(name, src, s); ps != nil {
		return nil, ps
	}
	s.pos = positions(src)
	return s, nil
}

func decodeStrict(name string, src []byte, v any) []spec.Problem {
	if len(bytes.TrimSpace(src)) == 0 {
		return nil
	}
	if err := yaml.UnmarshalWithOptions(src, v, yaml.Strict()); err != nil {
		line, col, msg := spec.YAMLPos(err)
		return []spec.Problem{{File: name, Pos: spec.Pos{Line: line, Col: col}, Code: spec.CodePolicy, Severity: spec.Error, Message: msg}}
	}
	return nil
}

// positions maps every YAML path in src ($.defaults[0].clause) to the
// position of its value, so that a problem found after decoding can name
// its line.
func positions(src []byte) map[string]spec.Pos {
	out := map[string]spec.Pos{}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return out
	}
	for _, doc := range f.Docs {
		ast.Walk(visitor(func(n ast.Node) {
			// A problem with "clause: x" points at x, not at the colon.
			if mv, ok := n.(*ast.MappingValueNode); ok {
				n = mv.Value
			}
			if tok := n.GetToken(); tok != nil && tok.Position != nil {
				p := n.GetPath()
				if _, seen := out[p]; !seen {
					out[p] = spec.Pos{Line: tok.Position.Line, Col: tok.Position.Column}
				}
			}
		}), doc)
	}
	return out
}

type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}

func posAt(m map[string]spec.Pos, path string) spec.Pos {
	for p := path; p != ""; {
		if pos, ok := m[p]; ok {
			return pos
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return spec.Pos{Line: 1, Col: 1}
}
