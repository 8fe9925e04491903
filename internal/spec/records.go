package spec

// ExampleRecord is one example prompt as spec examples writes it: the
// conversation up to a comparison and the labelled candidates that answer
// it. An example with two comparisons yields two records; one without a
// comparison yields its conversation alone.
type ExampleRecord struct {
	Spec       string            `json:"spec,omitempty"`
	Version    string            `json:"spec_version,omitempty"`
	Section    string            `json:"section,omitempty"`
	Title      string            `json:"title"`
	Example    int               `json:"example"`
	Line       int               `json:"line"`
	Messages   []RecordMessage   `json:"messages"`
	Candidates []RecordCandidate `json:"candidates"`
}

// RecordMessage is a turn in chat form.
type RecordMessage struct {
	Role string `json:"role"`
	// Name is the tool's name for a tool turn.
	Name string `json:"name,omitempty"`
	// Recipient is the tool an assistant turn is addressed to.
	Recipient string            `json:"recipient,omitempty"`
	Content   string            `json:"content"`
	Untrusted []Span            `json:"untrusted,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
}

// RecordCandidate is a labelled answer.
type RecordCandidate struct {
	Label     Label  `json:"label"`
	Reason    string `json:"reason,omitempty"`
	Cites     string `json:"cites,omitempty"`
	Recipient string `json:"recipient,omitempty"`
	Content   string `json:"content"`
}

// ExampleRecords flattens every example of s into records.
func ExampleRecords(s *Spec) []ExampleRecord {
	var out []ExampleRecord
	for i, ex := range s.Examples() {
		base := ExampleRecord{Spec: s.Name, Version: s.Version, Section: ex.Section, Title: ex.Title, Example: i, Line: ex.Pos.Line}
		if len(ex.Candidates) == 0 {
			rec := base
			rec.Messages, rec.Candidates = recordMessages(ex.Turns), []RecordCandidate{}
			out = append(out, rec)
			continue
		}
		for j := 0; j < len(ex.Candidates); {
			ctx := ex.Candidates[j].Context
			rec := base
			rec.Messages = recordMessages(ex.Turns[:min(ctx, len(ex.Turns))])
			rec.Candidates = []RecordCandidate{}
			for ; j < len(ex.Candidates) && ex.Candidates[j].Context == ctx; j++ {
				c := ex.Candidates[j]
				rec.Candidates = append(rec.Candidates, RecordCandidate{Label: c.Label, Reason: c.Reason, Cites: c.Cites,
					Recipient: c.Turn.Attrs["recipient"], Content: c.Turn.Text})
			}
			out = append(out, rec)
		}
	}
	return out
}

func recordMessages(turns []*Turn) []RecordMessage {
	out := make([]RecordMessage, 0, len(turns))
	for _, t := range turns {
		out = append(out, RecordMessage{Role: t.Role, Name: t.Attrs["name"], Recipient: t.Attrs["recipient"],
			Content: t.Text, Untrusted: t.Untrusted, Settings: t.Settings})
	}
	return out
}
