package policy

import (
	"fmt"
	"slices"

	"github.com/modelspec/modelspec/internal/spec"
)

// Clause state in the effective policy.
const (
	StateActive  = "active"
	StateOff     = "off"
	StateChanged = "changed"
)

// Clause is one clause of the effective policy.
type Clause struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Kind      spec.Kind      `json:"kind"`
	Authority spec.Authority `json:"authority"`
	State     string         `json:"state"`
	// Text is the replacement instruction when State is changed.
	Text string `json:"text,omitempty"`
	// Locked is true when the developer forbade user overrides.
	Locked bool `json:"locked,omitempty"`
	// SetBy is who decided the state: spec, developer or user.
	SetBy string `json:"set_by"`
	// Source is spec or developer (an extra developer clause).
	Source string `json:"source"`
}

// Override records one attempt to change a clause, accepted or refused.
type Override struct {
	Clause   string `json:"clause"`
	By       string `json:"by"`     // developer or user
	Action   string `json:"action"` // off, set or lock
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason"`
	// Cites is the clause whose authority decided a refusal: the clause
	// itself, or the chain of command when the overrider lacked authority.
	Cites string   `json:"cites,omitempty"`
	File  string   `json:"file,omitempty"`
	Pos   spec.Pos `json:"pos"`
}

// Policy is the effective policy: the spec's clauses after the developer
// policy and the user settings are applied.
type Policy struct {
	Spec      *spec.Spec
	Developer *Developer
	Clauses   []Clause
	Overrides []Override
	index     map[string]int
}

// Clause returns the effective clause with the given id.
func (p *Policy) Clause(id string) (Clause, bool) {
	i, ok := p.index[id]
	if !ok {
		return Clause{}, false
	}
	return p.Clauses[i], true
}

// Effective layers dev (may be nil) and user (may be nil) over s. It never
// fails: each override that the chain of command does not allow is kept in
// Overrides with Accepted false, the reason and the clause that decided it.
func Effective(s *spec.Spec, dev *Developer, user *Settings) *Policy {
	p := &Policy{Spec: s, Developer: dev, index: map[string]int{}}
	for _, sec := range s.Clauses() {
		if _, dup := p.index[sec.ID]; dup {
			continue
		}
		kind := s.EffectiveKind(sec)
		if kind == "" {
			continue // background: overview, definitions
		}
		p.index[sec.ID] = len(p.Clauses)
		p.Clauses = append(p.Clauses, Clause{ID: sec.ID, Title: sec.Title, Kind: kind,
			Authority: s.EffectiveAuthority(sec), State: StateActive, SetBy: "spec", Source: "spec"})
	}
	if dev != nil {
		for _, ec := range dev.Clauses {
			if _, dup := p.index[ec.ID]; dup || ec.ID == "" {
				continue // reported by CheckDeveloper
			}
			kind := ec.Kind
			if kind == "" {
				kind = spec.Default
			}
			p.index[ec.ID] = len(p.Clauses)
			p.Clauses = append(p.Clauses, Clause{ID: ec.ID, Title: ec.Title, Kind: kind, Authority: spec.Developer,
				State: StateActive, Text: ec.Text, SetBy: "developer", Source: "developer"})
		}
		for i, ch := range dev.Defaults {
			path := fmt.Sprintf("$.defaults[%d]", i)
			p.apply(ch, "developer", spec.Developer, dev.File, posAt(dev.pos, path+".clause"))
		}
	}
	if user != nil {
		for i, ch := range user.Overrides {
			path := fmt.Sprintf("$.overrides[%d]", i)
			p.apply(ch, "user", spec.User, user.File, posAt(user.pos, path+".clause"))
		}
	}
	return p
}

// chainOfCommand names the clause that orders authority, in this spec's
// words; refusals cite it when the overrider lacks authority.
func (p *Policy) chainOfCommand() string {
	return p.Cite(ClauseChainOfCommand)
}

func (p *Policy) apply(ch DefaultChange, by string, auth spec.Authority, file string, pos spec.Pos) {
	o := Override{Clause: ch.Clause, By: by, Action: ch.Action(), File: file, Pos: pos}
	refuse := func(cites, format string, args ...any) {
		o.Reason, o.Cites = fmt.Sprintf(format, args...), cites
		p.Overrides = append(p.Overrides, o)
	}
	i, ok := p.index[ch.Clause]
	switch {
	case !ok:
		refuse("", "no clause %q in the spec", ch.Clause)
		return
	case o.Action == "":
		refuse("", "nothing to change: give off: true, set: TEXT or lock: true")
		return
	case ch.Off && ch.Set != "":
		refuse("", "off and set both given: choose one")
		return
	case ch.Lock && by != "developer":
		refuse(p.chainOfCommand(), "only a developer may lock a clause")
		return
	}
	c := &p.Clauses[i]
	switch {
	case c.Kind == spec.Rule:
		refuse(c.ID, "#%s is a rule at %s authority: nobody may override it", c.ID, c.Authority)
		return
	case c.Kind == spec.Objective:
		refuse(c.ID, "#%s is an objective: it cannot be switched off or changed", c.ID)
		return
	case c.Authority == spec.Root || c.Authority == spec.System:
		refuse(c.ID, "#%s has %s authority, above the %s", c.ID, c.Authority, by)
		return
	case c.Authority.Above(auth):
		refuse(c.ID, "#%s has %s authority: a %s may not change it", c.ID, c.Authority, by)
		return
	case by == "user" && c.Locked:
		refuse(c.ID, "the developer locked #%s", c.ID)
		return
	case by == "user" && p.Developer != nil && !p.Developer.UsersMayOverride.Permits(c.ID):
		refuse(c.ID, "the developer does not let users override #%s (users_may_override)", c.ID)
		return
	case by == "user" && c.Source == "developer":
		refuse(c.ID, "#%s is the developer's own clause", c.ID)
		return
	}
	switch o.Action {
	case "off":
		c.State, c.Text = StateOff, ""
	case "set":
		c.State, c.Text = StateChanged, ch.Set
	}
	if ch.Lock {
		c.Locked = true
	}
	if o.Action != "lock" {
		c.SetBy = by
	}
	o.Accepted = true
	o.Reason = fmt.Sprintf("#%s is a %s-level %s: a %s may %s", c.ID, c.Authority, c.Kind, by, verb(o.Action))
	p.Overrides = append(p.Overrides, o)
}

func verb(action string) string {
	switch action {
	case "off":
		return "turn it off"
	case "set":
		return "change it"
	}
	return "lock it"
}

// CheckDeveloper lints a developer policy against a spec: each entry that
// tries to change a clause it may not (a rule, an objective, a root or
// system clause), names a clause the spec lacks, or is malformed, is an
// error with its line.
func CheckDeveloper(s *spec.Spec, dev *Developer) []spec.Problem {
	var ps []spec.Problem
	add := func(path, code, format string, args ...any) {
		ps = append(ps, spec.Problem{File: dev.File, Pos: posAt(dev.pos, path), Code: code, Severity: spec.Error, Message: fmt.Sprintf(format, args...)})
	}
	p := Effective(s, dev, nil)
	for i, o := range p.Overrides {
		if o.Accepted {
			continue
		}
		code := spec.CodeRuleOverride
		if _, ok := p.index[o.Clause]; !ok {
			code = spec.CodeUnknownClause
		}
		if o.Action == "" || (dev.Defaults[i].Off && dev.Defaults[i].Set != "") {
			code = spec.CodePolicy
		}
		add(fmt.Sprintf("$.defaults[%d].clause", i), code, "defaults[%d]: %s", i, o.Reason)
	}
	seen := map[string]bool{}
	for i, ec := range dev.Clauses {
		path := fmt.Sprintf("$.clauses[%d]", i)
		switch {
		case ec.ID == "":
			add(path, spec.CodePolicy, "clauses[%d]: id is required", i)
		case s.Section(ec.ID) != nil:
			add(path+".id", spec.CodeDuplicateID, "clauses[%d]: #%s is already a clause of the spec: use defaults to change it", i, ec.ID)
		case seen[ec.ID]:
			add(path+".id", spec.CodeDuplicateID, "clauses[%d]: #%s is defined twice", i, ec.ID)
		}
		seen[ec.ID] = true
		if ec.Kind != "" && ec.Kind != spec.Rule && ec.Kind != spec.Default {
			add(path+".kind", spec.CodeUnknownKind, "clauses[%d]: kind %q: want rule or default", i, ec.Kind)
		}
		if ec.Text == "" {
			add(path, spec.CodePolicy, "clauses[%d]: text is required", i)
		}
	}
	if dev.UsersMayOverride.set {
		for i, id := range dev.UsersMayOverride.IDs {
			if _, ok := p.index[id]; !ok {
				add(fmt.Sprintf("$.users_may_override[%d]", i), spec.CodeUnknownClause, "users_may_override: no clause %q in the spec", id)
			}
		}
	}
	cats := make([]string, 0, len(dev.Checks))
	for c := range dev.Checks {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	for _, cat := range cats {
		ck := dev.Checks[cat]
		path := "$.checks." + cat
		if _, ok := actionRank[ck.Action]; !ok && ck.Action != "" {
			add(path+".action", spec.CodePolicy, "checks.%s.action %q: want allow, annotate, redact or block", cat, ck.Action)
		}
		if ck.Fail != "" && ck.Fail != "open" && ck.Fail != "closed" {
			add(path+".fail", spec.CodePolicy, "checks.%s.fail %q: want open or closed", cat, ck.Fail)
		}
	}
	spec.SortProblems(ps)
	return ps
}
