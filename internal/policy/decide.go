package policy

import (
	"slices"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/spec"
)

// Action is what the software does with a request.
type Action string

// Actions, from least to most severe.
const (
	Allow    Action = "allow"
	Annotate Action = "annotate"
	Redact   Action = "redact"
	Block    Action = "block"
)

var actionRank = map[Action]int{Allow: 0, Annotate: 1, Redact: 2, Block: 3}

// Detector categories the chain of command screens for.
const (
	CategoryInjection = "injection"
	CategoryRoleSpoof = "role_spoof"
)

// defaultActions apply when the developer policy sets no check for a
// category: instructions found in data are flagged for the model and the
// log, never obeyed, and the request goes on.
//
// Information hazards and sexual content involving minors block by default
// (the rules they serve admit no exception, so a miss costs more than an
// over-block); secrets are redacted; everything else is annotated: recorded
// and cited, and left to the developer to make stricter.
var defaultActions = map[string]Action{
	CategoryInjection: Annotate,
	CategoryRoleSpoof: Annotate,
	"hazard":          Block,
	"sexual_minors":   Block,
	"secret":          Redact,
	// A check that could not run and was configured to fail closed.
	CategoryCheckFailed: Block,
}

// CategoryCheckFailed is the category of the finding a fail-closed check
// reports when it cannot answer.
const CategoryCheckFailed = "check_failed"

// Message is one message of a conversation, in the chat shape of every
// OpenAI-compatible API.
type Message struct {
	Role       string     `json:"role" yaml:"role"`
	Name       string     `json:"name,omitempty" yaml:"name"`
	Content    string     `json:"content" yaml:"content"`
	ToolCallID string     `json:"tool_call_id,omitempty" yaml:"tool_call_id"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty" yaml:"tool_calls"`
}

// ToolCall is a call an assistant message makes.
type ToolCall struct {
	ID        string `json:"id" yaml:"id"`
	Name      string `json:"name" yaml:"name"`
	Arguments string `json:"arguments" yaml:"arguments"`
}

// Options are the parts of a decision that the caller supplies.
type Options struct {
	// SystemAuthority is the authority of a system message. An application
	// sends its system message through the API, so it speaks for the
	// developer (the default); a platform that writes its own system
	// message may raise it to spec.System.
	SystemAuthority spec.Authority
	// Injection finds instruction-like text in data; RoleSpoof finds fake
	// role headers and chat-template tokens. Either may be nil.
	Injection detect.Detector
	RoleSpoof detect.Detector
	// Content are the other screens (privacy, secrets, hazards, ...): they
	// run on every message that is not the assistant's, and each finding's
	// category selects the action.
	Content []detect.Detector
}

// MessageInfo is a message's place in the chain of command.
type MessageInfo struct {
	Index     int            `json:"index"`
	Role      string         `json:"role"`
	Authority spec.Authority `json:"authority"`
	// Name is the tool's name for a tool result.
	Name string `json:"name,omitempty"`
	// Data is true when the whole message is data (tool output).
	Data bool `json:"data"`
	// Spans are the parts of an instructing message that are data.
	Spans []DataSpan `json:"spans,omitempty"`
}

// Decision is the outcome of Decide.
type Decision struct {
	Spec        string           `json:"spec,omitempty"`
	SpecVersion string           `json:"spec_version"`
	Messages    []MessageInfo    `json:"messages"`
	Findings    []detect.Finding `json:"findings"`
	Overrides   []Override       `json:"overrides"`
	Policy      []Clause         `json:"policy"`
	Action      Action           `json:"action"`
	Citations   []string         `json:"citations"`
	// Failures are the checks that could not run (see Policy.Screen).
	Failures []CheckFailure `json:"check_failures,omitempty"`
}

// Authority returns the authority of a message with the given role.
func (o Options) Authority(role string) spec.Authority {
	switch role {
	case "system":
		if o.SystemAuthority != "" {
			return o.SystemAuthority
		}
		return spec.Developer
	case "developer":
		return spec.Developer
	case "user":
		return spec.User
	}
	return spec.None // assistant, tool, function
}

// Decide applies the chain of command to a conversation under the
// effective policy p: every message gets its authority, data is marked as
// data and screened for instructions, user text is screened for role
// spoofing, and the action is the most severe one the developer policy
// sets for what was found.
func Decide(p *Policy, msgs []Message, opts Options) *Decision {
	d := &Decision{Spec: p.Spec.Name, SpecVersion: p.Spec.Version, Overrides: p.Overrides, Policy: p.Clauses,
		Findings: []detect.Finding{}, Action: Allow}
	if d.Overrides == nil {
		d.Overrides = []Override{}
	}
	toolNames := map[string]string{}
	for i, m := range msgs {
		for _, tc := range m.ToolCalls {
			toolNames[tc.ID] = tc.Name
		}
		info := MessageInfo{Index: i, Role: m.Role, Authority: opts.Authority(m.Role), Name: m.Name}
		switch m.Role {
		case "tool", "function":
			info.Data = true
			if n := toolNames[m.ToolCallID]; n != "" && info.Name == "" {
				info.Name = n
			}
			d.screen(p, opts.Injection, m.Content, 0, i, ClauseUntrustedData)
			d.screen(p, opts.RoleSpoof, m.Content, 0, i, ClauseUntrustedData)
		case "assistant":
			// The model's own earlier turns carry no authority and are
			// not screened: they are not instructions to it.
		default:
			info.Spans = DataSpans(m.Content)
			for _, s := range info.Spans {
				d.screen(p, opts.Injection, m.Content[s.Start:s.End], s.Start, i, ClauseUntrustedData)
			}
			if m.Role == "user" {
				d.screen(p, opts.RoleSpoof, m.Content, 0, i, ClauseChainOfCommand)
			} else {
				for _, s := range info.Spans {
					d.screen(p, opts.RoleSpoof, m.Content[s.Start:s.End], s.Start, i, ClauseUntrustedData)
				}
			}
		}
		if m.Role != "assistant" {
			for _, det := range opts.Content {
				d.screen(p, det, m.Content, 0, i, "")
			}
		}
		d.Messages = append(d.Messages, info)
	}
	slices.SortStableFunc(d.Findings, func(a, b detect.Finding) int {
		if *a.Message != *b.Message {
			return *a.Message - *b.Message
		}
		return a.Start - b.Start
	})
	cites := map[string]bool{}
	for _, f := range d.Findings {
		if a := p.CheckAction(f.Category); actionRank[a] > actionRank[d.Action] {
			d.Action = a
		}
		cites[f.Clause] = true
	}
	for _, o := range d.Overrides {
		if !o.Accepted && o.Cites != "" {
			cites[o.Cites] = true
		}
	}
	d.Citations = make([]string, 0, len(cites))
	for c := range cites {
		d.Citations = append(d.Citations, c)
	}
	slices.Sort(d.Citations)
	return d
}

// screen runs det on text, a part of message msg starting at byte off, and
// keeps the findings with the clause the spec calls concept (or, when
// concept is empty, the spec's name for the clause the detector cites).
func (d *Decision) screen(p *Policy, det detect.Detector, text string, off, msg int, concept string) {
	if det == nil || text == "" {
		return
	}
	fs, failure := p.Screen(det, text)
	if failure != nil {
		failure.Message = &msg
		d.Failures = append(d.Failures, *failure)
	}
	for _, f := range fs {
		f.Start += off
		f.End += off
		f.Message = &msg
		if concept != "" {
			f.Clause = p.Cite(concept)
		} else {
			f.Clause = p.Cite(f.Clause)
		}
		d.Findings = append(d.Findings, f)
	}
}

// CheckAction is the action the developer policy sets for a category.
func (p *Policy) CheckAction(category string) Action {
	if p.Developer != nil {
		if c, ok := p.Developer.Checks[category]; ok && c.Action != "" {
			return c.Action
		}
	}
	if a, ok := defaultActions[category]; ok {
		return a
	}
	return Annotate
}
