package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/openai"
)

// Test cases live in testdata/, one case a file: the input, a line
// "----------", then the expected output. A new case needs no new code.
//
//	fromchat/*.txt  an OpenAI chat request; the Anthropic request, indented,
//	                then "dropped: a, b" when something was dropped, or
//	                "error: ..." ("error (unsupported): ..." for
//	                ErrUnsupported)
//	tochat/*.txt    an Anthropic response; the OpenAI completion, indented
//	stream/*.txt    an Anthropic SSE stream; the OpenAI chunks, one JSON a
//	                line, then "error: ..." if the translator failed, then
//	                "done: true|false". Usage is asked for unless the file
//	                name contains "nousage".
//
// go test -run TestCases -update rewrites the part after the separator.

var update = flag.Bool("update", false, "rewrite the expected output of testdata cases")

const (
	separator = "----------\n"
	created   = 1700000000
)

func readCase(t testing.TB, path string) (input, want []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(data, []byte("\n"+separator))
	if i < 0 {
		t.Fatalf("%s: no %q line", path, strings.TrimSpace(separator))
	}
	return data[:i+1], data[i+1+len(separator):]
}

func glob(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files match testdata/%s", pattern)
	}
	return files
}

// runCases runs fn on the input of every case matching pattern and compares
// its output with the expected one, or rewrites it with -update.
func runCases(t *testing.T, pattern string, fn func(t *testing.T, name string, input []byte) []byte) {
	for _, path := range glob(t, pattern) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, want := readCase(t, path)
			got := fn(t, filepath.Base(path), input)
			if *update {
				out := append(append(append([]byte{}, input...), separator...), got...)
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func indentJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return append(b, '\n')
}

func errorLine(err error) []byte {
	prefix := "error: "
	if errors.Is(err, ErrUnsupported) {
		prefix = "error (unsupported): "
	}
	return []byte(prefix + err.Error() + "\n")
}

func TestCasesFromChat(t *testing.T) {
	runCases(t, "fromchat/*.txt", func(t *testing.T, _ string, input []byte) []byte {
		var req openai.ChatRequest
		if err := json.Unmarshal(input, &req); err != nil {
			t.Fatalf("input: %v", err)
		}
		out, err := FromChat(&req)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) {
				t.Errorf("error is %T, want *RequestError", err)
			}
			return errorLine(err)
		}
		got := indentJSON(t, out)
		// What is sent must read back as what was built.
		var back MessagesRequest
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("read back: %v", err)
		}
		back.Dropped = out.Dropped
		if again := indentJSON(t, &back); !bytes.Equal(again, got) {
			t.Errorf("request does not survive a round trip:\n%s", again)
		}
		if len(out.Dropped) > 0 {
			got = append(got, "dropped: "+strings.Join(out.Dropped, ", ")+"\n"...)
		}
		return got
	})
}

func TestCasesToChat(t *testing.T) {
	runCases(t, "tochat/*.txt", func(t *testing.T, _ string, input []byte) []byte {
		var resp MessagesResponse
		if err := json.Unmarshal(input, &resp); err != nil {
			t.Fatalf("input: %v", err)
		}
		return indentJSON(t, ToChat(&resp, created))
	})
}

func TestCasesStream(t *testing.T) {
	runCases(t, "stream/*.txt", func(t *testing.T, name string, input []byte) []byte {
		tr := NewStreamTranslator("", created)
		tr.IncludeUsage = !strings.Contains(name, "nousage")
		var out bytes.Buffer
		err := openai.ParseSSE(bytes.NewReader(input), func(ev openai.Event) error {
			chunks, err := tr.Event(ev)
			for _, c := range chunks {
				b, merr := json.Marshal(c)
				if merr != nil {
					t.Fatalf("marshal chunk: %v", merr)
				}
				out.Write(b)
				out.WriteByte('\n')
			}
			return err
		})
		if err != nil {
			out.Write(errorLine(err))
		}
		if tr.Done() {
			out.WriteString("done: true\n")
		} else {
			out.WriteString("done: false\n")
		}
		return out.Bytes()
	})
}
