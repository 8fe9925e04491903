package fakeupstream

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/openai"
)

// FuzzChat sends any body, chunk count and reply to the handler and checks
// that it answers either a 4xx with an OpenAI error body, or a 200 whose
// completion or stream decodes and carries the reply whole.
func FuzzChat(f *testing.F) {
	for _, c := range loadErrorCases(f) {
		f.Add(c.Body, "", "", false)
	}
	f.Add(chatBody(false, "hi"), "2", "héllo wörld", false)
	f.Add(chatBody(true, "hi"), "3", "a\nb\r\nc", true)
	f.Add(`{"model":"m","n":3,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`, "", "\xff\xfe", true)
	s := New(Options{})
	f.Fuzz(func(t *testing.T, body, chunks, reply string, useReply bool) {
		req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
		if chunks != "" {
			req.Header.Set(HeaderChunks, chunks)
		}
		if useReply {
			req.Header[HeaderReply] = []string{reply}
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		res := w.Result()
		switch {
		case res.StatusCode >= 400 && res.StatusCode < 500:
			var e openai.ErrorResponse
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("%d: error body %q: %v", res.StatusCode, w.Body.Bytes(), err)
			}
			return
		case res.StatusCode != http.StatusOK:
			t.Fatalf("status %d", res.StatusCode)
		}
		var got strings.Builder
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			done := false
			err := openai.ParseSSE(w.Body, func(e openai.Event) error {
				if e.Done() {
					done = true
					return nil
				}
				var c openai.ChatCompletionChunk
				if err := json.Unmarshal(e.Data, &c); err != nil {
					return err
				}
				for _, ch := range c.Choices {
					if ch.Index == 0 && ch.Delta.Content != nil {
						got.WriteString(*ch.Delta.Content)
					}
				}
				return nil
			})
			if err != nil || !done {
				t.Fatalf("stream: %v, done %v", err, done)
			}
		} else {
			var c openai.ChatCompletion
			if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || len(c.Choices) == 0 {
				t.Fatalf("completion %q: %v", w.Body.Bytes(), err)
			}
			got.WriteString(c.Choices[0].Message.Text())
		}
		if useReply && utf8.ValidString(reply) && got.String() != reply {
			t.Fatalf("reply %q, want %q", got.String(), reply)
		}
	})
}
