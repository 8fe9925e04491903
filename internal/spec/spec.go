// Package spec parses, validates, renders and compares Model Spec documents.
//
// It is the pure core of the project: it never imports net/http or
// database/sql and never reads the clock, so that the same input always
// yields the same Spec, the same problems and the same rendering.
package spec

import "strings"

// Authority is the level of a clause or a message in the chain of command.
type Authority string

// The authority levels, highest first. Platform is accepted on input as an
// alias of Root (older OpenAI releases wrote "platform").
const (
	Root      Authority = "root"
	System    Authority = "system"
	Developer Authority = "developer"
	User      Authority = "user"
	Guideline Authority = "guideline"
	// None is the authority of assistant and tool messages and of quoted or
	// untrusted text: data, never instructions.
	None Authority = "none"
)

// Rank orders authorities: a lower rank is a higher authority. Unknown
// values rank below None.
func (a Authority) Rank() int {
	switch a {
	case Root:
		return 0
	case System:
		return 1
	case Developer:
		return 2
	case User:
		return 3
	case Guideline:
		return 4
	case None:
		return 5
	}
	return 6
}

// Above reports whether a outranks b.
func (a Authority) Above(b Authority) bool { return a.Rank() < b.Rank() }

// ParseAuthority maps the spelling found in a heading to an Authority.
// The second result is false for an unknown spelling.
func ParseAuthority(s string) (Authority, bool) {
	switch strings.ToLower(s) {
	case "root", "platform":
		return Root, true
	case "system":
		return System, true
	case "developer":
		return Developer, true
	case "user":
		return User, true
	case "guideline":
		return Guideline, true
	}
	return "", false
}

// Kind is the layer a clause belongs to.
type Kind string

// The three layers of a spec.
const (
	Objective Kind = "objective"
	Rule      Kind = "rule"
	Default   Kind = "default"
)

// Overridable reports whether a clause of this kind and authority may be
// changed by a party with authority by. Rules and root or system clauses are
// never overridable by developers or users; a developer-level clause only by
// a developer (or above); user and guideline clauses by developers and users.
func Overridable(kind Kind, clause, by Authority) bool {
	if kind == Rule || kind == Objective {
		return false
	}
	if clause == Root || clause == System || clause == "" {
		return false
	}
	return !clause.Above(by)
}

// Pos is a position in a source file; Line and Col count from 1.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Spec is a parsed Model Spec document.
type Spec struct {
	File     string     `json:"file,omitempty"`
	Name     string     `json:"name,omitempty"`
	Version  string     `json:"version,omitempty"`
	Extends  string     `json:"extends,omitempty"`
	Sections []*Section `json:"sections"`
	// Footnotes are the [^tag] markers in the text, in order of first use:
	// the OpenAI spec uses them to point at files of evaluation prompts.
	Footnotes []Footnote `json:"footnotes,omitempty"`
}

// Footnote is a [^tag] marker and where it first appears.
type Footnote struct {
	Tag     string `json:"tag"`
	Section string `json:"section,omitempty"`
	Pos     Pos    `json:"pos"`
}

// Section is one heading of the document and the text up to the next
// heading. A section with an ID is a clause.
type Section struct {
	ID        string    `json:"id,omitempty"`
	Title     string    `json:"title"`
	Level     int       `json:"level"`
	Authority Authority `json:"authority,omitempty"`
	Kind      Kind      `json:"kind,omitempty"`
	// Attrs holds the heading attributes other than id, authority and kind
	// (for example tags=under_18), so that no information is lost.
	Attrs map[string]string `json:"attrs,omitempty"`
	// Parent is the ID of the nearest enclosing section with an ID.
	Parent   string     `json:"parent,omitempty"`
	Body     string     `json:"body"`
	Examples []*Example `json:"examples,omitempty"`
	Refs     []Ref      `json:"refs,omitempty"`
	Pos      Pos        `json:"pos"`
}

// Ref is a cross reference [text](#id) or [?](#id).
type Ref struct {
	ID  string `json:"id"`
	Pos Pos    `json:"pos"`
}

// Example is a worked example: a conversation and, optionally, labelled
// candidate answers.
type Example struct {
	Title      string       `json:"title"`
	Section    string       `json:"section,omitempty"`
	Turns      []*Turn      `json:"turns"`
	Candidates []*Candidate `json:"candidates,omitempty"`
	Pos        Pos          `json:"pos"`
}

// Turn is one message of an example conversation.
type Turn struct {
	Role  string            `json:"role"`
	Attrs map[string]string `json:"attrs,omitempty"`
	Text  string            `json:"text"`
	// Untrusted are the <untrusted> spans inside Text, as byte offsets into
	// Text; the markers themselves are removed from Text.
	Untrusted []Span `json:"untrusted,omitempty"`
	// Settings holds the lines of a <settings> block (key: value).
	Settings map[string]string `json:"settings,omitempty"`
	Pos      Pos               `json:"pos"`
}

// Span is a half-open byte range [Start, End).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Label is the verdict attached to a candidate answer.
type Label string

// Candidate labels.
const (
	Good Label = "GOOD"
	Bad  Label = "BAD"
	OK   Label = "OK"
)

// Candidate is one answer inside a <comparison>.
type Candidate struct {
	Label  Label  `json:"label"`
	Reason string `json:"reason,omitempty"`
	// Cites is the clause a BAD[#id] label says the answer violates.
	Cites string `json:"cites,omitempty"`
	// Context is how many of the example's Turns come before this
	// candidate: the conversation it answers. An example may hold several
	// comparisons, each after more turns.
	Context int   `json:"context"`
	Turn    *Turn `json:"turn"`
}

// Section returns the section with the given ID, or nil.
func (s *Spec) Section(id string) *Section {
	for _, sec := range s.Sections {
		if sec.ID == id {
			return sec
		}
	}
	return nil
}

// Clauses returns the sections that have an ID.
func (s *Spec) Clauses() []*Section {
	var out []*Section
	for _, sec := range s.Sections {
		if sec.ID != "" {
			out = append(out, sec)
		}
	}
	return out
}

// Examples returns every example in document order.
func (s *Spec) Examples() []*Example {
	var out []*Example
	for _, sec := range s.Sections {
		out = append(out, sec.Examples...)
	}
	return out
}

// EffectiveAuthority is the authority that governs a section: its own, or
// the nearest enclosing section's.
func (s *Spec) EffectiveAuthority(sec *Section) Authority {
	for cur := sec; cur != nil; cur = s.Section(cur.Parent) {
		if cur.Authority != "" {
			return cur.Authority
		}
		if cur.Parent == "" || cur.Parent == cur.ID {
			break
		}
	}
	return ""
}
