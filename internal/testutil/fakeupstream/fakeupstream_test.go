package fakeupstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/openai"
)

// errorCase is one line of testdata/requests.jsonl.
type errorCase struct {
	Name         string            `json:"name"`
	Method       string            `json:"method"`
	Path         string            `json:"path"`
	Header       map[string]string `json:"header"`
	Body         string            `json:"body"`
	Status       int               `json:"status"`
	Type         string            `json:"type"`
	Code         string            `json:"code"`
	Param        string            `json:"param"`
	RetryAfter   string            `json:"retry_after"`
	RetryAfterMs string            `json:"retry_after_ms"`
}

func loadErrorCases(tb testing.TB) []errorCase {
	tb.Helper()
	f, err := os.Open("testdata/requests.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []errorCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		var c errorCase
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			tb.Fatalf("requests.jsonl:%d: %v", n, err)
		}
		out = append(out, c)
	}
	return out
}

// TestErrorCases checks each refused or faulted request answers with the
// status and the OpenAI error body its case names.
func TestErrorCases(t *testing.T) {
	up := Start(t, Options{})
	for _, c := range loadErrorCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			var body io.Reader
			if c.Body != "" {
				body = strings.NewReader(c.Body)
			}
			req, err := http.NewRequest(c.Method, up.HTTP.URL+c.Path, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.Header {
				req.Header.Set(k, v)
			}
			res, err := up.HTTP.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != c.Status {
				t.Errorf("status %d, want %d", res.StatusCode, c.Status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			e := decodeError(t, res.Body)
			if e.Error.Type != c.Type || deref(e.Error.Code) != c.Code || deref(e.Error.Param) != c.Param || e.Error.Message == "" {
				t.Errorf("error %+v (code %q, param %q), want type %q code %q param %q",
					e.Error, deref(e.Error.Code), deref(e.Error.Param), c.Type, c.Code, c.Param)
			}
			if got := res.Header.Get("Retry-After"); got != c.RetryAfter {
				t.Errorf("Retry-After %q, want %q", got, c.RetryAfter)
			}
			if got := res.Header.Get("Retry-After-Ms"); got != c.RetryAfterMs {
				t.Errorf("retry-after-ms %q, want %q", got, c.RetryAfterMs)
			}
		})
	}
}

// decodeError decodes an OpenAI error body strictly: the four members of
// "error", param and code present even when null.
func decodeError(t *testing.T, r io.Reader) openai.ErrorResponse {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := raw.Error[k]; !ok {
			t.Errorf("error body %s lacks %q", b, k)
		}
	}
	var e openai.ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func chatBody(stream bool, user string) string {
	b, _ := json.Marshal(map[string]any{
		"model":    "m",
		"stream":   stream,
		"messages": []map[string]string{{"role": "user", "content": user}},
	})
	return string(b)
}

func post(t *testing.T, up *Test, body string, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", up.BaseURL+"/chat/completions", strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := up.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestCompletionWire checks the JSON of a completion member by member.
func TestCompletionWire(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	up := Start(t, Options{Now: func() time.Time { return now }})
	res := post(t, up, chatBody(false, "hello there world"), nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	var c map[string]any
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if id, _ := c["id"].(string); !strings.HasPrefix(id, "chatcmpl-") {
		t.Errorf("id %v", c["id"])
	}
	if c["object"] != "chat.completion" || c["created"] != float64(now.Unix()) || c["model"] != "m" {
		t.Errorf("object/created/model: %v %v %v", c["object"], c["created"], c["model"])
	}
	choice := c["choices"].([]any)[0].(map[string]any)
	msg := choice["message"].(map[string]any)
	if choice["finish_reason"] != "stop" || msg["role"] != "assistant" || msg["content"] != "hello there world" {
		t.Errorf("choice %v", choice)
	}
	if _, ok := choice["logprobs"]; !ok {
		t.Errorf("choice lacks logprobs: null")
	}
	u := c["usage"].(map[string]any)
	if u["prompt_tokens"] != 3.0 || u["completion_tokens"] != 3.0 || u["total_tokens"] != 6.0 {
		t.Errorf("usage %v", u)
	}
	if got := up.Last(); got == nil || got.Request.Model != "m" {
		t.Errorf("Last() = %+v", got)
	}
}

// TestStreamWire reads a raw stream with the project's SSE parser and
// checks the order of events: role, content, finish, usage, [DONE].
func TestStreamWire(t *testing.T) {
	up := Start(t, Options{})
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"abcdef"}]}`
	res := post(t, up, body, map[string]string{HeaderChunks: "3"})
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	var chunks []openai.ChatCompletionChunk
	done := false
	err := openai.ParseSSE(res.Body, func(e openai.Event) error {
		if e.Done() {
			done = true
			return nil
		}
		var c openai.ChatCompletionChunk
		if err := json.Unmarshal(e.Data, &c); err != nil {
			return err
		}
		chunks = append(chunks, c)
		return nil
	})
	if err != nil || !done {
		t.Fatalf("parse: %v, done %v", err, done)
	}
	// role, 3 content, finish, usage
	if len(chunks) != 6 {
		t.Fatalf("%d chunks, want 6", len(chunks))
	}
	var text strings.Builder
	for i, c := range chunks {
		if c.ID != chunks[0].ID || c.Object != "chat.completion.chunk" || c.Model != "m" {
			t.Errorf("chunk %d identity %q %q %q", i, c.ID, c.Object, c.Model)
		}
		switch {
		case i == 0:
			if c.Choices[0].Delta.Role != "assistant" || c.Choices[0].Delta.Content == nil || *c.Choices[0].Delta.Content != "" {
				t.Errorf("first chunk %+v", c.Choices[0].Delta)
			}
		case i <= 3:
			text.WriteString(*c.Choices[0].Delta.Content)
			if c.Choices[0].FinishReason != nil {
				t.Errorf("chunk %d finished early", i)
			}
		case i == 4:
			if c.Choices[0].FinishReason == nil || *c.Choices[0].FinishReason != "stop" {
				t.Errorf("finish chunk %+v", c.Choices[0])
			}
		case i == 5:
			if len(c.Choices) != 0 || c.Usage == nil || c.Usage.CompletionTokens != 1 {
				t.Errorf("usage chunk %+v", c)
			}
		}
		if i < 5 && c.Usage != nil {
			t.Errorf("chunk %d has usage", i)
		}
	}
	if text.String() != "abcdef" {
		t.Errorf("text %q", text.String())
	}
	// The server counts a stream when its handler returns, which can be
	// just after the client has read [DONE].
	got := up.Counts()
	for deadline := time.Now().Add(2 * time.Second); got.Streams == 0 && time.Now().Before(deadline); got = up.Counts() {
		time.Sleep(5 * time.Millisecond)
	}
	if got.Streams != 1 || got.Requests != 1 {
		t.Errorf("counts %+v", got)
	}
}

func TestFailFirstSessions(t *testing.T) {
	up := Start(t, Options{})
	statuses := func(session string, n int) []int {
		var out []int
		for range n {
			res := post(t, up, chatBody(false, "x"), map[string]string{HeaderFailFirst: "2", HeaderStatus: "503", HeaderSession: session})
			out = append(out, res.StatusCode)
		}
		return out
	}
	if got := statuses("a", 3); !slices.Equal(got, []int{503, 503, 200}) {
		t.Errorf("session a: %v", got)
	}
	if got := statuses("b", 1); !slices.Equal(got, []int{503}) {
		t.Errorf("session b: %v", got)
	}
	if got := up.Counts(); got.Injected != 3 || got.Completions != 1 || got.Requests != 4 {
		t.Errorf("counts %+v", got)
	}
	up.Reset()
	if got := statuses("a", 1); !slices.Equal(got, []int{503}) {
		t.Errorf("after reset: %v", got)
	}
}

func TestLatency(t *testing.T) {
	up := Start(t, Options{})
	start := time.Now()
	res := post(t, up, chatBody(false, "x"), map[string]string{HeaderLatency: "60ms"})
	io.Copy(io.Discard, res.Body)
	if d := time.Since(start); d < 60*time.Millisecond || res.StatusCode != 200 {
		t.Errorf("took %v, status %d", d, res.StatusCode)
	}

	// A client that gives up cancels the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", up.BaseURL+"/chat/completions", strings.NewReader(chatBody(false, "x")))
	req.Header.Set(HeaderLatency, "5s")
	start = time.Now()
	if _, err := up.HTTP.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for up.Counts().Canceled == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if up.Counts().Canceled != 1 {
		t.Errorf("counts %+v", up.Counts())
	}
}

func TestChunkDelay(t *testing.T) {
	up := Start(t, Options{})
	start := time.Now()
	res := post(t, up, chatBody(true, "a b c"), map[string]string{HeaderChunkDelay: "10ms"})
	io.Copy(io.Discard, res.Body)
	// role, a, b, c, finish, [DONE]: five delays.
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("took %v", d)
	}
}

func TestReplies(t *testing.T) {
	script := Script(map[string]string{"ping": "pong"}, "?")
	up := Start(t, Options{Reply: script})
	read := func(user string, header map[string]string) string {
		res := post(t, up, chatBody(false, user), header)
		var c openai.ChatCompletion
		if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
			t.Fatal(err)
		}
		return c.Choices[0].Message.Text()
	}
	if got := read("ping", nil); got != "pong" {
		t.Errorf("script: %q", got)
	}
	if got := read("other", nil); got != "?" {
		t.Errorf("fallback: %q", got)
	}
	if got := read("ping", map[string]string{HeaderReply: "fixed reply"}); got != "fixed reply" {
		t.Errorf("header: %q", got)
	}
	if got := read("ping", map[string]string{HeaderReply: ""}); got != "" {
		t.Errorf("empty header reply: %q", got)
	}
}

func TestMaxTokens(t *testing.T) {
	up := Start(t, Options{})
	res := post(t, up, `{"model":"m","max_completion_tokens":2,"messages":[{"role":"user","content":"one two three four"}]}`, nil)
	var c openai.ChatCompletion
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Choices[0].FinishReason != "length" || c.Choices[0].Message.Text() != "one two " || c.Usage.CompletionTokens != 2 {
		t.Errorf("got %q %q %+v", c.Choices[0].FinishReason, c.Choices[0].Message.Text(), c.Usage)
	}
}

func TestAPIKey(t *testing.T) {
	up := Start(t, Options{APIKey: "sk-test"})
	res := post(t, up, chatBody(false, "x"), nil)
	if res.StatusCode != 401 || deref(decodeError(t, res.Body).Error.Code) != "invalid_api_key" {
		t.Errorf("no key: %d", res.StatusCode)
	}
	res = post(t, up, chatBody(false, "x"), map[string]string{"Authorization": "Bearer sk-test"})
	if res.StatusCode != 200 {
		t.Errorf("with key: %d", res.StatusCode)
	}
}

func TestDropAfterJSON(t *testing.T) {
	up := Start(t, Options{})
	res := post(t, up, chatBody(false, "x"), map[string]string{HeaderDropAfter: "10"})
	b, err := io.ReadAll(res.Body)
	if err == nil || len(b) != 10 {
		t.Errorf("read %d bytes, err %v", len(b), err)
	}
	if got := up.Counts(); got.Dropped != 1 {
		t.Errorf("counts %+v", got)
	}
}

func TestListenLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0"} {
		if ln, err := ListenLoopback(addr); !errors.Is(err, ErrNotLoopback) {
			if ln != nil {
				ln.Close()
			}
			t.Errorf("%s: err %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		ln, err := ListenLoopback(addr)
		if err != nil {
			t.Errorf("%s: %v", addr, err)
			continue
		}
		ln.Close()
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		text   string
		chunks int
		limit  int
		want   []string
		finish string
	}{
		{"a b  c", 0, 0, []string{"a ", "b  ", "c"}, "stop"},
		{"abcdef", 3, 0, []string{"ab", "cd", "ef"}, "stop"},
		{"abc", 10, 0, []string{"a", "b", "c"}, "stop"},
		{"", 3, 0, []string{""}, "stop"},
		{"", 0, 0, nil, "stop"},
		{"héllo wörld", 2, 0, []string{"héllo", " wörld"}, "stop"},
		{"one two three", 0, 2, []string{"one ", "two "}, "length"},
		{"one two", 0, 2, []string{"one ", "two"}, "stop"},
	} {
		got, finish := split(c.text, c.chunks, c.limit)
		if !slices.Equal(got, c.want) || finish != c.finish {
			t.Errorf("split(%q, %d, %d) = %q %s, want %q %s", c.text, c.chunks, c.limit, got, finish, c.want, c.finish)
		}
	}
}
