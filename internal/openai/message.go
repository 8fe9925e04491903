package openai

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Message roles. RoleFunction is the legacy role of a function result,
// superseded by RoleTool; RoleDeveloper replaces RoleSystem for reasoning
// models.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
	RoleFunction  = "function"
)

// Content part types.
const (
	PartText       = "text"
	PartImageURL   = "image_url"
	PartInputAudio = "input_audio"
	PartFile       = "file"
	PartRefusal    = "refusal"
)

// Tool and tool call types.
const (
	ToolFunction = "function"
	ToolCustom   = "custom"
)

// Message is one message of a chat conversation, in a request (messages) or
// a response (choices[].message).
type Message struct {
	Role    string
	Content Content
	// Name tells participants of the same role apart; a legacy function
	// message names the function.
	Name string
	// ToolCalls are the calls an assistant message makes.
	ToolCalls []ToolCall
	// ToolCallID is the call a tool message answers.
	ToolCallID string
	// Refusal is an assistant's refusal message; nil when absent or null.
	Refusal *string
	// FunctionCall is the legacy single call of an assistant message.
	FunctionCall *FunctionCall
	// Extra holds every member this package does not know (audio,
	// annotations, ...), kept verbatim and written back after the known
	// members, sorted by name. A key that names a known member is ignored
	// when encoding.
	Extra map[string]json.RawMessage
}

var messageKeys = keySet("role", "content", "name", "tool_calls", "tool_call_id", "refusal", "function_call")

// Text returns the message's text: the content string, or the text parts
// joined by a newline. Other parts (images, audio, files, refusals) are left
// out; they stay in Content for re-encoding.
func (m Message) Text() string {
	switch m.Content.Kind {
	case ContentString:
		return m.Content.Text
	case ContentParts:
		var b strings.Builder
		n := 0
		for _, p := range m.Content.Parts {
			if p.Type != PartText {
				continue
			}
			if n > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p.Text)
			n++
		}
		return b.String()
	}
	return ""
}

// MarshalJSON writes role and content always (content as null when it is
// null, as OpenAI does for an assistant message that only calls tools), the
// other known members when set, then Extra.
func (m Message) MarshalJSON() ([]byte, error) { return m.appendJSON(nil) }

func (m Message) appendJSON(b []byte) ([]byte, error) {
	w := appendObject(b)
	w.str("role", m.Role)
	w.appender("content", m.Content)
	if m.Name != "" {
		w.str("name", m.Name)
	}
	if len(m.ToolCalls) > 0 {
		w.field("tool_calls", m.ToolCalls)
	}
	if m.ToolCallID != "" {
		w.str("tool_call_id", m.ToolCallID)
	}
	if m.Refusal != nil {
		w.str("refusal", *m.Refusal)
	}
	if m.FunctionCall != nil {
		w.field("function_call", m.FunctionCall)
	}
	w.extra(m.Extra, messageKeys)
	return w.bytes()
}

// UnmarshalJSON decodes a message without validating it: unknown roles and
// part types are kept. Use DecodeConversation to validate.
func (m *Message) UnmarshalJSON(data []byte) error {
	d, n, err := newDecoder(data, false)
	if err != nil {
		return err
	}
	v, err := d.message(n)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ContentKind tells which of its three JSON forms a message's content takes.
type ContentKind uint8

// The forms of Content. The zero value is ContentNull.
const (
	ContentNull   ContentKind = iota // null or absent
	ContentString                    // a JSON string, in Text
	ContentParts                     // an array of parts, in Parts
)

// Content is a message's content: null, a string or an array of parts.
type Content struct {
	Kind  ContentKind
	Text  string        // when Kind is ContentString
	Parts []ContentPart // when Kind is ContentParts
}

// TextContent returns string content.
func TextContent(s string) Content { return Content{Kind: ContentString, Text: s} }

// PartsContent returns array content.
func PartsContent(parts ...ContentPart) Content { return Content{Kind: ContentParts, Parts: parts} }

// MarshalJSON writes null, a string or an array ([] when Parts is empty).
func (c Content) MarshalJSON() ([]byte, error) { return c.appendJSON(nil) }

func (c Content) appendJSON(b []byte) ([]byte, error) {
	switch c.Kind {
	case ContentString:
		return appendString(b, c.Text), nil
	case ContentParts:
		b = append(b, '[')
		for i, p := range c.Parts {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = p.appendJSON(b); err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return append(b, ']'), nil
	}
	return append(b, "null"...), nil
}

// UnmarshalJSON decodes any of the three forms without validating parts.
func (c *Content) UnmarshalJSON(data []byte) error {
	d, n, err := newDecoder(data, false)
	if err != nil {
		return err
	}
	v, _, err := d.content(n)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// ContentPart is one element of array content.
type ContentPart struct {
	Type       string      // one of the Part constants, or a newer type kept as is
	Text       string      // type text
	ImageURL   *ImageURL   // type image_url
	InputAudio *InputAudio // type input_audio
	File       *File       // type file
	Refusal    string      // type refusal
	// Extra holds members this package does not know, such as the payload
	// of a part type added after it was written.
	Extra map[string]json.RawMessage
}

var partKeys = keySet("type", "text", "image_url", "input_audio", "file", "refusal")

// TextPart returns a text part.
func TextPart(s string) ContentPart { return ContentPart{Type: PartText, Text: s} }

// MarshalJSON writes type, the member its type requires (text and refusal
// even when empty), any other member that is set, then Extra.
func (p ContentPart) MarshalJSON() ([]byte, error) { return p.appendJSON(nil) }

func (p ContentPart) appendJSON(b []byte) ([]byte, error) {
	w := appendObject(b)
	w.str("type", p.Type)
	if p.Text != "" || p.Type == PartText {
		w.str("text", p.Text)
	}
	if p.ImageURL != nil {
		w.field("image_url", p.ImageURL)
	}
	if p.InputAudio != nil {
		w.field("input_audio", p.InputAudio)
	}
	if p.File != nil {
		w.field("file", p.File)
	}
	if p.Refusal != "" || p.Type == PartRefusal {
		w.str("refusal", p.Refusal)
	}
	w.extra(p.Extra, partKeys)
	return w.bytes()
}

// UnmarshalJSON decodes a part of any type without validating it.
func (p *ContentPart) UnmarshalJSON(data []byte) error {
	d, n, err := newDecoder(data, false)
	if err != nil {
		return err
	}
	v, _, err := d.part(n)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ImageURL is the payload of an image_url part: an https URL or a data URL.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"` // auto, low or high
}

// InputAudio is the payload of an input_audio part.
type InputAudio struct {
	Data   string `json:"data"`   // base64
	Format string `json:"format"` // wav or mp3
}

// File is the payload of a file part: inline data or an uploaded file's ID.
type File struct {
	FileData string `json:"file_data,omitempty"` // base64
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// ToolCall is one call in an assistant message's tool_calls.
type ToolCall struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`              // function or custom
	Function FunctionCall    `json:"function,omitzero"` // type function
	Custom   *CustomToolCall `json:"custom,omitempty"`  // type custom
}

// FunctionCall is a call of a function tool, and the legacy function_call
// of an assistant message. Arguments is JSON text as the model wrote it,
// which need not be valid JSON.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// CustomToolCall is a call of a custom (free-form input) tool.
type CustomToolCall struct {
	Name  string `json:"name"`
	Input string `json:"input"`
}
