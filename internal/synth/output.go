package synth

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"

	"github.com/modelspec/modelspec/internal/eval"
)

// Example is one kept answer with the conversation it answers.
type Example struct {
	CaseID string
	// Messages are the conversation and, last, the kept answer, as they
	// are written (ChatMessage).
	Messages  []ChatMessage
	Reasoning string
	Answer    string
	Meta      Metadata
}

// ChatMessage is one message of an OpenAI chat fine-tuning line.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Weight 0 on an assistant message keeps it out of the training loss
	// (OpenAI's chat format allows 0 or 1 on assistant messages): the
	// assistant turns the case already had are context, not answers the
	// graders checked.
	Weight *int `json:"weight,omitempty"`
}

// Metadata is what a line keeps beside the conversation.
type Metadata struct {
	CaseID string `json:"case_id"`
	Suite  string `json:"suite"`
	// Sample is the kept reply's sample number (the run's repeat).
	Sample int `json:"sample"`
	// Clauses are the clauses the teacher was given (Plan).
	Clauses     []string `json:"clauses"`
	Expect      string   `json:"expect,omitempty"`
	Spec        string   `json:"spec"`
	SpecVersion string   `json:"spec_version"`
	Teacher     string   `json:"teacher"`
	Model       string   `json:"model,omitempty"`
	RunID       string   `json:"run_id"`
	// Verdicts are the checks the answer passed, in order.
	Verdicts []Verdict `json:"verdicts"`
	// Reasoning is the teacher's reasoning, with ReasoningMetadata.
	Reasoning string `json:"reasoning,omitempty"`
}

// Verdict is one grader's verdict on the kept answer.
type Verdict struct {
	Grader string  `json:"grader"`
	Status string  `json:"status"`
	Label  string  `json:"label,omitempty"`
	Score  float64 `json:"score,omitempty"`
	Reason string  `json:"reason,omitempty"`
}

// newExample builds the example of case c from its kept result r.
func newExample(info Info, c eval.Case, r eval.Result) (Example, error) {
	rep, err := ParseReply(r.Answer)
	if err != nil {
		return Example{}, err
	}
	msgs := trainingMessages(c.Messages)
	msgs = append(msgs, ChatMessage{Role: "assistant", Content: rep.Answer})
	md := Metadata{CaseID: c.ID, Suite: c.Suite, Sample: r.Repeat, Clauses: c.Clauses, Expect: c.Expect,
		Spec: info.Spec, SpecVersion: info.SpecVersion, Teacher: info.Teacher, Model: info.Model, RunID: info.RunID,
		Verdicts: []Verdict{}}
	for _, ch := range r.Checks {
		md.Verdicts = append(md.Verdicts, Verdict{Grader: ch.Grader, Status: ch.Status, Label: ch.Label, Score: ch.Score, Reason: ch.Reason})
	}
	return Example{CaseID: c.ID, Messages: msgs, Reasoning: rep.Reasoning, Answer: rep.Answer, Meta: md}, nil
}

// trainingMessages is the case's conversation as the evaluator sends it
// (eval.ChatMessages), without the spec. OpenAI's chat format has no
// developer role, so a developer message is written as a system message
// (both carry the developer's instructions through the API); the case's
// own assistant turns get weight 0.
func trainingMessages(ms []eval.Message) []ChatMessage {
	out := make([]ChatMessage, 0, len(ms)+1)
	for _, m := range eval.ChatMessages(ms) {
		cm := ChatMessage{Role: m.Role, Content: m.Text()}
		switch m.Role {
		case "developer":
			cm.Role = "system"
		case "assistant":
			zero := 0
			cm.Weight = &zero
		}
		out = append(out, cm)
	}
	return out
}

// Where WriteJSONL puts the teacher's reasoning.
const (
	// ReasoningDrop leaves it out (it may still go to a separate file,
	// WriteReasoning).
	ReasoningDrop = ""
	// ReasoningMetadata puts it in metadata.reasoning: kept with the
	// line, not trained on.
	ReasoningMetadata = "metadata"
	// ReasoningInline writes the assistant message as
	// "<reasoning>…</reasoning>\n\n" followed by the answer: the model is
	// trained to reason before answering, in the open, as deliberative
	// alignment trains a reasoning model's chain of thought.
	ReasoningInline = "inline"
)

// WriteOptions configure WriteJSONL.
type WriteOptions struct {
	// Reasoning is ReasoningDrop, ReasoningMetadata or ReasoningInline.
	Reasoning string
	// NoMetadata leaves the metadata object out of each line, for a
	// consumer that refuses unknown keys.
	NoMetadata bool
}

type line struct {
	Messages []ChatMessage `json:"messages"`
	Metadata *Metadata     `json:"metadata,omitempty"`
}

// WriteJSONL writes examples as OpenAI chat fine-tuning JSONL, one
// {"messages": [...], "metadata": {...}} a line.
func WriteJSONL(w io.Writer, examples []Example, o WriteOptions) error {
	switch o.Reasoning {
	case ReasoningDrop, ReasoningMetadata, ReasoningInline:
	default:
		return fmt.Errorf("reasoning %q: want %s or %s", o.Reasoning, ReasoningMetadata, ReasoningInline)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, ex := range examples {
		l := line{Messages: append([]ChatMessage(nil), ex.Messages...)}
		if o.Reasoning == ReasoningInline {
			last := &l.Messages[len(l.Messages)-1]
			last.Content = ReasoningOpen + "\n" + ex.Reasoning + "\n" + ReasoningClose + "\n\n" + ex.Answer
		}
		if !o.NoMetadata {
			md := ex.Meta
			if o.Reasoning == ReasoningMetadata {
				md.Reasoning = ex.Reasoning
			}
			l.Metadata = &md
		}
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("case %s: %w", ex.CaseID, err)
		}
	}
	return nil
}

// reasoningLine is one line of WriteReasoning.
type reasoningLine struct {
	Line      int    `json:"line"`
	CaseID    string `json:"case_id"`
	Sample    int    `json:"sample"`
	Reasoning string `json:"reasoning"`
}

// WriteReasoning writes the reasoning of each example as JSONL, {"line",
// "case_id", "sample", "reasoning"}, line being the example's line number
// (from 1) in the file WriteJSONL writes from the same examples.
func WriteReasoning(w io.Writer, examples []Example) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i, ex := range examples {
		if err := enc.Encode(reasoningLine{Line: i + 1, CaseID: ex.CaseID, Sample: ex.Meta.Sample, Reasoning: ex.Reasoning}); err != nil {
			return fmt.Errorf("case %s: %w", ex.CaseID, err)
		}
	}
	return nil
}

// Summary counts what was kept and dropped. Its JSON is `synth --json`.
type Summary struct {
	RunID       string `json:"run_id"`
	Suite       string `json:"suite"`
	Teacher     string `json:"teacher"`
	Model       string `json:"model,omitempty"`
	Spec        string `json:"spec"`
	SpecVersion string `json:"spec_version"`
	Samples     int    `json:"samples"`
	// Status is the stored run's: done, or interrupted.
	Status string `json:"status"`
	// Cases of the suite; Asked of them had clauses and went to the
	// teacher; Kept made a line; Dropped = Cases - Kept.
	Cases    int     `json:"cases"`
	Asked    int     `json:"asked"`
	Kept     int     `json:"kept"`
	Dropped  int     `json:"dropped"`
	KeptRate float64 `json:"kept_rate"`
	// Cached counts replies that came from the response cache.
	Cached  int           `json:"cached"`
	Clauses []ClauseCount `json:"clauses"`
	// DroppedBy counts dropped cases per reason (a case counts once under
	// each reason any of its samples failed for).
	DroppedBy    map[string]int `json:"dropped_by"`
	DroppedCases []DroppedCase  `json:"dropped_cases"`
}

// ClauseCount is kept and dropped cases among those given a clause.
type ClauseCount struct {
	Clause  string `json:"clause"`
	Cases   int    `json:"cases"`
	Kept    int    `json:"kept"`
	Dropped int    `json:"dropped"`
}

// DroppedCase says why a case made no line.
type DroppedCase struct {
	CaseID  string   `json:"case_id"`
	Clauses []string `json:"clauses"`
	Reasons []string `json:"reasons"`
	// Detail is the first sample's reason or error.
	Detail string `json:"detail"`
}

// Schemas holds the JSON Schema (draft 2020-12) of a line WriteJSONL
// writes, schemas/openai_chat.schema.json; the tests validate every line
// against it.
//
//go:embed schemas/*.schema.json
var Schemas embed.FS

// SchemaFile names the line schema in Schemas.
const SchemaFile = "schemas/openai_chat.schema.json"
