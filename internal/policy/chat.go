package policy

import "github.com/modelspec/modelspec/internal/openai"

// FromChat converts messages in the OpenAI chat wire form into the
// decision core's, keeping the tool calls that link tool results to their
// tools.
func FromChat(ms []openai.Message) []Message {
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		pm := Message{Role: m.Role, Name: m.Name, Content: m.Text(), ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			call := ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
			if tc.Custom != nil {
				call.Name, call.Arguments = tc.Custom.Name, tc.Custom.Input
			}
			pm.ToolCalls = append(pm.ToolCalls, call)
		}
		if m.FunctionCall != nil {
			pm.ToolCalls = append(pm.ToolCalls, ToolCall{Name: m.FunctionCall.Name, Arguments: m.FunctionCall.Arguments})
		}
		out = append(out, pm)
	}
	return out
}
