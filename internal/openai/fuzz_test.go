package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds adds every testdata case matching pattern to the corpus: the
// input part of a case file, or the whole of any other file.
func addSeeds(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		for _, path := range glob(f, pattern) {
			if strings.HasSuffix(path, ".txt") {
				input, _ := readCase(f, path)
				f.Add(input)
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzDecodeConversation checks that DecodeConversation never panics, that
// every error is a positioned *DecodeError, and that what it accepts
// re-encodes to JSON it accepts again as the same conversation.
func FuzzDecodeConversation(f *testing.F) {
	addSeeds(f, "conversation/*/*.txt", "request/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		conv, err := DecodeConversation(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			if de.Line < 1 || de.Col < 1 || de.Msg == "" {
				t.Fatalf("error without a position or message: %#v", de)
			}
			if strings.Contains(de.Msg, errMalformed.Error()) {
				t.Fatalf("the scanner met malformed JSON that checkSyntax let through: %v", err)
			}
			return
		}
		for _, m := range conv.Messages {
			_ = m.Text()
		}
		assertRoundTrip(t, conv)
	})
}

// FuzzChatRequest checks that any request json.Unmarshal accepts survives a
// round trip through MarshalJSON.
func FuzzChatRequest(f *testing.F) {
	addSeeds(f, "conversation/*/*.txt", "request/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		var r1 ChatRequest
		if err := json.Unmarshal(data, &r1); err != nil {
			return
		}
		b1, err := json.Marshal(r1)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var r2 ChatRequest
		if err := json.Unmarshal(b1, &r2); err != nil {
			t.Fatalf("re-decoding %s: %v", b1, err)
		}
		b2, err := json.Marshal(r2)
		if err != nil {
			t.Fatalf("Marshal again: %v", err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("encoding is not stable\nfirst:  %s\nsecond: %s", b1, b2)
		}
		// AppendJSON appends, after what the buffer holds, the encoding
		// json.Marshal gives once HTML characters are escaped in it as
		// json.Marshal escapes them (AppendJSON keeps Extra verbatim).
		b3, err := r1.AppendJSON([]byte("{}"))
		if err != nil || !bytes.HasPrefix(b3, []byte("{}")) {
			t.Fatalf("AppendJSON = %s, %v", b3, err)
		}
		var esc bytes.Buffer
		json.HTMLEscape(&esc, b3[2:])
		if !bytes.Equal(esc.Bytes(), b1) {
			t.Fatalf("AppendJSON = %s\njson.Marshal = %s", b3[2:], b1)
		}
	})
}

// FuzzParseSSE checks that ParseSSE never panics, keeps to its limits, and
// that every event it yields survives WriteSSE and a second parse.
func FuzzParseSSE(f *testing.F) {
	for _, path := range glob(f, "sse/*.sse") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("data: a\r"))
	f.Add([]byte("\r\n\r\n\n\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Longer inputs find nothing new (the limits have their own tests)
		// and the engine spends minutes minimizing each interesting one.
		if len(data) > 1024 {
			return
		}
		var events []Event
		err := ParseSSE(bytes.NewReader(data), func(e Event) error {
			if len(e.Data) > MaxSSEEvent {
				t.Fatalf("event of %d bytes", len(e.Data))
			}
			events = append(events, e)
			return nil
		})
		if err != nil && !errors.Is(err, ErrSSELineTooLong) && !errors.Is(err, ErrSSEEventTooLarge) {
			t.Fatalf("unexpected error: %v", err)
		}
		// Written back with WriteSSE, the events parse to the same data.
		var buf bytes.Buffer
		for i, e := range events {
			if e.Done() && i != len(events)-1 {
				t.Fatalf("event after [DONE]")
			}
			if err := WriteSSE(&buf, e.Data); err != nil {
				t.Fatal(err)
			}
		}
		i := 0
		err = ParseSSE(&buf, func(e Event) error {
			if i >= len(events) || !bytes.Equal(e.Data, events[i].Data) {
				t.Fatalf("event %d came back as %q", i, e.Data)
			}
			i++
			return nil
		})
		if err != nil || i != len(events) {
			t.Fatalf("re-parsing %q: %d of %d events, %v", buf.Bytes(), i, len(events), err)
		}
	})
}

// The seeds must exist where the fuzzers look for them.
func TestFuzzSeedsExist(t *testing.T) {
	for _, pattern := range []string{"conversation/*/*.txt", "request/*.json", "sse/*.sse"} {
		if files, _ := filepath.Glob(filepath.Join("testdata", pattern)); len(files) == 0 {
			t.Errorf("no seeds match %s", pattern)
		}
	}
}

// FuzzAppendString checks the string encoder against json.Marshal, whose
// output it must match byte for byte.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" and \back\`, "<tag> & co", "tab\tnew\nline\r\b\f\x00\x1f\x7f",
		"caf\u00e9 \u2028 \u2029 \U0001F600", "bad \xff\xfe utf-8 \xe2\x82", "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString([]byte("prefix"), s); string(got) != "prefix"+string(want) {
			t.Fatalf("appendString(%q) = %s, json.Marshal gives %s", s, got[len("prefix"):], want)
		}
	})
}
