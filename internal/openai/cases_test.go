package openai

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Test cases live in testdata/, one case a file, so that a new case needs no
// new code:
//
//	conversation/valid/*.txt    input, a line "----------", the re-encoding
//	conversation/invalid/*.txt  input, a line "----------", the error
//	request/*.json              a request that must re-encode to equal JSON
//	response/*.txt              input, a line "----------", the re-encoding
//	sse/*.sse, sse/*.want       a raw stream and its events, one JSON a line
//
// go test -run TestCases -update rewrites the part after the separator.

var update = flag.Bool("update", false, "rewrite the expected output of testdata cases")

const separator = "----------\n"

// readCase splits a case file into its input and its expected output.
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

func writeCase(t *testing.T, path string, input, got []byte) {
	t.Helper()
	out := append(append(append([]byte{}, input...), separator...), got...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
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

func indent(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", b, err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestConversationValid(t *testing.T) {
	for _, path := range glob(t, "conversation/valid/*.txt") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, want := readCase(t, path)
			conv, err := DecodeConversation(input)
			if err != nil {
				t.Fatalf("DecodeConversation: %v", err)
			}
			b, err := json.Marshal(conv)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got := indent(t, b)
			if *update {
				writeCase(t, path, input, got)
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("re-encoding differs\n got: %s\nwant: %s", got, want)
			}
			assertRoundTrip(t, conv)
		})
	}
}

func TestConversationInvalid(t *testing.T) {
	for _, path := range glob(t, "conversation/invalid/*.txt") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, want := readCase(t, path)
			conv, err := DecodeConversation(input)
			if err == nil {
				b, _ := json.Marshal(conv)
				t.Fatalf("DecodeConversation succeeded: %s", b)
			}
			if _, ok := err.(*DecodeError); !ok {
				t.Errorf("error is %T, want *DecodeError", err)
			}
			got := err.Error() + "\n"
			if *update {
				writeCase(t, path, input, []byte(got))
				return
			}
			if got != string(want) {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// TestRequestRoundTrip checks that a request re-encodes to the same JSON:
// nothing the gateway does not understand is lost or changed.
func TestRequestRoundTrip(t *testing.T) {
	for _, path := range glob(t, "request/*.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var req ChatRequest
			if err := json.Unmarshal(input, &req); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			out, err := json.Marshal(req)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !jsonEqual(t, input, out) {
				t.Errorf("round trip changed the request\n got: %s\nwant: %s", indent(t, out), input)
			}
			// A valid request is also a valid conversation.
			if _, err := DecodeConversation(input); err != nil {
				t.Errorf("DecodeConversation: %v", err)
			}
		})
	}
}

func TestResponses(t *testing.T) {
	for _, path := range glob(t, "response/*.txt") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, want := readCase(t, path)
			var head struct{ Object string }
			if err := json.Unmarshal(input, &head); err != nil {
				t.Fatal(err)
			}
			var v any
			switch head.Object {
			case ObjectChatCompletion:
				v = new(ChatCompletion)
			case ObjectChatCompletionChunk:
				v = new(ChatCompletionChunk)
			default:
				v = new(ErrorResponse)
			}
			if err := json.Unmarshal(input, v); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got := indent(t, b)
			if *update {
				writeCase(t, path, input, got)
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("re-encoding differs\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// jsonEqual reports whether a and b encode the same JSON value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// assertRoundTrip checks that conv re-encodes to JSON that decodes to the
// same conversation, and that a second encoding is byte for byte the first.
func assertRoundTrip(t testing.TB, conv *Conversation) {
	t.Helper()
	b1, err := json.Marshal(conv)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	conv2, err := DecodeConversation(b1)
	if err != nil {
		t.Fatalf("re-decoding %s: %v", b1, err)
	}
	b2, err := json.Marshal(conv2)
	if err != nil {
		t.Fatalf("Marshal again: %v", err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("encoding is not stable\nfirst:  %s\nsecond: %s", b1, b2)
	}
	c1, c2 := canonicalize(t, conv), canonicalize(t, conv2)
	if !reflect.DeepEqual(c1, c2) {
		t.Fatalf("round trip changed the conversation\nbefore: %#v\nafter:  %#v", c1, c2)
	}
}

// canonicalize re-encodes, in place, every json.RawMessage in conv in one
// canonical form: encoding/json may compact and escape what Extra kept
// verbatim without changing its meaning.
func canonicalize(t testing.TB, conv *Conversation) *Conversation {
	t.Helper()
	canonRaw(t, reflect.ValueOf(conv).Elem())
	return conv
}

var rawType = reflect.TypeFor[json.RawMessage]()

func canonRaw(t testing.TB, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			canonRaw(t, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				canonRaw(t, v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type() == rawType {
			if !v.IsNil() {
				v.SetBytes(canonJSON(t, v.Bytes()))
			}
			return
		}
		for i := range v.Len() {
			canonRaw(t, v.Index(i))
		}
	case reflect.Map:
		if v.Type().Elem() == rawType {
			for _, k := range v.MapKeys() {
				v.SetMapIndex(k, reflect.ValueOf(json.RawMessage(canonJSON(t, v.MapIndex(k).Bytes()))))
			}
		}
	}
}

func canonJSON(t testing.TB, b []byte) []byte {
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatalf("raw value %q: %v", b, err)
	}
	out, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
