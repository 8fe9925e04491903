package label

import (
	"slices"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/policy"
)

// Screens are the detectors that choose a task's clauses.
type Screens struct {
	// Conversation screens the conversation as the gateway does
	// (chain-of-command and content screens, run by policy.Decide).
	Conversation policy.Options
	// Responses screen each candidate response (content screens and the
	// refusal detector): a response that leaks an address makes privacy
	// apply, one that refuses makes helpfulness apply.
	Responses []detect.Detector
	// MinScore is the least score of a finding that makes its clause
	// apply. Content classifiers report weak findings on short texts (a
	// lone first name, a curt reply); a task's clauses should not.
	MinScore float64
}

// Applicable returns the clauses that apply to t under p, sorted: those t
// already lists, those cited by the findings of the screens on the
// conversation and on each response that score s.MinScore or more, and those its roles call for: a
// system or developer message brings the chain of command in, a tool
// message or data inside an instruction the rule on untrusted data. Clause
// ids are the spec's own (policy.Cite); ids the spec lacks are dropped.
func Applicable(p *policy.Policy, t Task, s Screens) []string {
	set := map[string]bool{}
	add := func(c string) {
		c = p.Cite(c)
		if p.Spec.Section(c) != nil {
			set[c] = true
		}
	}
	for _, c := range t.Clauses {
		add(c)
	}
	d := policy.Decide(p, PolicyMessages(t.Messages), s.Conversation)
	for _, f := range d.Findings {
		if f.Score >= s.MinScore {
			add(f.Clause)
		}
	}
	for _, m := range d.Messages {
		switch {
		case m.Role == "system" || m.Role == "developer":
			add(policy.ClauseChainOfCommand)
		case m.Data || len(m.Spans) > 0:
			add(policy.ClauseUntrustedData)
		}
	}
	for _, r := range t.Responses {
		for _, det := range s.Responses {
			for _, f := range det.Detect(r.Content) {
				if f.Score >= s.MinScore {
					add(f.Clause)
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// PolicyMessages converts a task's conversation to the decision core's.
func PolicyMessages(ms []Message) []policy.Message {
	out := make([]policy.Message, len(ms))
	for i, m := range ms {
		out[i] = policy.Message{Role: m.Role, Name: m.Name, Content: m.Content}
	}
	return out
}
