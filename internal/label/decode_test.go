package label

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/fileerr"
)

func TestDecodeTasks(t *testing.T) {
	f, err := os.Open("testdata/tasks.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, err := DecodeTasks(f, "tasks.jsonl", DecodeOptions{KnownClause: func(id string) bool { return id == "protect_privacy" }})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 {
		t.Fatalf("%d tasks, want 3", len(ts))
	}
	if ts[0].ID != "privacy-1" || ts[0].Responses[1].ID != "b" || ts[0].Expect != "refuse" {
		t.Errorf("task 1 = %+v", ts[0])
	}
	if !strings.HasPrefix(ts[1].ID, "t-") || len(ts[1].ID) != 18 || ts[1].Responses[0].ID != "x" || ts[1].Responses[2].ID != "c" || ts[1].Responses[1].Model != "m2" {
		t.Errorf("task 2 = %+v", ts[1])
	}
	if ts[1].Clauses == nil {
		t.Error("clauses nil, want empty")
	}
	// The content id is stable.
	if again := ContentID(ts[1].Messages, ts[1].Responses); again != ts[1].ID {
		t.Errorf("ContentID = %s, then %s", ts[1].ID, again)
	}
}

func TestDecodeTasksErrors(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "ok", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "b"]}`,
		`{"id": "ok", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "b"]}`,
		`{"id": "x1", "messages": [{"role": "user", "content": "q"}], "responses": ["a"]}`,
		`{"id": "x2", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "b"], "colour": 1}`,
		`{"id": "x3", "messages": [{"role": "robot", "content": "q"}], "responses": ["a", "b"]}`,
		`{"id": "x4", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "b"], "clauses": ["nope"]}`,
		`{"id": "x5", "messages": [{"role": "user", "content": "q"}], "responses": ["a", {"id": "a", "content": "b"}]}`,
		`{"id": "x6", "messages": "hi", "responses": ["a", "b"]}`,
		`not json`,
		`{"id": "bad id!", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "b"]}`,
		`{"id": "x7", "messages": [{"role": "user", "content": "q"}], "responses": ["a", {"text": "b"}]}`,
		`{"id": "x8", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "  "]}`,
		`{"id": "x9", "messages": [{"role": "system", "content": "q"}], "responses": ["a", "b"]}`,
		`{"id": "x10", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "b"], "expect": "maybe"}`,
		`{"id": "x11", "messages": [{"role": "user", "content": "q"}], "responses": ["a", "b"]} {}`,
	}, "\n")
	_, err := DecodeTasks(strings.NewReader(in), "in.jsonl", DecodeOptions{KnownClause: func(string) bool { return false }})
	var es fileerr.Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v, want fileerr.Errors", err)
	}
	want := []string{
		"in.jsonl:2: id \"ok\": repeated (first on line 1)",
		"in.jsonl:3: invalid: responses: 1, want 2 to 9",
		"in.jsonl:4: unknown field \"colour\"",
		"in.jsonl:5: invalid: messages[0].role \"robot\"",
		"in.jsonl:6: clauses[0] \"nope\": the spec has no such clause",
		"in.jsonl:7: invalid: responses[1].id \"a\": repeated",
		"in.jsonl:8: field messages: want []label.Message",
		"in.jsonl:9: not JSON",
		"in.jsonl:10: invalid: id: \"bad id!\"",
		"in.jsonl:11: responses[1]: want a string or {id, content, model}: unknown field \"text\"",
		"in.jsonl:12: invalid: responses[1].content: empty",
		"in.jsonl:13: invalid: messages: no user message",
		"in.jsonl:14: invalid: expect \"maybe\"",
		"in.jsonl:15: more than one JSON value",
	}
	if len(es) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(es), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(es[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, es[i].Error(), w)
		}
	}
}

func TestDecodeTasksLimits(t *testing.T) {
	var b bytes.Buffer
	for range MaxErrors + 5 {
		b.WriteString("{}\n")
	}
	_, err := DecodeTasks(&b, "many", DecodeOptions{})
	var es fileerr.Errors
	if !errors.As(err, &es) || len(es) != MaxErrors+1 || !strings.Contains(es[MaxErrors].Error(), "stopped") {
		t.Errorf("many errors: %d reported", len(es))
	}
	long := `{"id": "x", "messages": [{"role": "user", "content": "` + strings.Repeat("a", MaxLineBytes) + `"}], "responses": ["a", "b"]}`
	_, err = DecodeTasks(strings.NewReader(long), "long", DecodeOptions{})
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("long line: %v", err)
	}
}

// FuzzDecodeTasks: the decoder never panics, and what it accepts is valid.
func FuzzDecodeTasks(f *testing.F) {
	seed, err := os.ReadFile("testdata/tasks.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(seed, []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"responses": [1, 2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := DecodeTasks(bytes.NewReader(data), "fuzz", DecodeOptions{})
		if err != nil {
			return
		}
		for _, tk := range ts {
			if err := tk.Validate(); err != nil {
				t.Fatalf("accepted an invalid task: %v", err)
			}
		}
	})
}
