package gateway

import (
	"fmt"
	"strings"

	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
)

// platformPrompt is the system message the gateway puts in front of every
// conversation of an app: the spec rendered for a model (spec render),
// then what this app's developer policy changed. It is computed once per
// app, not per request.
func platformPrompt(s *spec.Spec, p *policy.Policy, mode string) string {
	if mode == "none" {
		return ""
	}
	var b strings.Builder
	b.WriteString(spec.Render(s, spec.RenderOptions{Examples: mode == "full", Brief: mode == "brief"}))
	var changes []string
	for _, c := range p.Clauses {
		switch {
		case c.Source == "developer":
			changes = append(changes, fmt.Sprintf("- Developer clause #%s (%s, %s): %s", c.ID, c.Title, c.Kind, c.Text))
		case c.State == policy.StateOff:
			changes = append(changes, fmt.Sprintf("- #%s (%s) is turned off for this application.", c.ID, c.Title))
		case c.State == policy.StateChanged:
			changes = append(changes, fmt.Sprintf("- #%s (%s) is replaced by: %s", c.ID, c.Title, c.Text))
		}
		if c.Locked {
			changes = append(changes, fmt.Sprintf("- #%s is locked by the developer: users may not override it.", c.ID))
		}
	}
	if len(changes) > 0 {
		b.WriteString("\n## This application's developer policy\n\n")
		b.WriteString(strings.Join(changes, "\n"))
		b.WriteString("\n")
	}
	return b.String()
}
