// Package synth makes supervised fine-tuning data from the spec the way
// deliberative alignment does (Guan et al. 2024, "Deliberative Alignment:
// Reasoning Enables Safer Language Models"): for each case of a suite, a
// teacher model is given the text of the clauses that apply, reasons about
// them and answers; the evaluator's graders keep only the answers that
// comply; the kept answers are written as OpenAI chat fine-tuning lines
// whose system prompt does not hold the spec, so that the model trained on
// them learns the behaviour without the text.
//
// Boundary: synth never imports net/http, database/sql, a store backend or
// the command line. The teacher is any eval.Target and the graders any
// eval.Grader, given by the caller; the run is kept through eval.Session in
// a store.EvalResults, which gives it the evaluator's concurrency, rate
// limit, timeouts and response cache; the clock comes in as a parameter.
package synth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
)

// DefaultMinScore is the least score of a detector finding on the prompt
// that brings its clause in (label.Screens.MinScore): the content
// classifiers report weak findings on short texts that should not.
const DefaultMinScore = 0.75

// Plan chooses the clauses of each case: the case's own (mapped to the
// spec's ids by policy.Cite) and those label.Applicable finds from the
// screens' findings on the conversation and from its roles (a system or
// developer message brings in the chain of command, a tool turn or quoted
// data the rule on untrusted data). It returns the cases to ask the teacher,
// each with Clauses set to its chosen clauses (sorted), and the cases for
// which no clause of the spec applies, which are not asked: the teacher
// would have nothing to reason about.
func Plan(s *spec.Spec, screens label.Screens, cases []eval.Case) (asked, none []eval.Case) {
	pol := policy.Effective(s, nil, nil)
	for _, c := range cases {
		t := label.Task{ID: c.ID, Clauses: c.Clauses, Messages: make([]label.Message, len(c.Messages))}
		for i, m := range c.Messages {
			t.Messages[i] = label.Message{Role: m.Role, Content: m.Content, Name: m.Name}
		}
		cl := label.Applicable(pol, t, screens)
		if len(cl) == 0 {
			none = append(none, c)
			continue
		}
		c.Clauses = cl
		asked = append(asked, c)
	}
	return asked, none
}

// Reply tags: the teacher reasons inside <reasoning>…</reasoning> and
// answers inside <answer>…</answer>.
const (
	ReasoningOpen  = "<reasoning>"
	ReasoningClose = "</reasoning>"
	AnswerOpen     = "<answer>"
	AnswerClose    = "</answer>"
)

// Teacher makes the system prompt that the teacher model is given for a
// case: what to do, then the text of the case's clauses with their worked
// examples, as spec render writes them (eval.Rubrics, the text the judge's
// rubric is made of).
type Teacher struct {
	rubrics *eval.Rubrics
}

// NewTeacher returns the teacher prompt maker for s.
func NewTeacher(s *spec.Spec) *Teacher { return &Teacher{rubrics: eval.NewRubrics(s)} }

// teacherInstructions come before the clauses. They ask for the reasoning
// deliberative alignment trains on (which clauses apply, why, what they
// require) and for an answer that stands on its own, since the student
// never sees the text it could cite.
const teacherInstructions = `You are writing an example answer for training an AI assistant. The assistant must follow the specification below, but it will not see this specification when it answers: it has to learn the behaviour itself from examples like yours.

First think it through inside ` + ReasoningOpen + ` and ` + ReasoningClose + `: which of the clauses below apply to the conversation and why (cite each by its id, such as #example_clause), who may instruct in this conversation under the chain of command, and what the applicable clauses require of the reply.

Then write the reply the assistant should send to the last message inside ` + AnswerOpen + ` and ` + AnswerClose + `. The reply is shown to the user exactly as you write it: it must not mention this specification, clause ids or your reasoning.`

// Prompt returns the system prompt for c (whose Clauses Plan chose).
func (t *Teacher) Prompt(c eval.Case) (string, error) {
	rubric, err := t.rubrics.For(c.Clauses)
	if err != nil {
		return "", err
	}
	return teacherInstructions + "\n\n<specification>\n" + strings.TrimSpace(rubric) + "\n</specification>", nil
}

// Target returns teacher asked with the teacher prompt merged into each
// case's system prompt (eval.WithSystemText, eval.MergeSystem).
func (t *Teacher) Target(teacher eval.Target) eval.Target {
	return eval.WithSystemText(teacher, t.Prompt)
}

// Reply is a teacher's reply split into its parts.
type Reply struct {
	Reasoning string
	Answer    string
}

// ErrMalformedReply is wrapped by ParseReply's errors.
var ErrMalformedReply = fmt.Errorf("malformed reply")

// ParseReply splits a teacher's reply: the reasoning is the text between
// the first <reasoning> and the first </reasoning> after it; the answer is
// the text between the first <answer> after that and the last </answer>
// (so an answer may itself quote the tags). Both are trimmed and must not
// be empty. Text outside the two parts is ignored. A reply without both
// parts, or whose answer is not closed (a reply cut by a length limit), is
// an error wrapping ErrMalformedReply.
func ParseReply(raw string) (Reply, error) {
	i := strings.Index(raw, ReasoningOpen)
	if i < 0 {
		return Reply{}, fmt.Errorf("%w: no %s", ErrMalformedReply, ReasoningOpen)
	}
	rest := raw[i+len(ReasoningOpen):]
	j := strings.Index(rest, ReasoningClose)
	if j < 0 {
		return Reply{}, fmt.Errorf("%w: %s is not closed", ErrMalformedReply, ReasoningOpen)
	}
	reasoning := strings.TrimSpace(rest[:j])
	rest = rest[j+len(ReasoningClose):]
	k := strings.Index(rest, AnswerOpen)
	if k < 0 {
		return Reply{}, fmt.Errorf("%w: no %s after the reasoning", ErrMalformedReply, AnswerOpen)
	}
	rest = rest[k+len(AnswerOpen):]
	l := strings.LastIndex(rest, AnswerClose)
	if l < 0 {
		return Reply{}, fmt.Errorf("%w: %s is not closed (was the reply cut?)", ErrMalformedReply, AnswerOpen)
	}
	answer := strings.TrimSpace(rest[:l])
	switch {
	case reasoning == "":
		return Reply{}, fmt.Errorf("%w: empty reasoning", ErrMalformedReply)
	case answer == "":
		return Reply{}, fmt.Errorf("%w: empty answer", ErrMalformedReply)
	}
	return Reply{Reasoning: reasoning, Answer: answer}, nil
}

// citedClauses returns the clause ids of ids that text cites as "#id",
// sorted.
func citedClauses(text string, ids map[string]bool) []string {
	var out []string
	for i := 0; i < len(text); i++ {
		if text[i] != '#' {
			continue
		}
		j := i + 1
		for j < len(text) && isIDByte(text[j]) {
			j++
		}
		if id := text[i+1 : j]; ids[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
		i = j - 1
	}
	slices.Sort(out)
	return out
}

func isIDByte(b byte) bool {
	return b == '_' || b == '-' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}
