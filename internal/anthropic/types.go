package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Wire constants of the Messages API. A request is POST Path with the API
// key in HeaderAPIKey, Version in HeaderVersion and a JSON body.
const (
	Path            = "/v1/messages"
	HeaderAPIKey    = "x-api-key"
	HeaderVersion   = "anthropic-version"
	Version         = "2023-06-01"
	HeaderRequestID = "request-id" // names a response, for support
)

// Roles of messages.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Content block types. Blocks of other types (server tool calls and results,
// search results, ...) decode into ContentBlock.Raw and are written back as
// they came.
const (
	BlockText             = "text"
	BlockImage            = "image"
	BlockDocument         = "document"
	BlockToolUse          = "tool_use"
	BlockToolResult       = "tool_result"
	BlockThinking         = "thinking"
	BlockRedactedThinking = "redacted_thinking"
)

// Source types of image and document blocks.
const (
	SourceBase64 = "base64"
	SourceURL    = "url"
)

// Tool choice types.
const (
	ToolChoiceAuto = "auto" // the model decides
	ToolChoiceAny  = "any"  // the model must call some tool
	ToolChoiceTool = "tool" // the model must call the tool named
	ToolChoiceNone = "none" // the model must not call a tool
)

// Stop reasons of a message.
const (
	StopEndTurn               = "end_turn"
	StopMaxTokens             = "max_tokens"
	StopSequence              = "stop_sequence"
	StopToolUse               = "tool_use"
	StopPauseTurn             = "pause_turn"
	StopRefusal               = "refusal"
	StopContextWindowExceeded = "model_context_window_exceeded"
)

// Stream event types, which are both the SSE event field and the type
// member of the event's data.
const (
	EventMessageStart      = "message_start"
	EventContentBlockStart = "content_block_start"
	EventContentBlockDelta = "content_block_delta"
	EventContentBlockStop  = "content_block_stop"
	EventMessageDelta      = "message_delta"
	EventMessageStop       = "message_stop"
	EventPing              = "ping"
	EventError             = "error"
)

// Delta types of content_block_delta events.
const (
	DeltaText      = "text_delta"
	DeltaInputJSON = "input_json_delta"
	DeltaThinking  = "thinking_delta"
	DeltaSignature = "signature_delta"
	DeltaCitations = "citations_delta"
)

// MessagesRequest is the body of POST /v1/messages. Only the members the
// translation produces are typed; the API has more (thinking, service_tier,
// container, ...), which a decoded request drops.
type MessagesRequest struct {
	Model string `json:"model"`
	// MaxTokens is required by the API.
	MaxTokens     int           `json:"max_tokens"`
	System        Content       `json:"system,omitempty"` // text blocks
	Messages      []Message     `json:"messages"`
	Tools         []Tool        `json:"tools,omitempty"`
	ToolChoice    *ToolChoice   `json:"tool_choice,omitempty"`
	Temperature   *float64      `json:"temperature,omitempty"` // 0 to 1
	TopP          *float64      `json:"top_p,omitempty"`
	TopK          *int          `json:"top_k,omitempty"`
	StopSequences []string      `json:"stop_sequences,omitempty"`
	Stream        bool          `json:"stream,omitempty"`
	Metadata      *Metadata     `json:"metadata,omitempty"`
	OutputConfig  *OutputConfig `json:"output_config,omitempty"`

	// Dropped lists, sorted, the members of the chat request that FromChat
	// left out or changed because Anthropic has no equivalent, as paths
	// ("seed", "messages[2].name", "tools[0].function.strict"). A member
	// that was changed rather than left out carries a note in parentheses,
	// as in "temperature (clamped to 1)". It is never sent.
	Dropped []string `json:"-"`
}

// Message is one turn of a conversation. The API takes a string as content
// too; Content decodes it as one text block.
type Message struct {
	Role    string  `json:"role"`
	Content Content `json:"content"`
}

// Content is a list of content blocks: a message's content, the system
// prompt, a tool result's content. It decodes from a JSON string as one
// text block, since the API accepts a string wherever it takes content, and
// always encodes as an array.
type Content []ContentBlock

// TextContent returns content of one text block.
func TextContent(s string) Content { return Content{{Type: BlockText, Text: s}} }

// Text returns the text of the text blocks, concatenated.
func (c Content) Text() string {
	var b strings.Builder
	for _, bl := range c {
		if bl.Type == BlockText {
			b.WriteString(bl.Text)
		}
	}
	return b.String()
}

// MarshalJSON writes an array, [] when c is empty.
func (c Content) MarshalJSON() ([]byte, error) {
	if len(c) == 0 {
		return []byte("[]"), nil
	}
	return json.Marshal([]ContentBlock(c))
}

// UnmarshalJSON accepts a string or an array of blocks; null is empty.
func (c *Content) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*c = TextContent(s)
		return nil
	}
	var blocks []ContentBlock
	if err := json.Unmarshal(data, &blocks); err != nil {
		return err
	}
	*c = blocks
	return nil
}

// ContentBlock is one block of content. Type says which members are used.
type ContentBlock struct {
	Type string
	// Text is the text of a text block.
	Text string
	// Source is the data of an image or document block.
	Source *Source
	// ID, Name and Input are a tool_use block's call: Input is a JSON
	// object, kept verbatim; empty means {}.
	ID    string
	Name  string
	Input json.RawMessage
	// ToolUseID, Content and IsError are a tool_result block's answer to the
	// tool_use block of that ID.
	ToolUseID string
	Content   Content
	IsError   bool
	// Raw is the whole block as received when its type is not one of the
	// above (thinking, server tool use, ...); it is written back verbatim.
	Raw json.RawMessage
}

// Source is the data of an image or document block: base64 data with its
// media type, or a URL.
type Source struct {
	Type      string `json:"type"` // SourceBase64 or SourceURL
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

// MarshalJSON writes the members of the block's type; text always has text
// and tool_use always has input.
func (b ContentBlock) MarshalJSON() ([]byte, error) {
	switch b.Type {
	case BlockText:
		return json.Marshal(struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}{b.Type, b.Text})
	case BlockImage, BlockDocument:
		return json.Marshal(struct {
			Type   string  `json:"type"`
			Source *Source `json:"source"`
		}{b.Type, b.Source})
	case BlockToolUse:
		input := b.Input
		if len(bytes.TrimSpace(input)) == 0 {
			input = json.RawMessage("{}")
		}
		return json.Marshal(struct {
			Type  string          `json:"type"`
			ID    string          `json:"id"`
			Name  string          `json:"name"`
			Input json.RawMessage `json:"input"`
		}{b.Type, b.ID, b.Name, input})
	case BlockToolResult:
		return json.Marshal(struct {
			Type      string  `json:"type"`
			ToolUseID string  `json:"tool_use_id"`
			Content   Content `json:"content,omitempty"`
			IsError   bool    `json:"is_error,omitempty"`
		}{b.Type, b.ToolUseID, b.Content, b.IsError})
	}
	if len(b.Raw) > 0 {
		return b.Raw, nil
	}
	return json.Marshal(struct {
		Type string `json:"type"`
	}{b.Type})
}

// UnmarshalJSON decodes a block of a known type into its members and keeps
// any other block whole in Raw.
func (b *ContentBlock) UnmarshalJSON(data []byte) error {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	switch head.Type {
	case BlockText, BlockImage, BlockDocument, BlockToolUse, BlockToolResult:
	default:
		*b = ContentBlock{Type: head.Type, Raw: append(json.RawMessage(nil), bytes.TrimSpace(data)...)}
		return nil
	}
	var w struct {
		Text      string          `json:"text"`
		Source    *Source         `json:"source"`
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
		ToolUseID string          `json:"tool_use_id"`
		Content   Content         `json:"content"`
		IsError   bool            `json:"is_error"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%s block: %w", head.Type, err)
	}
	if string(w.Input) == "null" {
		w.Input = nil
	}
	*b = ContentBlock{Type: head.Type, Text: w.Text, Source: w.Source, ID: w.ID, Name: w.Name, Input: w.Input,
		ToolUseID: w.ToolUseID, Content: w.Content, IsError: w.IsError}
	return nil
}

// Tool declares a client tool: a name, what it does and the JSON Schema of
// its input, kept verbatim.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
	// Strict asks for inputs that always match the schema (structured
	// outputs; Claude 4.5 models and later).
	Strict bool `json:"strict,omitempty"`
}

// ToolChoice says whether and which tools the model must call.
type ToolChoice struct {
	Type string `json:"type"`           // one of the ToolChoice constants
	Name string `json:"name,omitempty"` // type tool
	// DisableParallelToolUse limits the model to one tool call (auto, any
	// and tool only).
	DisableParallelToolUse bool `json:"disable_parallel_tool_use,omitempty"`
}

// Metadata describes the request. UserID is an opaque identifier of the end
// user, such as a hash; never a name or an email address.
type Metadata struct {
	UserID string `json:"user_id,omitempty"`
}

// OutputConfig shapes the response.
type OutputConfig struct {
	Format *OutputFormat `json:"format,omitempty"`
}

// OutputFormat constrains the response text to a JSON Schema (structured
// outputs; Claude 4.5 models and later). Type is "json_schema".
type OutputFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

// MessagesResponse is the body of a successful non-streamed response, and
// the message of a message_start event (with empty content, and no stop
// reason yet).
type MessagesResponse struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "message"
	Role string `json:"role"` // "assistant"
	// Content holds the blocks the model wrote, in order.
	Content Content `json:"content"`
	Model   string  `json:"model"`
	// StopReason and StopSequence are written as null when empty.
	StopReason   string `json:"stop_reason"`
	StopSequence string `json:"stop_sequence"` // the stop sequence that matched
	Usage        Usage  `json:"usage"`
}

// MarshalJSON writes an empty StopReason or StopSequence as null, as the API
// does.
func (r MessagesResponse) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID           string  `json:"id"`
		Type         string  `json:"type"`
		Role         string  `json:"role"`
		Content      Content `json:"content"`
		Model        string  `json:"model"`
		StopReason   *string `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
		Usage        Usage   `json:"usage"`
	}{r.ID, r.Type, r.Role, r.Content, r.Model, nullable(r.StopReason), nullable(r.StopSequence), r.Usage})
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Usage counts a message's tokens. InputTokens excludes the tokens written
// to or read from the prompt cache, which are counted apart.
type Usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// DeltaUsage is the usage of a message_delta event: cumulative counts for
// the whole message. OutputTokens is always there; the others only when
// the API sends them.
type DeltaUsage struct {
	OutputTokens             int  `json:"output_tokens"`
	InputTokens              *int `json:"input_tokens,omitempty"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens,omitempty"`
}

// StreamEvent is the data of one server-sent event of a streamed response.
// Type says which members are used.
type StreamEvent struct {
	Type string `json:"type"`
	// Message is the message of message_start.
	Message *MessagesResponse `json:"message,omitempty"`
	// Index is the block that a content_block_* event concerns.
	Index int `json:"index"`
	// ContentBlock is the block content_block_start opens: a text block
	// with empty text, or a tool_use block with empty input.
	ContentBlock *ContentBlock `json:"content_block,omitempty"`
	// Delta is what content_block_delta adds to its block, or what
	// message_delta changes at the top of the message.
	Delta Delta `json:"delta"`
	// Usage is the cumulative usage of message_delta.
	Usage *DeltaUsage `json:"usage,omitempty"`
	// Error is the error of an error event.
	Error *Error `json:"error,omitempty"`
}

// Delta is the delta member of content_block_delta (Type and the member of
// its type) and of message_delta (StopReason and StopSequence).
type Delta struct {
	Type         string `json:"type"`
	Text         string `json:"text"`         // text_delta
	PartialJSON  string `json:"partial_json"` // input_json_delta: a fragment of the input's JSON text
	Thinking     string `json:"thinking"`     // thinking_delta
	Signature    string `json:"signature"`    // signature_delta
	StopReason   string `json:"stop_reason"`  // message_delta
	StopSequence string `json:"stop_sequence"`
}

// MarshalJSON writes the members of the event's type, as the API does.
func (e StreamEvent) MarshalJSON() ([]byte, error) {
	type typed struct {
		Type string `json:"type"`
	}
	switch e.Type {
	case EventMessageStart:
		return json.Marshal(struct {
			Type    string            `json:"type"`
			Message *MessagesResponse `json:"message"`
		}{e.Type, e.Message})
	case EventContentBlockStart:
		return json.Marshal(struct {
			Type         string        `json:"type"`
			Index        int           `json:"index"`
			ContentBlock *ContentBlock `json:"content_block"`
		}{e.Type, e.Index, e.ContentBlock})
	case EventContentBlockDelta:
		var delta any
		switch e.Delta.Type {
		case DeltaText:
			delta = struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}{e.Delta.Type, e.Delta.Text}
		case DeltaInputJSON:
			delta = struct {
				Type        string `json:"type"`
				PartialJSON string `json:"partial_json"`
			}{e.Delta.Type, e.Delta.PartialJSON}
		case DeltaThinking:
			delta = struct {
				Type     string `json:"type"`
				Thinking string `json:"thinking"`
			}{e.Delta.Type, e.Delta.Thinking}
		case DeltaSignature:
			delta = struct {
				Type      string `json:"type"`
				Signature string `json:"signature"`
			}{e.Delta.Type, e.Delta.Signature}
		default:
			delta = typed{e.Delta.Type}
		}
		return json.Marshal(struct {
			Type  string `json:"type"`
			Index int    `json:"index"`
			Delta any    `json:"delta"`
		}{e.Type, e.Index, delta})
	case EventContentBlockStop:
		return json.Marshal(struct {
			Type  string `json:"type"`
			Index int    `json:"index"`
		}{e.Type, e.Index})
	case EventMessageDelta:
		usage := e.Usage
		if usage == nil {
			usage = &DeltaUsage{}
		}
		return json.Marshal(struct {
			Type  string `json:"type"`
			Delta struct {
				StopReason   *string `json:"stop_reason"`
				StopSequence *string `json:"stop_sequence"`
			} `json:"delta"`
			Usage *DeltaUsage `json:"usage"`
		}{Type: e.Type, Delta: struct {
			StopReason   *string `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		}{nullable(e.Delta.StopReason), nullable(e.Delta.StopSequence)}, Usage: usage})
	case EventError:
		return json.Marshal(struct {
			Type  string `json:"type"`
			Error *Error `json:"error"`
		}{e.Type, e.Error})
	}
	return json.Marshal(typed{e.Type})
}

// MarshalSSE returns ev as one server-sent event, as the API streams it:
// an event line with its type, a data line with its JSON, a blank line.
func MarshalSSE(ev StreamEvent) ([]byte, error) {
	if strings.ContainsAny(ev.Type, "\r\n") {
		return nil, fmt.Errorf("event type %q: has a line break", ev.Type)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(ev.Type)+len(data)+16)
	out = append(out, "event: "...)
	out = append(out, ev.Type...)
	out = append(out, "\ndata: "...)
	out = append(out, data...)
	out = append(out, "\n\n"...)
	return out, nil
}
