package synth

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/spec"
)

// Checks of the grader, beside those of the inner grader.
const (
	// ReplyCheck fails a reply that ParseReply rejects.
	ReplyCheck = "synth.reply"
	// CitesCheck fails an answer that cites clause ids ("#protect_privacy"):
	// the model trained on it would cite a text it never sees.
	CitesCheck = "synth.cites_spec"
)

// Grader ("grade.synth") grades a teacher's reply: the reply must parse
// (ReplyCheck), its answer must not cite clause ids (CitesCheck), and the
// answer, without the reasoning, must pass Inner (grade.case, with
// grade.judge when judges are given). Its checks come first in the grade,
// then Inner's. A reply that fails a check of its own is not shown to Inner
// (no judge is asked about it).
type Grader struct {
	Inner eval.Grader
	ids   map[string]bool
}

var (
	_ eval.Grader        = (*Grader)(nil)
	_ eval.ContextGrader = (*Grader)(nil)
)

// NewGrader returns the grader of replies to cases of s.
func NewGrader(s *spec.Spec, inner eval.Grader) *Grader {
	ids := map[string]bool{}
	for _, sec := range s.Clauses() {
		ids[sec.ID] = true
	}
	return &Grader{Inner: inner, ids: ids}
}

// ID returns "grade.synth".
func (g *Grader) ID() string { return "grade.synth" }

// Grade implements eval.Grader.
func (g *Grader) Grade(c eval.Case, raw string) (eval.Grade, error) {
	return g.GradeContext(context.Background(), c, raw)
}

// GradeContext implements eval.ContextGrader.
func (g *Grader) GradeContext(ctx context.Context, c eval.Case, raw string) (eval.Grade, error) {
	rep, err := ParseReply(raw)
	if err != nil {
		return failed(ReplyCheck, err.Error()), nil
	}
	if cited := citedClauses(rep.Answer, g.ids); len(cited) > 0 {
		return failed(CitesCheck, "the answer cites #"+strings.Join(cited, ", #")), nil
	}
	gr, err := eval.GradeContext(ctx, g.Inner, c, rep.Answer)
	gr.Graders = append([]string{ReplyCheck, CitesCheck}, gr.Graders...)
	gr.Checks = append([]eval.Check{{Grader: ReplyCheck, Status: eval.Pass}, {Grader: CitesCheck, Status: eval.Pass}}, gr.Checks...)
	if err != nil {
		return gr, fmt.Errorf("%s: %w", g.Inner.ID(), err)
	}
	return gr, nil
}

func failed(check, reason string) eval.Grade {
	return eval.Grade{Status: eval.Fail, Reason: check + ": " + reason, Graders: []string{check},
		Checks: []eval.Check{{Grader: check, Status: eval.Fail, Reason: reason}}}
}
