package openai

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

var completionCases = []struct {
	name, json string
	shape      bool // CompletionTexts leaves it to a whole decode
}{
	{"plain", `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello \u00e9\n"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`, false},
	{"two choices, tool call", `{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}},{"message":{"content":"b"}}]}`, false},
	{"no content", `{"choices":[{"message":{"role":"assistant"}}]}`, false},
	{"no choices", `{"id":"c"}`, false},
	{"null choices", `{"choices":null}`, false},
	{"escaped key", `{"cho\u0069ces":[{"message":{"content":"x"}}]}`, false},
	{"invalid utf-8 and lone surrogate", "{\"choices\":[{\"message\":{\"content\":\"a\xff\\ud800b\"}}]}", false},
	{"parts", `{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}`, true},
	{"folded choices", `{"Choices":[{"message":{"content":"x"}}]}`, true},
	{"folded message", `{"choices":[{"Message":{"content":"x"}}]}`, true},
	{"folded content", `{"choices":[{"message":{"Content":"x"}}]}`, true},
	{"repeated content", `{"choices":[{"message":{"content":"x","content":"y"}}]}`, true},
	{"repeated choices", `{"choices":[],"choices":[{"message":{"content":"y"}}]}`, true},
	{"content a number", `{"choices":[{"message":{"content":5}}]}`, true},
	{"message a string", `{"choices":[{"message":"hi"}]}`, true},
	{"choices an object", `{"choices":{}}`, true},
	{"top-level array", `[1]`, true},
}

// TestCompletionTexts: the texts are what a whole decode gives, or the
// shape is left to a whole decode.
func TestCompletionTexts(t *testing.T) {
	for _, c := range completionCases {
		t.Run(c.name, func(t *testing.T) {
			texts, err := CompletionTexts([]byte(c.json))
			if c.shape {
				if !errors.Is(err, ErrChunkShape) {
					t.Fatalf("got %q, %v; want ErrChunkShape", texts, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := decodedTexts([]byte(c.json)); !ok || !slices.Equal(texts, want) {
				t.Errorf("texts %q, whole decode %q (ok %v)", texts, want, ok)
			}
		})
	}
	var de *DecodeError
	if _, err := CompletionTexts([]byte(`{"choices":[`)); !errors.As(err, &de) {
		t.Errorf("truncated: %v, want a DecodeError", err)
	}
}

// decodedTexts decodes data whole, as the gateway does for an unusual shape.
func decodedTexts(data []byte) ([]string, bool) {
	var cc ChatCompletion
	if err := json.Unmarshal(data, &cc); err != nil {
		return nil, false
	}
	var out []string
	for _, ch := range cc.Choices {
		out = append(out, ch.Message.Text())
	}
	return out, true
}

// FuzzCompletionTexts: whenever CompletionTexts reads a completion and a
// whole decode succeeds too, they give the same texts.
func FuzzCompletionTexts(f *testing.F) {
	for _, c := range completionCases {
		f.Add([]byte(c.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		texts, err := CompletionTexts(data)
		if err != nil {
			return
		}
		if want, ok := decodedTexts(data); ok && !slices.Equal(texts, want) {
			t.Errorf("%q: texts %q, whole decode %q", data, texts, want)
		}
	})
}
