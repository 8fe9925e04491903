package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/openai"
)

func TestErrorToOpenAI(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantStatus int
		wantType   string
		wantCode   string
		wantMsg    string
	}{
		{"invalid request", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_1"}`,
			400, "invalid_request_error", "invalid_request_error", "max_tokens: Field required"},
		{"authentication", 401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`,
			401, "invalid_request_error", "invalid_api_key", "invalid x-api-key"},
		{"not found", 404, `{"type":"error","error":{"type":"not_found_error","message":"model: claude-nope"}}`,
			404, "invalid_request_error", "not_found_error", "model: claude-nope"},
		{"rate limit", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
			429, "requests", "rate_limit_exceeded", "slow down"},
		{"api error", 500, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`,
			500, "server_error", "api_error", "Internal server error"},
		{"overloaded becomes 503", 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			503, "server_error", "overloaded_error", "Overloaded"},
		{"status from type when none", 200, `{"type":"error","error":{"type":"permission_error","message":"no"}}`,
			403, "invalid_request_error", "permission_error", "no"},
		{"unknown type keeps status", 418, `{"type":"error","error":{"type":"teapot_error","message":"short and stout"}}`,
			418, "invalid_request_error", "teapot_error", "short and stout"},
		{"type from status when missing", 413, `{"type":"error","error":{"message":"too big"}}`,
			413, "invalid_request_error", "request_too_large", "too big"},
		{"not anthropic's shape", 502, "<html>Bad Gateway</html>\n<body>...</body>",
			502, "server_error", "api_error", "anthropic upstream answered status 502: <html>Bad Gateway</html>"},
		{"binary body", 503, "\x00\x01\x02",
			503, "server_error", "api_error", "anthropic upstream answered status 503"},
		{"empty body, no status", 0, "",
			500, "server_error", "api_error", "anthropic upstream answered status 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ErrorToOpenAI(tt.status, []byte(tt.body))
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			e := body.Error
			code := ""
			if e.Code != nil {
				code = *e.Code
			}
			if e.Type != tt.wantType || code != tt.wantCode || e.Message != tt.wantMsg {
				t.Errorf("error {type %q code %q message %q}, want {%q %q %q}", e.Type, code, e.Message, tt.wantType, tt.wantCode, tt.wantMsg)
			}
			if _, err := json.Marshal(body); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestStreamErrorToOpenAI(t *testing.T) {
	tr := NewStreamTranslator("m", created)
	start := `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"x","usage":{"input_tokens":1,"output_tokens":1}}}`
	if _, err := tr.Event(openai.Event{Type: EventMessageStart, Data: []byte(start)}); err != nil {
		t.Fatal(err)
	}
	_, err := tr.Event(openai.Event{Type: EventError, Data: []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)})
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want *Error", err, err)
	}
	status, body := ae.ToOpenAI()
	if status != 503 || body.Error.Type != openai.ErrorTypeServer || body.Error.Message != "Overloaded" {
		t.Errorf("ToOpenAI: %d %+v", status, body.Error)
	}
	if errors.Is(err, ErrMalformedStream) {
		t.Error("an error event is not a malformed stream")
	}
}

func TestErrorTypeForStatus(t *testing.T) {
	for status, want := range map[int]string{400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
		403: "permission_error", 404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
		500: "api_error", 504: "timeout_error", 529: "overloaded_error", 409: "invalid_request_error", 502: "api_error"} {
		if got := ErrorTypeForStatus(status); got != want {
			t.Errorf("ErrorTypeForStatus(%d) = %q, want %q", status, got, want)
		}
		if e := (&Error{Type: want}); want != "invalid_request_error" && want != "api_error" && e.Status() != status {
			t.Errorf("Status of %s = %d, want %d", want, e.Status(), status)
		}
	}
	b, _ := json.Marshal(NewErrorResponse(404, "nope"))
	if string(b) != `{"type":"error","error":{"type":"not_found_error","message":"nope"}}` {
		t.Errorf("NewErrorResponse: %s", b)
	}
}

func TestRequestError(t *testing.T) {
	n := 2
	_, err := FromChat(&openai.ChatRequest{Model: "m", N: &n, Messages: []openai.Message{{Role: "user", Content: openai.TextContent("hi")}}})
	var re *RequestError
	if !errors.As(err, &re) || re.Param != "n" || !errors.Is(err, ErrUnsupported) {
		t.Errorf("n=2: %v", err)
	}
	_, err = FromChat(&openai.ChatRequest{Model: "m", Messages: []openai.Message{{Role: "wizard", Content: openai.TextContent("hi")}}})
	if !errors.As(err, &re) || re.Param != "messages[0].role" || errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown role: %v", err)
	}
	if _, err := FromChat(nil); err == nil {
		t.Error("FromChat(nil) succeeded")
	}
}

func TestFromChatDefaults(t *testing.T) {
	out, err := FromChat(&openai.ChatRequest{Model: "m", Messages: []openai.Message{{Role: "user", Content: openai.TextContent("hi")}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.MaxTokens != DefaultMaxTokens || out.Dropped != nil || out.System != nil || out.ToolChoice != nil {
		t.Errorf("defaults: %+v", out)
	}
	b, _ := json.Marshal(out)
	if bytes.Contains(b, []byte("Dropped")) || bytes.Contains(b, []byte(`"system"`)) {
		t.Errorf("sent %s", b)
	}
}

func TestContentForms(t *testing.T) {
	var req MessagesRequest
	in := `{"model":"m","max_tokens":5,"system":"be brief","messages":[{"role":"user","content":"hi"},
		{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"yo"}]}]}`
	if err := json.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	if req.System.Text() != "be brief" || req.Messages[0].Content.Text() != "hi" || req.Messages[1].Content.Text() != "yo" {
		t.Fatalf("decoded %+v", req)
	}
	thinking := req.Messages[1].Content[0]
	if thinking.Type != BlockThinking || string(thinking.Raw) != `{"type":"thinking","thinking":"hm","signature":"s"}` {
		t.Errorf("thinking block %+v", thinking)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","max_tokens":5,"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},` +
		`{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"yo"}]}]}`
	if string(b) != want {
		t.Errorf("encoded\n got %s\nwant %s", b, want)
	}
	var c Content
	if err := json.Unmarshal([]byte(`[{"type":"text","text":1}]`), &c); err == nil {
		t.Error("a text block with a number decoded")
	}
}

func TestMessagesResponseNulls(t *testing.T) {
	b, err := json.Marshal(MessagesResponse{ID: "msg_1", Type: "message", Role: "assistant", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"stop_sequence":null,` +
		`"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestMarshalSSE(t *testing.T) {
	tests := []struct {
		ev   StreamEvent
		want string
	}{
		{StreamEvent{Type: EventPing}, `{"type":"ping"}`},
		{StreamEvent{Type: EventContentBlockStart, Index: 0, ContentBlock: &ContentBlock{Type: BlockText}},
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`},
		{StreamEvent{Type: EventContentBlockStart, Index: 1, ContentBlock: &ContentBlock{Type: BlockToolUse, ID: "toolu_1", Name: "f"}},
			`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}`},
		{StreamEvent{Type: EventContentBlockDelta, Index: 1, Delta: Delta{Type: DeltaInputJSON}},
			`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}`},
		{StreamEvent{Type: EventContentBlockDelta, Index: 0, Delta: Delta{Type: DeltaText, Text: "a\nb"}},
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\nb"}}`},
		{StreamEvent{Type: EventContentBlockStop, Index: 0}, `{"type":"content_block_stop","index":0}`},
		{StreamEvent{Type: EventMessageDelta, Delta: Delta{StopReason: StopEndTurn}, Usage: &DeltaUsage{OutputTokens: 3}},
			`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}`},
		{StreamEvent{Type: EventMessageStop}, `{"type":"message_stop"}`},
		{StreamEvent{Type: EventError, Error: &Error{Type: ErrorTypeOverloaded, Message: "Overloaded"}},
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
	}
	for _, tt := range tests {
		b, err := MarshalSSE(tt.ev)
		if err != nil {
			t.Fatal(err)
		}
		want := "event: " + tt.ev.Type + "\ndata: " + tt.want + "\n\n"
		if string(b) != want {
			t.Errorf("got  %q\nwant %q", b, want)
		}
		var back StreamEvent
		if err := json.Unmarshal([]byte(tt.want), &back); err != nil {
			t.Errorf("%s: %v", tt.want, err)
		}
	}
	if _, err := MarshalSSE(StreamEvent{Type: "a\nb"}); err == nil {
		t.Error("an event type with a line break was written")
	}
}

func TestStreamTranslatorProtocol(t *testing.T) {
	start := openai.Event{Data: []byte(`{"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":4}}}`)}
	stop := openai.Event{Data: []byte(`{"type":"message_stop"}`)}
	tr := NewStreamTranslator("", created)
	if tr.Usage() != nil {
		t.Error("usage before message_start")
	}
	if _, err := tr.Event(stop); !errors.Is(err, ErrMalformedStream) {
		t.Errorf("message_stop first: %v", err)
	}
	chunks, err := tr.Event(start)
	if err != nil || len(chunks) != 1 || chunks[0].Model != "claude" || chunks[0].ID != "msg_1" {
		t.Fatalf("message_start: %v %+v", err, chunks)
	}
	if _, err := tr.Event(start); !errors.Is(err, ErrMalformedStream) {
		t.Errorf("second message_start: %v", err)
	}
	// message_stop without a message_delta still finishes the choice.
	chunks, err = tr.Event(stop)
	if err != nil || len(chunks) != 1 || *chunks[0].Choices[0].FinishReason != "stop" || chunks[0].Usage != nil {
		t.Fatalf("message_stop: %v %+v", err, chunks)
	}
	if !tr.Done() || tr.Usage().PromptTokens != 4 {
		t.Errorf("Done %v, usage %+v", tr.Done(), tr.Usage())
	}
	if _, err := tr.Event(openai.Event{Data: []byte(`{"type":"content_block_stop","index":0}`)}); !errors.Is(err, ErrMalformedStream) {
		t.Errorf("event after message_stop: %v", err)
	}
	// The event field names the type when the data does not.
	tr = NewStreamTranslator("alias", created)
	chunks, err = tr.Event(openai.Event{Type: EventMessageStart, Data: []byte(`{"message":{"id":"msg_2","model":"claude"}}`)})
	if err != nil || len(chunks) != 1 || chunks[0].Model != "alias" {
		t.Fatalf("typed by the event field: %v %+v", err, chunks)
	}
	if _, err := tr.Event(openai.Event{Type: EventError, Data: []byte(`{"type":"error"}`)}); err == nil {
		t.Error("error event without an error was accepted")
	}
}

// TestEventsAgreeWithToChat checks that a response streamed with Events
// and translated chunk by chunk adds up to what ToChat makes of it whole.
func TestEventsAgreeWithToChat(t *testing.T) {
	splits := map[string]func(string) []string{
		"whole":   nil,
		"3 bytes": func(s string) []string { return splitEvery(s, 3) },
		"words":   splitWords,
	}
	for _, path := range glob(t, "tochat/*.txt") {
		input, _ := readCase(t, path)
		var resp MessagesResponse
		if err := json.Unmarshal(input, &resp); err != nil {
			t.Fatal(err)
		}
		for name, split := range splits {
			got := streamed(t, &resp, split)
			want := ToChat(&resp, created)
			normalize(&want)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("%s, split %s:\nstreamed %s\n   whole %s", path, name, g, w)
			}
		}
	}
}

// splitWords cuts s after each space.
func splitWords(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
}

func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// streamed sends resp through Events, MarshalSSE, openai.ParseSSE and a
// StreamTranslator, and adds up the chunks.
func streamed(t testing.TB, resp *MessagesResponse, split func(string) []string) openai.ChatCompletion {
	t.Helper()
	var sse bytes.Buffer
	for _, ev := range Events(resp, split) {
		b, err := MarshalSSE(ev)
		if err != nil {
			t.Fatal(err)
		}
		sse.Write(b)
	}
	tr := NewStreamTranslator("", created)
	tr.IncludeUsage = true
	var chunks []openai.ChatCompletionChunk
	err := openai.ParseSSE(&sse, func(ev openai.Event) error {
		cs, err := tr.Event(ev)
		chunks = append(chunks, cs...)
		return err
	})
	if err != nil {
		t.Fatalf("stream: %v\n%s", err, sse.String())
	}
	if !tr.Done() {
		t.Fatal("stream not done")
	}
	return accumulate(t, chunks)
}

// accumulate adds up chunks as an OpenAI client does.
func accumulate(t testing.TB, chunks []openai.ChatCompletionChunk) openai.ChatCompletion {
	t.Helper()
	out := openai.ChatCompletion{Object: openai.ObjectChatCompletion}
	var text strings.Builder
	msg := openai.Message{}
	finish := ""
	for _, c := range chunks {
		out.ID, out.Model, out.Created = c.ID, c.Model, c.Created
		if c.Usage != nil {
			out.Usage = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.Delta.Role != "" {
				msg.Role = ch.Delta.Role
			}
			if ch.Delta.Content != nil {
				text.WriteString(*ch.Delta.Content)
			}
			for _, tc := range ch.Delta.ToolCalls {
				if tc.ID != "" {
					if tc.Index != len(msg.ToolCalls) {
						t.Fatalf("tool call index %d, want %d", tc.Index, len(msg.ToolCalls))
					}
					msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{ID: tc.ID, Type: tc.Type})
				}
				if tc.Index < 0 || tc.Index >= len(msg.ToolCalls) {
					t.Fatalf("tool call index %d of %d calls", tc.Index, len(msg.ToolCalls))
				}
				if tc.Function != nil {
					msg.ToolCalls[tc.Index].Function.Name += tc.Function.Name
					msg.ToolCalls[tc.Index].Function.Arguments += tc.Function.Arguments
				}
			}
			if ch.FinishReason != nil {
				if finish != "" {
					t.Fatal("two finish reasons")
				}
				finish = *ch.FinishReason
			}
		}
	}
	msg.Content = openai.TextContent(text.String())
	out.Choices = []openai.Choice{{Message: msg, FinishReason: finish}}
	normalize(&out)
	return out
}

// normalize writes empty content next to tool calls as null, since a
// stream cannot tell the two apart.
func normalize(c *openai.ChatCompletion) {
	for i := range c.Choices {
		m := &c.Choices[i].Message
		if len(m.ToolCalls) > 0 && m.Content.Kind == openai.ContentString && m.Content.Text == "" {
			m.Content = openai.Content{}
		}
	}
}
