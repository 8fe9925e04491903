package anthropic

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/modelspec/modelspec/internal/openai"
)

// FinishReason maps a stop reason to an OpenAI finish reason: max_tokens and
// model_context_window_exceeded to length, tool_use to tool_calls, refusal
// to content_filter, and end_turn, stop_sequence, pause_turn (a server tool
// turn paused, which OpenAI has no word for), an unknown reason or none to
// stop.
func FinishReason(stopReason string) string {
	switch stopReason {
	case StopMaxTokens, StopContextWindowExceeded:
		return openai.FinishLength
	case StopToolUse:
		return openai.FinishToolCalls
	case StopRefusal:
		return openai.FinishContentFilter
	}
	return openai.FinishStop
}

// ToChat translates a Messages API response into an OpenAI chat completion
// with one choice, created at the time given.
//
// The text blocks, concatenated, are the content; tool_use blocks become
// tool calls whose arguments are the input as compact JSON text. Content is
// null when the model only called tools, "" when it wrote nothing. Blocks
// of other types (thinking, redacted thinking, server tool use and results)
// have no place in a chat completion and are left out. The stop reason maps
// as FinishReason says; id and model are the response's.
//
// Usage: prompt_tokens counts all input tokens, the cached ones included
// (Anthropic counts those apart), of which cache reads are
// prompt_tokens_details.cached_tokens; completion_tokens is output_tokens.
func ToChat(resp *MessagesResponse, created int64) openai.ChatCompletion {
	out := openai.ChatCompletion{Object: openai.ObjectChatCompletion, Created: created}
	if resp == nil {
		return out
	}
	out.ID, out.Model = resp.ID, resp.Model
	msg := openai.Message{Role: openai.RoleAssistant}
	var text strings.Builder
	hasText := false
	for _, b := range resp.Content {
		switch b.Type {
		case BlockText:
			text.WriteString(b.Text)
			hasText = true
		case BlockToolUse:
			msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{
				ID:       b.ID,
				Type:     openai.ToolFunction,
				Function: openai.FunctionCall{Name: b.Name, Arguments: arguments(b.Input)},
			})
		}
	}
	if hasText || len(msg.ToolCalls) == 0 {
		msg.Content = openai.TextContent(text.String())
	}
	out.Choices = []openai.Choice{{Index: 0, Message: msg, FinishReason: FinishReason(resp.StopReason)}}
	out.Usage = chatUsage(resp.Usage)
	return out
}

// arguments returns a tool_use input as compact JSON text, {} when empty.
func arguments(input json.RawMessage) string {
	if isNullOrEmpty(input) {
		return "{}"
	}
	var b bytes.Buffer
	if err := json.Compact(&b, input); err != nil {
		return string(input)
	}
	return b.String()
}

func chatUsage(u Usage) *openai.Usage {
	prompt := u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
	return &openai.Usage{
		PromptTokens:            prompt,
		CompletionTokens:        u.OutputTokens,
		TotalTokens:             prompt + u.OutputTokens,
		PromptTokensDetails:     &openai.PromptTokensDetails{CachedTokens: u.CacheReadInputTokens},
		CompletionTokensDetails: &openai.CompletionTokensDetails{},
	}
}
