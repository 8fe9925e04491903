package autograde

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/label"
)

// Run is one eval run's results: the answers of one target to a suite.
type Run struct {
	// Name says where the answers came from (the target and model), kept
	// as each response's Model.
	Name    string
	RunID   string
	Results []eval.Result
}

// FromEval builds comparison tasks from eval runs of the same suite: one
// task per case that two or more runs answered (an empty answer or an
// unscored result without one is left out), the responses in run order
// with ids a, b, ... . cases give the conversations (results files hold
// only the answers); a case id that is not a valid task id gets a content
// id. It returns the tasks in case order and, for each case left out, why.
func FromEval(cases []eval.Case, runs []Run) (tasks []label.Task, skipped []string) {
	answers := make([]map[string]eval.Result, len(runs))
	for i, r := range runs {
		answers[i] = map[string]eval.Result{}
		for _, res := range r.Results {
			answers[i][res.CaseID] = res
		}
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.RunID)
	}
	source := "eval:" + strings.Join(ids, ",")
	for _, c := range cases {
		t := label.Task{ID: c.ID, Expect: c.Expect, Clauses: slices.Clone(c.Clauses), Source: source, Meta: map[string]string{}}
		maps.Copy(t.Meta, c.Meta) // what graders need (an attack's category, ...)
		t.Meta["suite"], t.Meta["case"] = c.Suite, c.ID
		if t.Clauses == nil {
			t.Clauses = []string{}
		}
		for _, m := range c.Messages {
			t.Messages = append(t.Messages, label.Message{Role: m.Role, Name: m.Name, Content: m.Content})
		}
		for i, r := range runs {
			res, ok := answers[i][c.ID]
			if !ok || strings.TrimSpace(res.Answer) == "" {
				continue
			}
			t.Responses = append(t.Responses, label.Response{ID: label.DefaultResponseID(len(t.Responses)), Content: res.Answer, Model: r.Name})
		}
		switch {
		case len(t.Responses) < label.MinResponses:
			skipped = append(skipped, fmt.Sprintf("%s: %d answers, a task needs %d", c.ID, len(t.Responses), label.MinResponses))
			continue
		case len(t.Responses) > label.MaxResponses:
			t.Responses = t.Responses[:label.MaxResponses]
		}
		if label.ValidID(t.ID) != nil {
			t.ID = label.ContentID(t.Messages, t.Responses)
		}
		if t.Expect != "" && !slices.Contains(label.Expectations, t.Expect) {
			t.Meta["expect"] = t.Expect // an expectation the auto-grader cannot use
			t.Expect = ""
		}
		if err := t.Validate(); err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", c.ID, err))
			continue
		}
		tasks = append(tasks, t)
	}
	return tasks, skipped
}
