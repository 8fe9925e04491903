package openai

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Responses API cases, one a file:
//
//	responses/request/*.txt     a Responses request, "----------", the chat
//	                            request it becomes (or "error: ...")
//	responses/completion/*.txt  a chat completion, "----------", the Response
//	responses/stream/*.txt      chat chunks one a line ([DONE], or
//	                            "error CODE MESSAGE"), "----------", the
//	                            Responses events one a line
//
// go test -run TestResponsesCases -update rewrites the expected parts.

func TestResponsesCases(t *testing.T) {
	for _, path := range glob(t, "responses/request/*.txt") {
		t.Run(path, func(t *testing.T) {
			input, want := readCase(t, path)
			var got []byte
			if r, err := DecodeResponsesRequest(input); err != nil {
				got = []byte("error: " + err.Error() + "\n")
			} else {
				b, err := json.MarshalIndent(r.Chat, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(b, '\n')
			}
			check(t, path, input, got, want)
		})
	}
	for _, path := range glob(t, "responses/completion/*.txt") {
		t.Run(path, func(t *testing.T) {
			input, want := readCase(t, path)
			var cc ChatCompletion
			if err := json.Unmarshal(input, &cc); err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(ResponseFromChat("resp_1", &cc, nil), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			check(t, path, input, append(b, '\n'), want)
		})
	}
	for _, path := range glob(t, "responses/stream/*.txt") {
		t.Run(path, func(t *testing.T) {
			input, want := readCase(t, path)
			s := NewResponseStream("resp_1", 1, &ResponsesRequest{Chat: &ChatRequest{Model: "m"}})
			var evs []ResponseEvent
			for _, line := range strings.Split(strings.TrimSpace(string(input)), "\n") {
				switch {
				case line == SSEDone:
					evs = append(evs, s.Done()...)
				case strings.HasPrefix(line, "error "):
					code, msg, _ := strings.Cut(strings.TrimPrefix(line, "error "), " ")
					evs = append(evs, s.Fail(code, msg)...)
				default:
					var c ChatCompletionChunk
					if err := json.Unmarshal([]byte(line), &c); err != nil {
						t.Fatalf("%q: %v", line, err)
					}
					evs = append(evs, s.Chunk(c)...)
				}
			}
			var got bytes.Buffer
			for i, e := range evs {
				if e.SequenceNumber != i {
					t.Errorf("event %d has sequence_number %d", i, e.SequenceNumber)
				}
				b, err := json.Marshal(e)
				if err != nil {
					t.Fatal(err)
				}
				got.Write(b)
				got.WriteByte('\n')
			}
			check(t, path, input, got.Bytes(), want)
		})
	}
}

func check(t *testing.T, path string, input, got, want []byte) {
	t.Helper()
	if *update {
		writeCase(t, path, input, got)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteResponseEvent(t *testing.T) {
	var b bytes.Buffer
	if err := WriteResponseEvent(&b, ResponseEvent{Type: EventOutputTextDelta, SequenceNumber: 4, Delta: strp("a\nb")}); err != nil {
		t.Fatal(err)
	}
	want := "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"delta\":\"a\\nb\"}\n\n"
	if b.String() != want {
		t.Errorf("wrote %q", b.String())
	}
	var evs []Event
	if err := ParseSSE(&b, func(e Event) error { evs = append(evs, e); return nil }); err != nil || len(evs) != 1 || evs[0].Type != EventOutputTextDelta {
		t.Errorf("parsed %+v, %v", evs, err)
	}
}

// FuzzResponsesRequest checks that any body either is refused with an
// error or becomes a chat request that encodes and decodes as one.
func FuzzResponsesRequest(f *testing.F) {
	for _, path := range glob(f, "responses/request/*.txt") {
		input, _ := readCase(f, path)
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResponsesRequest(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(r.Chat)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		var back ChatRequest
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
	})
}
