package label

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// PairOptions select the preference pairs Pairs returns.
type PairOptions struct {
	// MinAgreement is the least share of the labels ordering a pair that
	// must agree on its order (0.5 < share; e.g. 0.75). A pair always
	// needs a strict majority.
	MinAgreement float64
	// MinLabels is the least number of labels that must order a pair
	// (default 1).
	MinLabels int
	// Clauses keep only tasks to which one of them applies or which a
	// label cites; empty keeps every task.
	Clauses []string
	// IncludeAuto counts the auto-graders' labels as votes.
	IncludeAuto bool
}

// Pair is one preference: for the task's conversation, Chosen over
// Rejected.
type Pair struct {
	Task     Task
	Chosen   Response
	Rejected Response
	// Clauses are the task's clauses and those cited by the labels that
	// voted for this order, sorted.
	Clauses []string
	// Votes of Labels labels that ordered the pair put Chosen first;
	// Agreement is Votes/Labels.
	Votes     int
	Labels    int
	Agreement float64
}

// Pairs returns the preference pairs the labels support, task by task in
// the order given and, within a task, in response order. Every two
// responses a label orders (a ranking orders all; a choice puts the
// chosen one above each other) are a candidate; the order with a strict
// majority of the votes is kept when it meets o.
func Pairs(tasks []Task, labels []Label, o PairOptions) []Pair {
	minLabels := max(o.MinLabels, 1)
	byTask := map[string][]Label{}
	for _, l := range labels {
		if l.Kind == Auto && !o.IncludeAuto {
			continue
		}
		byTask[l.TaskID] = append(byTask[l.TaskID], l)
	}
	var out []Pair
	for _, t := range tasks {
		ls := byTask[t.ID]
		if len(ls) == 0 || !matchesClauses(t, ls, o.Clauses) {
			continue
		}
		for i, a := range t.Responses {
			for _, b := range t.Responses[i+1:] {
				var forA, forB []Label
				for _, l := range ls {
					if p, ok := l.Prefers(a.ID, b.ID); ok {
						if p {
							forA = append(forA, l)
						} else {
							forB = append(forB, l)
						}
					}
				}
				n := len(forA) + len(forB)
				if n < minLabels || len(forA) == len(forB) {
					continue
				}
				chosen, rejected, votes := a, b, forA
				if len(forB) > len(forA) {
					chosen, rejected, votes = b, a, forB
				}
				agreement := float64(len(votes)) / float64(n)
				if agreement < o.MinAgreement {
					continue
				}
				out = append(out, Pair{Task: t, Chosen: chosen, Rejected: rejected, Clauses: pairClauses(t, votes),
					Votes: len(votes), Labels: n, Agreement: agreement})
			}
		}
	}
	return out
}

func matchesClauses(t Task, ls []Label, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, c := range want {
		if slices.Contains(t.Clauses, c) {
			return true
		}
		for _, l := range ls {
			if slices.Contains(l.Clauses, c) {
				return true
			}
		}
	}
	return false
}

func pairClauses(t Task, votes []Label) []string {
	cs := slices.Clone(t.Clauses)
	for _, l := range votes {
		cs = append(cs, l.Clauses...)
	}
	slices.Sort(cs)
	return slices.Compact(cs)
}

// Metadata is what an exported line keeps beside the pair.
type Metadata struct {
	TaskID      string   `json:"task_id"`
	Chosen      string   `json:"chosen_id"`
	Rejected    string   `json:"rejected_id"`
	Clauses     []string `json:"clauses"`
	SpecVersion string   `json:"spec_version"`
	Votes       int      `json:"votes"`
	Labels      int      `json:"labels"`
	Agreement   float64  `json:"agreement"`
}

func (p Pair) metadata() Metadata {
	clauses := p.Clauses
	if clauses == nil {
		clauses = []string{}
	}
	return Metadata{TaskID: p.Task.ID, Chosen: p.Chosen.ID, Rejected: p.Rejected.ID, Clauses: clauses,
		SpecVersion: p.Task.SpecVersion, Votes: p.Votes, Labels: p.Labels, Agreement: p.Agreement}
}

// Formats of Export.
const (
	FormatOpenAI = "openai" // OpenAI preference (DPO) fine-tuning JSONL
	FormatPairs  = "pairs"  // prompt / chosen / rejected JSONL (conversational)
)

// Formats lists the export formats.
var Formats = []string{FormatOpenAI, FormatPairs}

// ExportOptions configure Export.
type ExportOptions struct {
	Format string
	// NoMetadata leaves the metadata object out of each line, for a
	// consumer that refuses unknown keys.
	NoMetadata bool
}

// chatMessage is a message of OpenAI's chat format.
type chatMessage struct {
	Role       string     `json:"role"`
	Content    *string    `json:"content"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type toolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

type toolFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type openAILine struct {
	Input struct {
		Messages []chatMessage `json:"messages"`
	} `json:"input"`
	Preferred    []chatMessage `json:"preferred_output"`
	NonPreferred []chatMessage `json:"non_preferred_output"`
	Metadata     *Metadata     `json:"metadata,omitempty"`
}

type pairsLine struct {
	Prompt   []Message `json:"prompt"`
	Chosen   []Message `json:"chosen"`
	Rejected []Message `json:"rejected"`
	Metadata *Metadata `json:"metadata,omitempty"`
}

// Export writes pairs as JSONL in the chosen format.
//
// FormatOpenAI is OpenAI's preference fine-tuning line:
// {"input": {"messages": [...]}, "preferred_output": [assistant],
// "non_preferred_output": [assistant], "metadata": {...}}. OpenAI's chat
// format has no developer role and ties each tool message to an assistant
// tool call, so developer messages are written as system messages (both
// carry the developer's authority through the API) and each tool message
// gets a tool call on the assistant message before it (one is added when
// there is none), with ids call_1, call_2, ... .
//
// FormatPairs is the conversational prompt/chosen/rejected line that
// preference trainers such as TRL's DPOTrainer read: {"prompt": [messages],
// "chosen": [assistant], "rejected": [assistant], "metadata": {...}}, the
// roles kept as they are.
func Export(w io.Writer, pairs []Pair, o ExportOptions) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, p := range pairs {
		var md *Metadata
		if !o.NoMetadata {
			m := p.metadata()
			md = &m
		}
		var line any
		switch o.Format {
		case FormatOpenAI:
			var l openAILine
			l.Input.Messages = openAIMessages(p.Task.Messages)
			l.Preferred = []chatMessage{assistant(p.Chosen.Content)}
			l.NonPreferred = []chatMessage{assistant(p.Rejected.Content)}
			l.Metadata = md
			line = l
		case FormatPairs:
			line = pairsLine{Prompt: p.Task.Messages,
				Chosen:   []Message{{Role: "assistant", Content: p.Chosen.Content}},
				Rejected: []Message{{Role: "assistant", Content: p.Rejected.Content}}, Metadata: md}
		default:
			return fmt.Errorf("export: format %q: want %s or %s", o.Format, FormatOpenAI, FormatPairs)
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("export task %s: %w", p.Task.ID, err)
		}
	}
	return nil
}

func assistant(s string) chatMessage { return chatMessage{Role: "assistant", Content: &s} }

func openAIMessages(ms []Message) []chatMessage {
	out := make([]chatMessage, 0, len(ms))
	calls := 0
	caller := -1 // the assistant message that the tool results after it answer
	for _, m := range ms {
		content := m.Content
		cm := chatMessage{Role: m.Role, Content: &content}
		switch m.Role {
		case "developer":
			cm.Role = "system"
		case "tool":
			calls++
			id := "call_" + strconv.Itoa(calls)
			name := cmp.Or(m.Name, "tool")
			tc := toolCall{ID: id, Type: "function", Function: toolFunction{Name: name, Arguments: "{}"}}
			if caller < 0 {
				out = append(out, chatMessage{Role: "assistant"})
				caller = len(out) - 1
			}
			out[caller].ToolCalls = append(out[caller].ToolCalls, tc)
			cm.ToolCallID = id
		}
		out = append(out, cm)
		switch m.Role {
		case "assistant":
			caller = len(out) - 1
		case "tool":
		default:
			caller = -1
		}
	}
	return out
}
