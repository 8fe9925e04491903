package openai

import (
	"encoding/json"
	"errors"
	"go/build"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestMessageText(t *testing.T) {
	tests := []struct {
		json, want string
	}{
		{`{"role":"user","content":"plain"}`, "plain"},
		{`{"role":"assistant","content":null,"refusal":"no"}`, ""},
		{`{"role":"user"}`, ""},
		{`{"role":"user","content":[]}`, ""},
		{`{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"b"}]}`, "a\nb"},
		{`{"role":"assistant","content":[{"type":"refusal","refusal":"r"},{"type":"text","text":""},{"type":"text","text":"c"}]}`, "\nc"},
	}
	for _, tt := range tests {
		var m Message
		if err := json.Unmarshal([]byte(tt.json), &m); err != nil {
			t.Fatalf("%s: %v", tt.json, err)
		}
		if got := m.Text(); got != tt.want {
			t.Errorf("%s: Text() = %q, want %q", tt.json, got, tt.want)
		}
	}
}

// TestMessageLenient checks that plain json.Unmarshal keeps what
// DecodeConversation would reject, so a gateway can pass it on.
func TestMessageLenient(t *testing.T) {
	in := `{"role":"critic","content":[{"type":"input_video","input_video":{"url":"v.mp4"},"text":"t"}],"tool_call_id":"x"}`
	var m Message
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	p := m.Content.Parts[0]
	if m.Role != "critic" || p.Type != "input_video" || string(p.Extra["input_video"]) != `{"url":"v.mp4"}` {
		t.Errorf("decoded %+v", m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, []byte(in), out) {
		t.Errorf("re-encoded as %s", out)
	}
	if _, err := DecodeConversation([]byte("[" + in + "]")); err == nil {
		t.Error("DecodeConversation accepted an unknown role")
	}
	// Type errors are still errors, with the path inside the message.
	err = json.Unmarshal([]byte(`{"role":"user","content":[{"type":"text","text":7}]}`), &m)
	if err == nil || err.Error() != "1:49: content[0].text: want a string, got number" {
		t.Errorf("err = %v", err)
	}
}

func TestContentForms(t *testing.T) {
	tests := []struct {
		c    Content
		json string
	}{
		{Content{}, `null`},
		{TextContent(""), `""`},
		{TextContent("hi"), `"hi"`},
		{PartsContent(), `[]`},
		{PartsContent(TextPart("a")), `[{"type":"text","text":"a"}]`},
		{PartsContent(TextPart("")), `[{"type":"text","text":""}]`},
		{PartsContent(ContentPart{Type: PartRefusal}), `[{"type":"refusal","refusal":""}]`},
		{PartsContent(ContentPart{Type: PartImageURL, ImageURL: &ImageURL{URL: "u"}}), `[{"type":"image_url","image_url":{"url":"u"}}]`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.c)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.json {
			t.Errorf("Marshal(%+v) = %s, want %s", tt.c, b, tt.json)
		}
		var back Content
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Kind != tt.c.Kind || back.Text != tt.c.Text || len(back.Parts) != len(tt.c.Parts) {
			t.Errorf("Unmarshal(%s) = %+v, want %+v", b, back, tt.c)
		}
	}
	// null content is written, not left out.
	b, _ := json.Marshal(Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "c", Type: ToolFunction, Function: FunctionCall{Name: "f", Arguments: "{}"}}}})
	if want := `{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}`; string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

func TestChatRequestExtra(t *testing.T) {
	in := `{"model":"m","messages":[{"role":"user","content":"hi"}],"top_p":0.5,"Model":"case matters","seed":null,"stop":["a", "b"]}`
	var r ChatRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "m" {
		t.Errorf("Model = %q", r.Model)
	}
	wantExtra := []string{"Model", "seed", "stop", "top_p"}
	if keys := slices.Sorted(maps.Keys(r.Extra)); !slices.Equal(keys, wantExtra) {
		t.Errorf("Extra keys = %v, want %v", keys, wantExtra)
	}
	// A gateway edits a typed field; the rest passes through.
	temp := 0.0
	r.Temperature = &temp
	r.Extra["model"] = json.RawMessage(`"ignored: typed members win"`)
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"Model":"case matters","seed":null,"stop":["a","b"],"top_p":0.5}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	// Invalid raw JSON in Extra is an error, not corrupt output.
	r.Extra["bad"] = json.RawMessage(`{`)
	if _, err := json.Marshal(r); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("Marshal with invalid Extra: err = %v", err)
	}
	// An empty request still has messages.
	b, _ := json.Marshal(ChatRequest{Model: "m"})
	if string(b) != `{"model":"m","messages":[]}` {
		t.Errorf("empty request = %s", b)
	}
}

func TestToolChoice(t *testing.T) {
	for _, in := range []string{`"auto"`, `"none"`, `"required"`,
		`{"type":"function","function":{"name":"f"}}`,
		`{"type":"custom","custom":{"name":"g"}}`,
		`{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"function","function":{"name":"f"}}]}}`} {
		var c ToolChoice
		if err := json.Unmarshal([]byte(in), &c); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("round trip %s -> %s", in, out)
		}
	}
}

func TestDecodeConversationForms(t *testing.T) {
	conv, err := DecodeConversation([]byte(`[{"role":"user","content":"a"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if conv.Request != nil || len(conv.Messages) != 1 {
		t.Errorf("bare array: %+v", conv)
	}
	conv, err = DecodeConversation([]byte(`{"model":"m","messages":[{"role":"user","content":"a"}],"seed":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if conv.Request == nil || conv.Request.Model != "m" || &conv.Request.Messages[0] != &conv.Messages[0] {
		t.Errorf("request: %+v", conv)
	}
	// Messages replaced on the conversation are the ones encoded.
	conv.Messages = append(conv.Messages, Message{Role: RoleAssistant, Content: TextContent("b")})
	b, _ := json.Marshal(conv)
	if want := `{"model":"m","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}],"seed":1}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestDecodeConversationTooManyMessages(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range MaxMessages + 1 {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`{"role":"user","content":"x"}`)
	}
	b.WriteString("]")
	_, err := DecodeConversation([]byte(b.String()))
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a *DecodeError", err)
	}
	if want := "100001:1: messages: more than 100000 messages"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	// Exactly the limit is fine.
	s := b.String()
	s = s[:strings.LastIndex(s, ",\n")] + "]"
	if _, err := DecodeConversation([]byte(s)); err != nil {
		t.Errorf("MaxMessages messages: %v", err)
	}
}

func TestDecodeConversationDepth(t *testing.T) {
	nest := func(depth int) []byte {
		// The array and the message object are two levels.
		inner := strings.Repeat("[", depth-2) + strings.Repeat("]", depth-2)
		return []byte(`[{"role":"user","content":"x","deep":` + inner + `}]`)
	}
	if _, err := DecodeConversation(nest(MaxDepth)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	_, err := DecodeConversation(nest(MaxDepth + 1))
	if err == nil || !strings.Contains(err.Error(), "nesting deeper than 64 levels") {
		t.Errorf("depth %d: err = %v", MaxDepth+1, err)
	}
	// Far deeper than encoding/json's own limit, and unbalanced: still a
	// clear error, no stack growth.
	_, err = DecodeConversation([]byte(strings.Repeat("[", 1_000_000)))
	if err == nil || err.Error() != "1:65: nesting deeper than 64 levels" {
		t.Errorf("a million brackets: err = %v", err)
	}
	// Brackets inside strings do not count.
	s := `[{"role":"user","content":"` + strings.Repeat("[", 100) + `\"` + strings.Repeat("{", 100) + `"}]`
	if _, err := DecodeConversation([]byte(s)); err != nil {
		t.Errorf("brackets in a string: %v", err)
	}
	// A syntax error before the deep part is reported first.
	_, err = DecodeConversation([]byte("[x" + strings.Repeat("[", 100)))
	if err == nil || !strings.Contains(err.Error(), "invalid character 'x'") {
		t.Errorf("syntax error first: err = %v", err)
	}
}

func TestDecodeErrorFormat(t *testing.T) {
	tests := []struct {
		e    DecodeError
		want string
	}{
		{DecodeError{Path: "messages[0].role", Line: 2, Col: 5, Msg: "required"}, "2:5: messages[0].role: required"},
		{DecodeError{Line: 1, Col: 1, Msg: "unexpected end of JSON input"}, "1:1: unexpected end of JSON input"},
		{DecodeError{Path: "messages", Msg: "required"}, "messages: required"},
		{DecodeError{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestPosition(t *testing.T) {
	data := []byte("ab\ncd\r\nef")
	tests := []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {7, 3, 1}, {9, 3, 3}, {99, 3, 3},
	}
	for _, tt := range tests {
		if l, c := position(data, tt.off); l != tt.line || c != tt.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

func TestNewError(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{400, `{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}`},
		{401, `{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}`},
		{429, `{"error":{"message":"m","type":"requests","param":null,"code":"rate_limit_exceeded"}}`},
		{502, `{"error":{"message":"m","type":"server_error","param":null,"code":null}}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(NewError(tt.status, "m"))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("NewError(%d) = %s, want %s", tt.status, b, tt.want)
		}
	}
	e := NewError(400, "blocked by policy").WithParam("messages[1].content").WithCode("content_policy_violation")
	b, _ := json.Marshal(e)
	if want := `{"error":{"message":"blocked by policy","type":"invalid_request_error","param":"messages[1].content","code":"content_policy_violation"}}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if got := e.Error.Error(); got != "content_policy_violation: blocked by policy" {
		t.Errorf("APIError.Error() = %q", got)
	}
	var back ErrorResponse
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, e) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestChunkChoicesNeverNull(t *testing.T) {
	b, _ := json.Marshal(ChatCompletionChunk{ID: "x", Object: ObjectChatCompletionChunk, Usage: &Usage{TotalTokens: 3}})
	if !strings.Contains(string(b), `"choices":[]`) {
		t.Errorf("chunk = %s", b)
	}
	b, _ = json.Marshal(ChatCompletion{ID: "x", Object: ObjectChatCompletion})
	if !strings.Contains(string(b), `"choices":[]`) {
		t.Errorf("completion = %s", b)
	}
	stop := FinishStop
	b, _ = json.Marshal(ChunkChoice{FinishReason: &stop})
	if want := `{"index":0,"delta":{},"finish_reason":"stop","logprobs":null}`; string(b) != want {
		t.Errorf("choice = %s, want %s", b, want)
	}
}

// TestPureImports enforces the package boundary stated in doc.go.
func TestPureImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		switch {
		case imp == "net/http", imp == "database/sql", imp == "os", strings.Contains(strings.Split(imp, "/")[0], "."):
			t.Errorf("package openai imports %s", imp)
		}
	}
}
