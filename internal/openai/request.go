package openai

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ChatRequest is the body of POST /v1/chat/completions.
//
// Only the members a gateway acts on are typed. Every other member (top_p,
// stop, seed, logprobs, metadata, reasoning_effort, ...) is kept verbatim in
// Extra and written back, so a request passes upstream unchanged except
// where the caller changed it. Optional scalars are pointers so that an
// explicit 0 survives.
type ChatRequest struct {
	Model               string
	Messages            []Message
	Stream              bool
	StreamOptions       *StreamOptions
	Tools               []Tool
	ToolChoice          *ToolChoice
	ResponseFormat      *ResponseFormat
	N                   *int
	Temperature         *float64
	MaxTokens           *int // deprecated by OpenAI in favour of MaxCompletionTokens
	MaxCompletionTokens *int
	User                string
	// Extra holds every member not listed above, by name. A key that names
	// a typed member is ignored when encoding.
	Extra map[string]json.RawMessage
}

var requestKeys = keySet("model", "messages", "stream", "stream_options", "tools", "tool_choice",
	"response_format", "n", "temperature", "max_tokens", "max_completion_tokens", "user")

// MarshalJSON writes model and messages always, the other typed members
// when set, then Extra sorted by name.
func (r ChatRequest) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

// AppendJSON appends the encoding MarshalJSON gives to b: model first and
// messages second, so that the messages array starts at a place a caller
// can find without decoding.
func (r ChatRequest) AppendJSON(b []byte) ([]byte, error) {
	w := appendObject(b)
	w.str("model", r.Model)
	if r.Messages == nil {
		w.raw("messages", json.RawMessage("[]"))
	} else {
		w.appender("messages", messageList(r.Messages))
	}
	if r.Stream {
		w.field("stream", true)
	}
	if r.StreamOptions != nil {
		w.field("stream_options", r.StreamOptions)
	}
	if len(r.Tools) > 0 {
		w.field("tools", r.Tools)
	}
	if r.ToolChoice != nil {
		w.field("tool_choice", r.ToolChoice)
	}
	if r.ResponseFormat != nil {
		w.field("response_format", r.ResponseFormat)
	}
	if r.N != nil {
		w.field("n", *r.N)
	}
	if r.Temperature != nil {
		w.field("temperature", *r.Temperature)
	}
	if r.MaxTokens != nil {
		w.field("max_tokens", *r.MaxTokens)
	}
	if r.MaxCompletionTokens != nil {
		w.field("max_completion_tokens", *r.MaxCompletionTokens)
	}
	if r.User != "" {
		w.str("user", r.User)
	}
	w.extra(r.Extra, requestKeys)
	return w.bytes()
}

// messageList appends messages as a JSON array.
type messageList []Message

func (ms messageList) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = m.appendJSON(b); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return append(b, ']'), nil
}

// UnmarshalJSON decodes a request, keeping unknown members in Extra. Member
// names match exactly, as OpenAI matches them. Messages are decoded but not
// validated; DecodeConversation validates.
func (r *ChatRequest) UnmarshalJSON(data []byte) error {
	d, n, err := newDecoder(data, false)
	if err != nil {
		return err
	}
	v, _, err := d.request(n)
	if err != nil {
		return err
	}
	*r = *v
	return nil
}

// StreamOptions are the options of a streamed request.
type StreamOptions struct {
	// IncludeUsage asks for a last chunk with usage and no choices.
	IncludeUsage bool `json:"include_usage,omitempty"`
	// IncludeObfuscation, when false, turns off the padding field of chunks.
	IncludeObfuscation *bool `json:"include_obfuscation,omitempty"`
}

// Tool is one entry of a request's tools.
type Tool struct {
	Type     string              `json:"type"` // function or custom
	Function *FunctionDefinition `json:"function,omitempty"`
	Custom   json.RawMessage     `json:"custom,omitempty"` // {name, description, format}, kept as is
}

// FunctionDefinition declares a function tool. Parameters is a JSON Schema,
// kept verbatim.
type FunctionDefinition struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolChoice is a request's tool_choice: either a mode string or an object
// that names a tool or restricts the tools allowed.
type ToolChoice struct {
	// Mode is set when tool_choice is a string: none, auto or required.
	Mode string
	// Type is set when tool_choice is an object: function, custom or
	// allowed_tools; the member of the same name holds its payload.
	Type         string
	Function     *ToolName
	Custom       *ToolName
	AllowedTools *AllowedTools
}

// Tool choice modes.
const (
	ToolChoiceNone     = "none"
	ToolChoiceAuto     = "auto"
	ToolChoiceRequired = "required"
)

// ToolName names the tool a ToolChoice forces.
type ToolName struct {
	Name string `json:"name"`
}

// AllowedTools restricts the model to some of the declared tools.
type AllowedTools struct {
	Mode  string            `json:"mode"` // auto or required
	Tools []json.RawMessage `json:"tools"`
}

type toolChoiceObject struct {
	Type         string        `json:"type"`
	Function     *ToolName     `json:"function,omitempty"`
	Custom       *ToolName     `json:"custom,omitempty"`
	AllowedTools *AllowedTools `json:"allowed_tools,omitempty"`
}

// MarshalJSON writes the mode string when Mode is set, and the object
// otherwise.
func (c ToolChoice) MarshalJSON() ([]byte, error) {
	if c.Mode != "" {
		return json.Marshal(c.Mode)
	}
	return json.Marshal(toolChoiceObject{Type: c.Type, Function: c.Function, Custom: c.Custom, AllowedTools: c.AllowedTools})
}

// UnmarshalJSON accepts the string and the object forms.
func (c *ToolChoice) UnmarshalJSON(data []byte) error {
	var mode string
	if err := json.Unmarshal(data, &mode); err == nil {
		*c = ToolChoice{Mode: mode}
		return nil
	}
	var o toolChoiceObject
	if err := json.Unmarshal(data, &o); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return fmt.Errorf("want a string or an object, got %s", te.Value)
		}
		return err
	}
	*c = ToolChoice{Type: o.Type, Function: o.Function, Custom: o.Custom, AllowedTools: o.AllowedTools}
	return nil
}

// ResponseFormat is a request's response_format.
type ResponseFormat struct {
	Type       string      `json:"type"` // text, json_object or json_schema
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is the payload of a json_schema response format. Schema is kept
// verbatim.
type JSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}
