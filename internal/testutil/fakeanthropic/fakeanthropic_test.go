package fakeanthropic

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/anthropic"
	"github.com/modelspec/modelspec/internal/openai"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata cases")

const separator = "----------\n"

func readCase(t testing.TB, path string) (input, want []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(data, []byte("\n"+separator))
	if i < 0 {
		t.Fatalf("%s: no separator line", path)
	}
	return data[:i+1], data[i+1+len(separator):]
}

func glob(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s (%v)", pattern, err)
	}
	return files
}

// post sends body to the fake with the headers a client sends, plus extra.
func post(t testing.TB, up *Test, body []byte, extra http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, up.BaseURL+anthropic.Path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(anthropic.HeaderAPIKey, "sk-ant-test")
	req.Header.Set(anthropic.HeaderVersion, anthropic.Version)
	for k, vs := range extra {
		req.Header[k] = vs
	}
	resp, err := up.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckCases runs the cases of testdata/check: a request body, then
// the status and the indented body of the answer.
func TestCheckCases(t *testing.T) {
	for _, path := range glob(t, "testdata/check/*.txt") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, want := readCase(t, path)
			up := Start(t, Options{})
			resp := post(t, up, input, nil)
			body := readAll(t, resp)
			var out bytes.Buffer
			out.WriteString(resp.Status + "\n")
			if err := json.Indent(&out, body, "", "  "); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			out.WriteByte('\n')
			got := out.Bytes()
			if *update {
				if err := os.WriteFile(path, append(append(input, separator...), got...), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if strings.HasPrefix(filepath.Base(path), "ok_") != (resp.StatusCode == http.StatusOK) {
				t.Errorf("status %s for %s", resp.Status, filepath.Base(path))
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	body := []byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	tests := []struct {
		name       string
		opts       Options
		method     string
		path       string
		set        map[string]string
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{name: "fine", wantStatus: 200},
		{name: "no key", set: map[string]string{anthropic.HeaderAPIKey: ""}, wantStatus: 401,
			wantType: anthropic.ErrorTypeAuthentication, wantMsg: "x-api-key header is required"},
		{name: "wrong key", opts: Options{APIKey: "sk-ant-right"}, wantStatus: 401,
			wantType: anthropic.ErrorTypeAuthentication, wantMsg: "invalid x-api-key"},
		{name: "right key", opts: Options{APIKey: "sk-ant-test"}, wantStatus: 200},
		{name: "no version", set: map[string]string{anthropic.HeaderVersion: ""}, wantStatus: 400,
			wantType: anthropic.ErrorTypeInvalidRequest, wantMsg: "anthropic-version: header is required"},
		{name: "unknown version", set: map[string]string{anthropic.HeaderVersion: "2099-01-01"}, wantStatus: 400,
			wantType: anthropic.ErrorTypeInvalidRequest},
		{name: "wrong path", path: "/v1/complete", wantStatus: 404, wantType: anthropic.ErrorTypeNotFound},
		{name: "wrong method", method: http.MethodGet, wantStatus: 405, wantType: anthropic.ErrorTypeInvalidRequest},
		{name: "overloaded", set: map[string]string{HeaderStatus: "529"}, wantStatus: 529,
			wantType: anthropic.ErrorTypeOverloaded, wantMsg: "Overloaded"},
		{name: "rate limited", set: map[string]string{HeaderStatus: "429"}, wantStatus: 429, wantType: anthropic.ErrorTypeRateLimit},
		{name: "server error", set: map[string]string{HeaderStatus: "500"}, wantStatus: 500, wantType: anthropic.ErrorTypeAPI},
		{name: "gateway timeout", set: map[string]string{HeaderStatus: "504"}, wantStatus: 504, wantType: anthropic.ErrorTypeTimeout},
		{name: "bad status header", set: map[string]string{HeaderStatus: "200"}, wantStatus: 400,
			wantType: anthropic.ErrorTypeInvalidRequest, wantMsg: `X-Fake-Status: want a status from 400 to 599, got "200"`},
		{name: "bad latency header", set: map[string]string{HeaderLatency: "soon"}, wantStatus: 400, wantType: anthropic.ErrorTypeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := Start(t, tt.opts)
			req, _ := http.NewRequest(cmp.Or(tt.method, http.MethodPost), up.BaseURL+cmp.Or(tt.path, anthropic.Path), bytes.NewReader(body))
			req.Header.Set(anthropic.HeaderAPIKey, "sk-ant-test")
			req.Header.Set(anthropic.HeaderVersion, anthropic.Version)
			for k, v := range tt.set {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			resp, err := up.HTTP.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			if !strings.HasPrefix(resp.Header.Get(anthropic.HeaderRequestID), "req_fake_") {
				t.Errorf("request-id %q", resp.Header.Get(anthropic.HeaderRequestID))
			}
			if tt.wantStatus == 200 {
				return
			}
			var e anthropic.ErrorResponse
			if err := json.Unmarshal(b, &e); err != nil || e.Type != "error" || e.RequestID == "" {
				t.Fatalf("error body %s (%v)", b, err)
			}
			if e.Error.Type != tt.wantType || (tt.wantMsg != "" && e.Error.Message != tt.wantMsg) {
				t.Errorf("error %+v, want type %q message %q", e.Error, tt.wantType, tt.wantMsg)
			}
			if retry := resp.Header.Get("retry-after"); (tt.wantStatus == 429 || tt.wantStatus == 529) != (retry == "1") {
				t.Errorf("retry-after %q", retry)
			}
		})
	}
}

// events reads a stream as (event field, data) pairs, checking that the two
// name the same type.
func events(t testing.TB, r io.Reader) []anthropic.StreamEvent {
	t.Helper()
	var out []anthropic.StreamEvent
	err := openai.ParseSSE(r, func(ev openai.Event) error {
		var se anthropic.StreamEvent
		if err := json.Unmarshal(ev.Data, &se); err != nil {
			return err
		}
		if se.Type != ev.Type {
			t.Errorf("event field %q, data type %q", ev.Type, se.Type)
		}
		out = append(out, se)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStreamSequence(t *testing.T) {
	up := Start(t, Options{})
	body := []byte(`{"model":"m","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"one two three"}]}`)
	resp := post(t, up, body, nil)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var types []string
	for _, ev := range events(t, resp.Body) {
		types = append(types, ev.Type)
	}
	want := "message_start content_block_start ping content_block_delta content_block_delta content_block_delta " +
		"content_block_stop message_delta message_stop"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	if c := up.Counts(); c.Streams != 1 || c.Requests != 1 {
		t.Errorf("counts %+v", c)
	}
}

// TestStreamMatchesJSON checks that the streamed reply, translated chunk by
// chunk, is the JSON reply translated whole, for text and for a tool call.
func TestStreamMatchesJSON(t *testing.T) {
	for _, user := range []string{"the quick brown fox", `TOOL: lookup {"q": "fox", "n": 2}`} {
		req := map[string]any{"model": "m", "max_tokens": 50,
			"tools":    []map[string]any{{"name": "lookup", "input_schema": map[string]any{"type": "object"}}},
			"messages": []map[string]any{{"role": "user", "content": user}}}
		up := Start(t, Options{})
		body, _ := json.Marshal(req)
		var whole anthropic.MessagesResponse
		if err := json.Unmarshal(readAll(t, post(t, up, body, nil)), &whole); err != nil {
			t.Fatal(err)
		}
		want := anthropic.ToChat(&whole, 1)

		up = Start(t, Options{}) // the same ids again
		req["stream"] = true
		body, _ = json.Marshal(req)
		resp := post(t, up, body, nil)
		tr := anthropic.NewStreamTranslator("", 1)
		tr.IncludeUsage = true
		var text, args strings.Builder
		finish := ""
		var usage *openai.Usage
		err := openai.ParseSSE(resp.Body, func(ev openai.Event) error {
			chunks, err := tr.Event(ev)
			for _, c := range chunks {
				if c.Usage != nil {
					usage = c.Usage
				}
				for _, ch := range c.Choices {
					if ch.Delta.Content != nil {
						text.WriteString(*ch.Delta.Content)
					}
					for _, tc := range ch.Delta.ToolCalls {
						if tc.Function != nil {
							args.WriteString(tc.Function.Arguments)
						}
					}
					if ch.FinishReason != nil {
						finish = *ch.FinishReason
					}
				}
			}
			return err
		})
		resp.Body.Close()
		if err != nil || !tr.Done() {
			t.Fatalf("%s: stream: %v, done %v", user, err, tr.Done())
		}
		msg := want.Choices[0].Message
		wantArgs := ""
		if len(msg.ToolCalls) > 0 {
			wantArgs = msg.ToolCalls[0].Function.Arguments
		}
		if text.String() != msg.Content.Text || args.String() != wantArgs || finish != want.Choices[0].FinishReason ||
			*usage != *want.Usage && usage.TotalTokens != want.Usage.TotalTokens {
			t.Errorf("%s: streamed %q %q %q %+v, whole %q %q %q %+v", user, text.String(), args.String(), finish, usage,
				msg.Content.Text, wantArgs, want.Choices[0].FinishReason, want.Usage)
		}
	}
}

func TestStreamError(t *testing.T) {
	up := Start(t, Options{})
	body := []byte(`{"model":"m","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"one two three"}]}`)
	resp := post(t, up, body, http.Header{HeaderStreamError: {"4"}})
	defer resp.Body.Close()
	tr := anthropic.NewStreamTranslator("", 1)
	var seen int
	err := openai.ParseSSE(resp.Body, func(ev openai.Event) error {
		seen++
		_, err := tr.Event(ev)
		return err
	})
	var ae *anthropic.Error
	if !errors.As(err, &ae) || ae.Type != anthropic.ErrorTypeOverloaded || seen != 5 {
		t.Fatalf("after %d events: %v", seen, err)
	}
	if c := up.Counts(); c.Injected != 1 || c.Streams != 0 {
		t.Errorf("counts %+v", c)
	}
}

// TestTranslatedRequestsAccepted sends every chat request of the
// translation's test cases through FromChat to the fake, whose checks are
// the API's: each one FromChat accepts must be accepted.
func TestTranslatedRequestsAccepted(t *testing.T) {
	for _, path := range glob(t, "../../anthropic/testdata/fromchat/*.txt") {
		input, _ := readCase(t, path)
		var chat openai.ChatRequest
		if err := json.Unmarshal(input, &chat); err != nil {
			t.Fatal(err)
		}
		req, err := anthropic.FromChat(&chat)
		if err != nil {
			continue
		}
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		up := Start(t, Options{})
		resp := post(t, up, body, nil)
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s: %s", filepath.Base(path), resp.Status, b)
			continue
		}
		if req.Stream {
			if evs := events(t, bytes.NewReader(b)); len(evs) == 0 || evs[len(evs)-1].Type != anthropic.EventMessageStop {
				t.Errorf("%s: stream did not end with message_stop", filepath.Base(path))
			}
		}
		if last := up.Last(); last == nil || last.Request.Model != req.Model || last.Header.Get(anthropic.HeaderAPIKey) == "" {
			t.Errorf("%s: recorded %+v", filepath.Base(path), last)
		}
	}
}

func TestLatencyCanceled(t *testing.T) {
	up := Start(t, Options{})
	client := up.Client(http.Header{HeaderLatency: {"10s"}})
	client.Timeout = 50e6 // 50ms
	req, _ := http.NewRequest(http.MethodPost, up.BaseURL+anthropic.Path, strings.NewReader(`{}`))
	req.Header.Set(anthropic.HeaderAPIKey, "k")
	req.Header.Set(anthropic.HeaderVersion, anthropic.Version)
	if _, err := client.Do(req); err == nil {
		t.Fatal("no timeout")
	}
}

func FuzzCheck(f *testing.F) {
	for _, path := range glob(f, "testdata/check/*.txt") {
		input, _ := readCase(f, path)
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req anthropic.MessagesRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		msg := check(&req, true)
		if msg != "" {
			return
		}
		s := New(Options{})
		resp, err := s.respond(&req, behaviour{streamError: -1}, 1)
		if err != nil {
			return
		}
		if _, err := json.Marshal(resp); err != nil {
			t.Fatal(err)
		}
		for _, ev := range anthropic.Events(resp, splitWords) {
			if _, err := anthropic.MarshalSSE(ev); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzTranslatedAccepted checks that what FromChat makes of a conversation
// that openai.DecodeConversation accepts passes the API's checks, but for
// those about tool calls left unanswered or answered out of turn, which
// OpenAI refuses as well and the translation passes on.
func FuzzTranslatedAccepted(f *testing.F) {
	for _, path := range glob(f, "../../anthropic/testdata/fromchat/*.txt") {
		input, _ := readCase(f, path)
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		conv, err := openai.DecodeConversation(data)
		if err != nil || conv.Request == nil {
			return
		}
		req, err := anthropic.FromChat(conv.Request)
		if err != nil {
			return
		}
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		back, msg := decode(body)
		if strings.Contains(msg, "tool_use") || strings.Contains(msg, "tool_result") || strings.HasPrefix(msg, "temperature") {
			return
		}
		if msg != "" {
			t.Fatalf("refused: %s\n%s", msg, body)
		}
		if back.Model != req.Model || len(back.Messages) != len(req.Messages) {
			t.Fatalf("read back %+v", back)
		}
	})
}
