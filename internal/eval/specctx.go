package eval

import (
	"context"
	"fmt"
	"slices"

	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
)

// This file puts spec text in front of a case's conversation: `eval run
// --spec-in-context` measures a model with and without it, and `modelspec
// synth` gives a teacher model the clauses it must reason about. The case
// itself is never changed: the graders see the conversation as the suite
// wrote it, only the request the target receives carries the text.

// Modes of `eval run --spec-in-context`.
const (
	// SpecContextFull puts the whole rendered spec in the system prompt.
	SpecContextFull = "full"
	// SpecContextClauses puts only the case's clauses.
	SpecContextClauses = "clauses"
)

// SystemSeparator stands between the spec text and the text of a system or
// developer message the conversation already opens with (MergeSystem).
const SystemSeparator = "\n\n---\n\n"

// MergeSystem returns msgs with text in front, as one system prompt: when
// the conversation opens with a system or developer message, text is put
// before that message's content, separated by SystemSeparator, and the
// message keeps its role (a developer message stays one); otherwise a system
// message holding text is prepended. A system or developer message later in
// the conversation is left as it is. One opening message, not two, because
// many chat templates (and some endpoints) accept a single system message
// and only at the start. msgs is not modified.
func MergeSystem(msgs []Message, text string) []Message {
	out := make([]Message, 0, len(msgs)+1)
	if len(msgs) > 0 && (msgs[0].Role == "system" || msgs[0].Role == "developer") {
		first := msgs[0]
		first.Content = text + SystemSeparator + first.Content
		out = append(out, first)
		return append(out, msgs[1:]...)
	}
	out = append(out, Message{Role: "system", Content: text})
	return append(out, msgs...)
}

// ChatMessages converts case messages to the chat messages an
// OpenAI-compatible target is sent (tool turns as user messages marked
// "[output of tool NAME]", an assistant turn addressed to a tool marked
// "[to NAME]"), so that data made for a model shows it conversations in
// the form the evaluator asks it.
func ChatMessages(msgs []Message) []openai.Message { return toOpenAI(msgs) }

// WithSystemText returns a target that asks t with text(c) merged into the
// system prompt of c's conversation (MergeSystem). An error of text makes
// the case unscored, as any target error does. The target keeps t's name,
// and names its requests for the response cache when t does (the key covers
// the merged conversation, so answers with and without the text are cached
// apart).
func WithSystemText(t Target, text func(Case) (string, error)) Target {
	st := systemTextTarget{inner: t, text: text}
	if k, ok := t.(CacheKeyer); ok {
		return cachedSystemTextTarget{st, k}
	}
	return st
}

type systemTextTarget struct {
	inner Target
	text  func(Case) (string, error)
}

type cachedSystemTextTarget struct {
	systemTextTarget
	keyer CacheKeyer
}

var (
	_ Target     = systemTextTarget{}
	_ CacheKeyer = cachedSystemTextTarget{}
)

func (t systemTextTarget) Name() string { return t.inner.Name() }

func (t systemTextTarget) withText(c Case) (Case, error) {
	text, err := t.text(c)
	if err != nil {
		return Case{}, fmt.Errorf("case %s: system text: %w", c.ID, err)
	}
	c.Messages = MergeSystem(c.Messages, text)
	return c, nil
}

func (t systemTextTarget) Answer(ctx context.Context, c Case) (string, error) {
	mc, err := t.withText(c)
	if err != nil {
		return "", err
	}
	return t.inner.Answer(ctx, mc)
}

func (t cachedSystemTextTarget) CacheKey(c Case) (string, error) {
	mc, err := t.withText(c)
	if err != nil {
		return "", err
	}
	return t.keyer.CacheKey(mc)
}

// SpecPrompt is the spec text `eval run --spec-in-context` puts in front of
// each case: the whole spec as `spec render` writes it (SpecContextFull), or
// only the case's clauses and the clauses nested under them
// (SpecContextClauses), each with its worked examples when Examples is set.
type SpecPrompt struct {
	spec     *spec.Spec
	pol      *policy.Policy
	mode     string
	examples bool
	full     string
}

// NewSpecPrompt returns the prompt maker for s in mode (SpecContextFull or
// SpecContextClauses).
func NewSpecPrompt(s *spec.Spec, mode string, examples bool) (*SpecPrompt, error) {
	p := &SpecPrompt{spec: s, pol: &policy.Policy{Spec: s}, mode: mode, examples: examples}
	switch mode {
	case SpecContextFull:
		p.full = spec.Render(s, spec.RenderOptions{Examples: examples})
	case SpecContextClauses:
	default:
		return nil, fmt.Errorf("spec in context: mode %q (want %s or %s)", mode, SpecContextFull, SpecContextClauses)
	}
	return p, nil
}

// Mode is SpecContextFull or SpecContextClauses.
func (p *SpecPrompt) Mode() string { return p.mode }

// For returns the text for c. In SpecContextClauses mode, a clause id the
// spec lacks is looked up under the ids other published specs use for it
// (policy.Cite); a case without clauses, or with one the spec has under no
// id, is an error wrapping ErrUnknownClause (the case is then unscored in
// the run with the spec, never silently run without it).
func (p *SpecPrompt) For(c Case) (string, error) {
	if p.mode == SpecContextFull {
		return p.full, nil
	}
	if len(c.Clauses) == 0 {
		return "", fmt.Errorf("%w: case %s has no clauses to put in context", ErrUnknownClause, c.ID)
	}
	ids := make([]string, 0, len(c.Clauses))
	for _, cl := range c.Clauses {
		id := p.pol.Cite(cl)
		if p.spec.Section(id) == nil {
			return "", fmt.Errorf("%w: %q", ErrUnknownClause, cl)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return spec.Render(p.spec, spec.RenderOptions{Examples: p.examples, Clauses: ids}), nil
}
