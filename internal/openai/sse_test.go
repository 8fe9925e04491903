package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// wantEvent is one line of a testdata/sse/*.want file.
type wantEvent struct {
	Type string `json:"type,omitempty"`
	Data string `json:"data"`
	ID   string `json:"id,omitempty"`
}

func parseAll(t testing.TB, r io.Reader) ([]wantEvent, error) {
	t.Helper()
	var got []wantEvent
	err := ParseSSE(r, func(e Event) error {
		got = append(got, wantEvent{Type: e.Type, Data: string(e.Data), ID: e.ID})
		return nil
	})
	return got, err
}

func TestParseSSECases(t *testing.T) {
	for _, path := range glob(t, "sse/*.sse") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wantFile, err := os.ReadFile(strings.TrimSuffix(path, ".sse") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			var want []wantEvent
			sc := bufio.NewScanner(bytes.NewReader(wantFile))
			for sc.Scan() {
				var e wantEvent
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatalf("want line %q: %v", sc.Text(), err)
				}
				want = append(want, e)
			}
			// The same events whatever the reads look like: whole, a byte at
			// a time (a CR and its LF arrive apart), or cut by errors.
			readers := map[string]io.Reader{
				"whole":    bytes.NewReader(input),
				"one-byte": iotest.OneByteReader(bytes.NewReader(input)),
				"half":     iotest.HalfReader(bytes.NewReader(input)),
			}
			for name, r := range readers {
				got, err := parseAll(t, r)
				if err != nil {
					t.Fatalf("%s: ParseSSE: %v", name, err)
				}
				if !equalEvents(got, want) {
					t.Errorf("%s: events\n got: %q\nwant: %q", name, got, want)
				}
			}
		})
	}
}

func equalEvents(a, b []wantEvent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseSSELineTooLong(t *testing.T) {
	long := "data: " + strings.Repeat("x", MaxSSELine) + "\n\n"
	input := "data: ok\n\n" + long
	var n int
	err := ParseSSE(strings.NewReader(input), func(Event) error { n++; return nil })
	if !errors.Is(err, ErrSSELineTooLong) {
		t.Fatalf("err = %v, want ErrSSELineTooLong", err)
	}
	if want := "sse line 3: longer than 1048576 bytes: sse line too long"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if n != 1 {
		t.Errorf("%d events before the long line, want 1", n)
	}

	// A line of exactly MaxSSELine bytes passes, with either terminator.
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		exact := "data:" + strings.Repeat("y", MaxSSELine-5) + eol + eol
		got, err := parseAll(t, strings.NewReader(exact))
		if err != nil || len(got) != 1 || len(got[0].Data) != MaxSSELine-5 {
			t.Errorf("eol %q: line of MaxSSELine bytes: %d events, err %v", eol, len(got), err)
		}
	}
	// One byte more fails, even when the line is the last one.
	over := "data:" + strings.Repeat("y", MaxSSELine-4)
	if _, err := parseAll(t, strings.NewReader(over+"\n\n")); !errors.Is(err, ErrSSELineTooLong) {
		t.Errorf("line of MaxSSELine+1 bytes: err = %v", err)
	}
	if _, err := parseAll(t, strings.NewReader(over)); !errors.Is(err, ErrSSELineTooLong) {
		t.Errorf("last line of MaxSSELine+1 bytes: err = %v", err)
	}
}

func TestParseSSEEventTooLarge(t *testing.T) {
	var b strings.Builder
	line := "data: " + strings.Repeat("z", 1<<19) + "\n"
	for range MaxSSEEvent/(1<<19) + 1 {
		b.WriteString(line)
	}
	b.WriteString("\n")
	err := ParseSSE(strings.NewReader(b.String()), func(Event) error { return nil })
	if !errors.Is(err, ErrSSEEventTooLarge) {
		t.Fatalf("err = %v, want ErrSSEEventTooLarge", err)
	}
}

func TestParseSSEStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var n int
	err := ParseSSE(strings.NewReader("data: 1\n\ndata: 2\n\n"), func(Event) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err = %v after %d events, want the callback's error after 1", err, n)
	}
}

func TestParseSSEReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: 1\n\ndata: 2"), iotest.ErrReader(boom))
	got, err := parseAll(t, r)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error", err)
	}
	if len(got) != 1 {
		t.Errorf("%d events, want the 1 complete before the error", len(got))
	}
}

func TestParseSSEDataIsOwned(t *testing.T) {
	var kept [][]byte
	err := ParseSSE(strings.NewReader("data: aaaa\n\ndata: bbbb\n\n"), func(e Event) error {
		kept = append(kept, e.Data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(kept[0]) != "aaaa" || string(kept[1]) != "bbbb" {
		t.Errorf("kept data = %q, want it unchanged by later events", kept)
	}
}

func TestWriteSSE(t *testing.T) {
	tests := []struct{ data, want string }{
		{`{"a":1}`, "data: {\"a\":1}\n\n"},
		{SSEDone, "data: [DONE]\n\n"},
		{"", "data: \n\n"},
		{"a\nb", "data: a\ndata: b\n\n"},
		{"a\r\nb\rc\n", "data: a\ndata: b\ndata: c\ndata: \n\n"},
		{" lead", "data:  lead\n\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WriteSSE(&buf, []byte(tt.data)); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("WriteSSE(%q) = %q, want %q", tt.data, buf.String(), tt.want)
		}
	}
}

func TestWriteSSEError(t *testing.T) {
	boom := errors.New("broken pipe")
	if err := WriteSSE(failWriter{boom}, []byte("x")); err != boom {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestSSERoundTrip writes events with WriteSSE and reads them back.
func TestSSERoundTrip(t *testing.T) {
	datas := []string{`{"x":"y"}`, "", "multi\nline\n", "\n\n", " spaced ", "ümlaut", SSEDone}
	var buf bytes.Buffer
	for _, d := range datas {
		if err := WriteSSE(&buf, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := parseAll(t, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(datas) {
		t.Fatalf("%d events, want %d", len(got), len(datas))
	}
	for i, d := range datas {
		if got[i].Data != d {
			t.Errorf("event %d: %q, want %q", i, got[i].Data, d)
		}
	}
}

// TestStreamChunks decodes a recorded stream into chunks.
func TestStreamChunks(t *testing.T) {
	f, err := os.Open("testdata/sse/openai-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var text strings.Builder
	var finish string
	done := false
	err = ParseSSE(f, func(e Event) error {
		if e.Done() {
			done = true
			return nil
		}
		var c ChatCompletionChunk
		if err := json.Unmarshal(e.Data, &c); err != nil {
			return err
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				text.WriteString(*ch.Delta.Content)
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != "Hi" || finish != FinishStop || !done {
		t.Errorf("text %q, finish %q, done %v", text.String(), finish, done)
	}
}
