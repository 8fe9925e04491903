package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelspec/modelspec/internal/openai"
)

// ErrMalformedStream is wrapped by the errors of a stream that breaks the
// Messages API's protocol: data that is not JSON, a delta before its block,
// a second message_start. The gateway ends the client's stream with a server
// error.
var ErrMalformedStream = errors.New("malformed anthropic stream")

// StreamTranslator turns the events of a streamed Messages API response
// into OpenAI chat completion chunks, one event at a time. It is not safe
// for concurrent use; a stream has one.
//
// The chunks are those OpenAI sends for one choice:
//
//   - message_start gives the first chunk, with role assistant and content "".
//   - text deltas give content chunks.
//   - a tool_use block gives a tool call chunk with the call's index (its
//     place among the message's tool calls), id, type and name, and empty
//     arguments; its input_json_delta fragments give argument chunks. A tool
//     called without input gets the arguments {}.
//   - the first message_delta with a stop reason gives a chunk with an
//     empty delta and the finish reason that FinishReason maps it to.
//   - message_stop, when IncludeUsage is set, gives the usage chunk: no
//     choices, and the usage ToChat computes, from the cumulative counts of
//     the last message_delta.
//
// Thinking and server tool blocks, ping, and event types this package does
// not know (the API may add some) give nothing. An error event is returned
// as an *Error, whose ToOpenAI gives the error to send the client.
type StreamTranslator struct {
	// IncludeUsage asks for the usage chunk, as OpenAI's
	// stream_options.include_usage does.
	IncludeUsage bool

	model   string
	created int64
	id      string

	started, stopped, finishSent bool
	blocks                       map[int]*streamBlock
	tools                        int // tool calls so far
	usage                        Usage
}

type streamBlock struct {
	typ     string
	tool    int  // index among tool calls (tool_use)
	args    bool // an argument fragment was sent (tool_use)
	stopped bool
}

// NewStreamTranslator returns a translator whose chunks carry the model
// given (or, if it is empty, the one message_start names) and the created
// time given; their id is the message's.
func NewStreamTranslator(model string, created int64) *StreamTranslator {
	return &StreamTranslator{model: model, created: created, blocks: map[int]*streamBlock{}}
}

// Done reports whether message_stop has arrived. A stream that ends before
// it was cut short.
func (t *StreamTranslator) Done() bool { return t.stopped }

// Usage returns the usage counted so far, as ToChat maps it, and nil before
// message_start.
func (t *StreamTranslator) Usage() *openai.Usage {
	if !t.started {
		return nil
	}
	return chatUsage(t.usage)
}

// Event translates one server-sent event, as openai.ParseSSE delivers it,
// into the chunks to send, which may be none. Its type is read from the
// data's type member, else from the event field.
func (t *StreamTranslator) Event(ev openai.Event) ([]openai.ChatCompletionChunk, error) {
	if ev.Done() {
		return nil, nil // not Anthropic's, but harmless
	}
	var se StreamEvent
	if err := json.Unmarshal(ev.Data, &se); err != nil {
		return nil, t.malformed("%s event: %v", eventName(ev.Type), err)
	}
	if se.Type == "" {
		se.Type = ev.Type
	}
	switch se.Type {
	case EventPing:
		return nil, nil
	case EventError:
		if se.Error == nil {
			return nil, &Error{Type: ErrorTypeAPI, Message: "error event without an error"}
		}
		return nil, se.Error
	case EventMessageStart:
		if t.started {
			return nil, t.malformed("second message_start")
		}
		if se.Message == nil {
			return nil, t.malformed("message_start without a message")
		}
		t.started = true
		t.id = se.Message.ID
		if t.model == "" {
			t.model = se.Message.Model
		}
		t.usage = se.Message.Usage
		empty := ""
		return t.chunk(openai.Delta{Role: openai.RoleAssistant, Content: &empty}, nil), nil
	case EventContentBlockStart, EventContentBlockDelta, EventContentBlockStop, EventMessageDelta, EventMessageStop:
	default:
		return nil, nil
	}
	if !t.started {
		return nil, t.malformed("%s before message_start", se.Type)
	}
	if t.stopped {
		return nil, t.malformed("%s after message_stop", se.Type)
	}
	switch se.Type {
	case EventContentBlockStart:
		return t.blockStart(&se)
	case EventContentBlockDelta:
		return t.blockDelta(&se)
	case EventContentBlockStop:
		b, err := t.block(&se)
		if err != nil {
			return nil, err
		}
		b.stopped = true
		if b.typ == BlockToolUse && !b.args {
			b.args = true
			return t.toolChunk(openai.ToolCallDelta{Index: b.tool, Function: &openai.FunctionCallDelta{Arguments: "{}"}}), nil
		}
		return nil, nil
	case EventMessageDelta:
		t.addUsage(se.Usage)
		if se.Delta.StopReason == "" || t.finishSent {
			return nil, nil
		}
		return t.finish(se.Delta.StopReason), nil
	default: // message_stop
		t.stopped = true
		var out []openai.ChatCompletionChunk
		if !t.finishSent {
			out = t.finish("")
		}
		if t.IncludeUsage {
			out = append(out, openai.ChatCompletionChunk{ID: t.id, Object: openai.ObjectChatCompletionChunk,
				Created: t.created, Model: t.model, Choices: []openai.ChunkChoice{}, Usage: chatUsage(t.usage)})
		}
		return out, nil
	}
}

func eventName(typ string) string {
	if typ == "" {
		return "unnamed"
	}
	return typ
}

func (t *StreamTranslator) malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedStream, fmt.Sprintf(format, args...))
}

func (t *StreamTranslator) blockStart(se *StreamEvent) ([]openai.ChatCompletionChunk, error) {
	if _, ok := t.blocks[se.Index]; ok {
		return nil, t.malformed("content block %d started twice", se.Index)
	}
	cb := se.ContentBlock
	if cb == nil {
		return nil, t.malformed("content_block_start %d without a content_block", se.Index)
	}
	b := &streamBlock{typ: cb.Type}
	t.blocks[se.Index] = b
	switch cb.Type {
	case BlockText:
		if cb.Text != "" {
			return t.chunk(openai.Delta{Content: &cb.Text}, nil), nil
		}
	case BlockToolUse:
		if cb.ID == "" || cb.Name == "" {
			return nil, t.malformed("tool_use block %d without an id or a name", se.Index)
		}
		b.tool = t.tools
		t.tools++
		out := t.toolChunk(openai.ToolCallDelta{Index: b.tool, ID: cb.ID, Type: openai.ToolFunction,
			Function: &openai.FunctionCallDelta{Name: cb.Name}})
		// The API opens a tool_use block with input {} and streams the
		// input in deltas; should it open with more, that is the input.
		if in := bytes.TrimSpace(cb.Input); len(in) > 0 && !bytes.Equal(in, []byte("{}")) && !bytes.Equal(in, []byte("null")) {
			b.args = true
			out = append(out, t.toolChunk(openai.ToolCallDelta{Index: b.tool, Function: &openai.FunctionCallDelta{Arguments: arguments(in)}})...)
		}
		return out, nil
	}
	return nil, nil
}

func (t *StreamTranslator) block(se *StreamEvent) (*streamBlock, error) {
	b, ok := t.blocks[se.Index]
	if !ok {
		return nil, t.malformed("%s for content block %d, which has not started", se.Type, se.Index)
	}
	if b.stopped {
		return nil, t.malformed("%s for content block %d, which has stopped", se.Type, se.Index)
	}
	return b, nil
}

func (t *StreamTranslator) blockDelta(se *StreamEvent) ([]openai.ChatCompletionChunk, error) {
	b, err := t.block(se)
	if err != nil {
		return nil, err
	}
	switch se.Delta.Type {
	case DeltaText:
		if b.typ == BlockToolUse {
			return nil, t.malformed("text_delta for tool_use block %d", se.Index)
		}
		if b.typ == BlockText && se.Delta.Text != "" {
			text := se.Delta.Text
			return t.chunk(openai.Delta{Content: &text}, nil), nil
		}
	case DeltaInputJSON:
		if b.typ == BlockText {
			return nil, t.malformed("input_json_delta for text block %d", se.Index)
		}
		if b.typ == BlockToolUse && se.Delta.PartialJSON != "" {
			b.args = true
			return t.toolChunk(openai.ToolCallDelta{Index: b.tool, Function: &openai.FunctionCallDelta{Arguments: se.Delta.PartialJSON}}), nil
		}
	}
	return nil, nil
}

func (t *StreamTranslator) addUsage(u *DeltaUsage) {
	if u == nil {
		return
	}
	t.usage.OutputTokens = u.OutputTokens
	if u.InputTokens != nil {
		t.usage.InputTokens = *u.InputTokens
	}
	if u.CacheCreationInputTokens != nil {
		t.usage.CacheCreationInputTokens = *u.CacheCreationInputTokens
	}
	if u.CacheReadInputTokens != nil {
		t.usage.CacheReadInputTokens = *u.CacheReadInputTokens
	}
}

func (t *StreamTranslator) finish(stopReason string) []openai.ChatCompletionChunk {
	t.finishSent = true
	reason := FinishReason(stopReason)
	return t.chunk(openai.Delta{}, &reason)
}

func (t *StreamTranslator) toolChunk(d openai.ToolCallDelta) []openai.ChatCompletionChunk {
	return t.chunk(openai.Delta{ToolCalls: []openai.ToolCallDelta{d}}, nil)
}

func (t *StreamTranslator) chunk(d openai.Delta, finish *string) []openai.ChatCompletionChunk {
	return []openai.ChatCompletionChunk{{
		ID:      t.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: t.created,
		Model:   t.model,
		Choices: []openai.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}},
	}}
}
