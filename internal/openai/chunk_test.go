package openai

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

var chunkSeeds = []string{
	`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"c","choices":[{"index":0,"delta":{"content":"Hello \u00e9 \"there\""},"finish_reason":null}],"obfuscation":"x"}`,
	`{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
	`{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
	`{"choices":[{"index":1,"delta":{"content":null,"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":""}}]}},{"index":0,"delta":{"content":"two"}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[]}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}`,
	`{"choices":[{"index":"0","delta":{"content":"a"}}]}`,
	`[1,2]`,
}

// emptyChunk mirrors the gateway's rule for a chunk not worth sending.
func emptyChunk(c ChatCompletionChunk) bool {
	if c.Usage != nil || len(c.Choices) == 0 {
		return false
	}
	for _, ch := range c.Choices {
		d := ch.Delta
		if (d.Content != nil && *d.Content != "") || d.Role != "" || d.Refusal != nil || len(d.ToolCalls) > 0 || d.FunctionCall != nil || ch.FinishReason != nil || ch.Logprobs != nil {
			return false
		}
	}
	return true
}

// deltaHasOther reports whether some choice's delta in a chunk has a
// member besides content.
func deltaHasOther(chunk []byte) bool {
	var c struct {
		Choices []struct {
			Delta map[string]json.RawMessage `json:"delta"`
		} `json:"choices"`
	}
	if json.Unmarshal(chunk, &c) != nil {
		return false
	}
	for _, ch := range c.Choices {
		for k := range ch.Delta {
			if k != "content" {
				return true
			}
		}
	}
	return false
}

// FuzzReadChunk checks ReadChunk and Rewrite against encoding/json: the
// text read is the text json.Unmarshal finds, and a rewritten chunk
// decodes to the same chunk with the new text.
func FuzzReadChunk(f *testing.F) {
	for _, s := range chunkSeeds {
		f.Add([]byte(s), "new text")
	}
	for _, path := range glob(f, "sse/*.sse") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		_ = ParseSSE(bytes.NewReader(data), func(ev Event) error { f.Add(ev.Data, "x"); return nil })
	}
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		// Invalid UTF-8 in the new text comes back as U+FFFD, which
		// json.Marshal writes differently from the raw bytes.
		text = strings.ToValidUTF8(text, "\uFFFD")
		ct, err := ReadChunk(data)
		var want ChatCompletionChunk
		jerr := json.Unmarshal(data, &want)
		if err != nil {
			if err != ErrChunkShape && json.Valid(data) {
				t.Fatalf("valid JSON, error %v", err)
			}
			return
		}
		if jerr != nil {
			// ReadChunk reads less than json.Unmarshal checks (types of
			// members it skips): nothing to compare.
			return
		}
		if len(ct.Choices) != len(want.Choices) {
			t.Fatalf("%d choices, json.Unmarshal finds %d", len(ct.Choices), len(want.Choices))
		}
		for i, ch := range ct.Choices {
			w := want.Choices[i]
			if ch.Index != w.Index || ch.Finish != (w.FinishReason != nil) || (ch.Content == nil) != (w.Delta.Content == nil) ||
				(ch.Content != nil && *ch.Content != *w.Delta.Content) {
				t.Fatalf("choice %d: %+v, json.Unmarshal: %+v", i, ch, w)
			}
		}
		// Rewrite: the first choice gets text, the others none.
		for i := range ct.Choices {
			if i == 0 {
				ct.Choices[i].Content = &text
			} else {
				ct.Choices[i].Content = nil
			}
		}
		out, keep := ct.Rewrite()
		var got ChatCompletionChunk
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("rewritten chunk %s: %v", out, err)
		}
		for i := range want.Choices {
			if i == 0 {
				want.Choices[i].Delta.Content = &text
			} else {
				want.Choices[i].Delta.Content = nil
			}
		}
		wb, _ := json.Marshal(want)
		gb, _ := json.Marshal(got)
		if string(wb) != string(gb) {
			t.Fatalf("rewritten %s\ndecodes to %s\nwant       %s", out, gb, wb)
		}
		// A chunk with something for the client must be kept. One that
		// decodes as empty may still be kept when its delta has members
		// ChatCompletionChunk does not know (a provider's extension): the
		// gateway passes on what it cannot read rather than drop it.
		if empty := emptyChunk(got); empty == keep && !(keep && deltaHasOther(out)) {
			t.Fatalf("keep = %v for %s", keep, out)
		}
	})
}

func TestReadChunkShapes(t *testing.T) {
	for _, s := range chunkSeeds[len(chunkSeeds)-3:] {
		if _, err := ReadChunk([]byte(s)); err != ErrChunkShape {
			t.Errorf("%s: err %v, want ErrChunkShape", s, err)
		}
	}
	if _, err := ReadChunk([]byte(`{"choices":[`)); err == nil || err == ErrChunkShape {
		t.Errorf("malformed JSON: err %v, want a syntax error", err)
	}
	ct, err := ReadChunk([]byte(chunkSeeds[4]))
	if err != nil || len(ct.Choices) != 2 || ct.Choices[0].Index != 1 || ct.Choices[0].Content != nil || *ct.Choices[1].Content != "two" {
		t.Fatalf("%+v %v", ct, err)
	}
	ct.Choices[1].Content = nil
	out, keep := ct.Rewrite()
	if !keep || string(out) != `{"choices":[{"index":1,"delta":{"content":null,"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":""}}]}},{"index":0,"delta":{"content":null}}]}` {
		t.Errorf("rewrite %s, keep %v", out, keep)
	}
	ct, _ = ReadChunk([]byte(chunkSeeds[2]))
	s := "held back"
	ct.Choices[0].Content = &s
	if out, keep := ct.Rewrite(); !keep || string(out) != `{"id":"c","choices":[{"index":0,"delta":{"content":"held back"},"finish_reason":"stop"}]}` {
		t.Errorf("rewrite %s, keep %v", out, keep)
	}
	ct, _ = ReadChunk([]byte(chunkSeeds[1]))
	ct.Choices[0].Content = nil
	if out, keep := ct.Rewrite(); keep || string(out) != `{"id":"c","choices":[{"index":0,"delta":{"content":null},"finish_reason":null}],"obfuscation":"x"}` {
		t.Errorf("all text held back: %s, keep %v", out, keep)
	}
}

func BenchmarkReadChunk(b *testing.B) {
	data := []byte(chunkSeeds[0])
	b.ReportAllocs()
	for b.Loop() {
		ct, err := ReadChunk(data)
		if err != nil {
			b.Fatal(err)
		}
		s := "replacement"
		ct.Choices[0].Content = &s
		ct.Rewrite()
	}
}

// BenchmarkReadChunkBaseline decodes and encodes the same chunk whole, as
// the gateway did before ReadChunk.
func BenchmarkReadChunkBaseline(b *testing.B) {
	data := []byte(chunkSeeds[0])
	b.ReportAllocs()
	for b.Loop() {
		var c ChatCompletionChunk
		if err := json.Unmarshal(data, &c); err != nil {
			b.Fatal(err)
		}
		s := "replacement"
		c.Choices[0].Delta.Content = &s
		if _, err := json.Marshal(c); err != nil {
			b.Fatal(err)
		}
	}
}
