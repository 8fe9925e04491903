package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/openai"
)

// The fuzzers start from every testdata case of their kind.

func seed(f *testing.F, pattern string) {
	for _, path := range glob(f, pattern) {
		input, _ := readCase(f, path)
		f.Add(input)
	}
}

// FuzzFromChat checks that FromChat either fails with a *RequestError or
// builds a request the API would take: messages that alternate, tool
// results first in a user message, no empty text, tool inputs that are
// JSON objects, a positive max_tokens, and Dropped sorted and never sent.
func FuzzFromChat(f *testing.F) {
	seed(f, "fromchat/*.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		var req openai.ChatRequest
		if json.Unmarshal(data, &req) != nil {
			return
		}
		out, err := FromChat(&req)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Msg == "" {
				t.Fatalf("error %v (%T), want a *RequestError with a message", err, err)
			}
			return
		}
		if out.MaxTokens < 1 {
			t.Errorf("max_tokens %d", out.MaxTokens)
		}
		if !slices.IsSorted(out.Dropped) {
			t.Errorf("Dropped not sorted: %q", out.Dropped)
		}
		if len(out.Messages) == 0 {
			t.Fatal("no messages")
		}
		for i, m := range out.Messages {
			if m.Role != RoleUser && m.Role != RoleAssistant {
				t.Errorf("messages[%d].role %q", i, m.Role)
			}
			if i > 0 && out.Messages[i-1].Role == m.Role {
				t.Errorf("messages[%d] has the role of the one before", i)
			}
			if len(m.Content) == 0 {
				t.Errorf("messages[%d] is empty", i)
			}
			seenOther := false
			for j, b := range m.Content {
				switch b.Type {
				case BlockText:
					if b.Text == "" {
						t.Errorf("messages[%d].content[%d] is empty text", i, j)
					}
				case BlockToolUse:
					if len(b.Input) == 0 || b.Input[0] != '{' || !json.Valid(b.Input) {
						t.Errorf("messages[%d].content[%d].input %s", i, j, b.Input)
					}
				case BlockToolResult:
					if seenOther {
						t.Errorf("messages[%d].content[%d]: tool result after other content", i, j)
					}
				}
				seenOther = seenOther || b.Type != BlockToolResult
			}
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if bytes.Contains(b, []byte("Dropped")) {
			t.Error("Dropped was sent")
		}
		var back MessagesRequest
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("read back %s: %v", b, err)
		}
	})
}

// FuzzStreamTranslator feeds arbitrary streams to a translator and checks
// that it never panics, that every chunk carries the message's id, that the
// choice finishes at most once, and that tool call indexes count up from 0.
func FuzzStreamTranslator(f *testing.F) {
	seed(f, "stream/*.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := NewStreamTranslator("", created)
		tr.IncludeUsage = true
		id := ""
		finishes, calls := 0, 0
		_ = openai.ParseSSE(bytes.NewReader(data), func(ev openai.Event) error {
			chunks, err := tr.Event(ev)
			if err != nil && len(chunks) > 0 {
				t.Fatalf("chunks with an error: %v", err)
			}
			for _, c := range chunks {
				if id == "" {
					id = c.ID
				}
				if c.ID != id || c.Object != openai.ObjectChatCompletionChunk || c.Created != created {
					t.Fatalf("chunk %+v", c)
				}
				if _, err := json.Marshal(c); err != nil {
					t.Fatalf("marshal: %v", err)
				}
				for _, ch := range c.Choices {
					if ch.FinishReason != nil {
						finishes++
					}
					for _, tc := range ch.Delta.ToolCalls {
						if tc.ID != "" {
							if tc.Index != calls {
								t.Fatalf("new tool call index %d, want %d", tc.Index, calls)
							}
							calls++
						} else if tc.Index >= calls {
							t.Fatalf("tool call index %d of %d calls", tc.Index, calls)
						}
					}
				}
			}
			return err
		})
		if finishes > 1 {
			t.Errorf("%d finish reasons", finishes)
		}
		if tr.Done() && finishes != 1 {
			t.Errorf("done with %d finish reasons", finishes)
		}
	})
}

// FuzzStreamAgreesWithToChat streams a response of text and a tool call,
// cut into pieces of n bytes, and checks that the chunks add up to what
// ToChat makes of the response.
func FuzzStreamAgreesWithToChat(f *testing.F) {
	f.Add("Hello, world.", "get_weather", "Paris", uint8(3), true)
	f.Add("", "now", "", uint8(1), false)
	f.Add("naïve café ☕", "f", "{\"a\": [1, 2]}", uint8(2), true)
	f.Fuzz(func(t *testing.T, text, name, arg string, n uint8, tool bool) {
		if !utf8.ValidString(text) || !utf8.ValidString(name) || !utf8.ValidString(arg) || n == 0 || name == "" {
			return
		}
		resp := &MessagesResponse{ID: "msg_f", Type: "message", Role: RoleAssistant, Model: "m", StopReason: StopEndTurn,
			Usage: Usage{InputTokens: len(text), OutputTokens: len(arg), CacheReadInputTokens: int(n)}}
		if text != "" {
			resp.Content = append(resp.Content, ContentBlock{Type: BlockText, Text: text})
		}
		if tool {
			input, _ := json.Marshal(map[string]string{"arg": arg})
			resp.Content = append(resp.Content, ContentBlock{Type: BlockToolUse, ID: "toolu_f", Name: name, Input: input})
			resp.StopReason = StopToolUse
		}
		split := func(s string) []string { return splitRunes(s, int(n)) }
		got := streamed(t, resp, split)
		want := ToChat(resp, created)
		normalize(&want)
		if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
			t.Errorf("streamed %s\n   whole %s", g, w)
		}
	})
}

// splitRunes cuts s into pieces of about n bytes at rune boundaries.
func splitRunes(s string, n int) []string {
	var out []string
	for len(s) > n {
		i := n
		for i < len(s) && !utf8.RuneStart(s[i]) {
			i++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return append(out, s)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
