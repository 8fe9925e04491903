package reward

import (
	"testing"
)

// FuzzDecode: a grade request, whatever its bytes, is refused with a 4xx
// and a message or accepted with every item within bounds; never a panic.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"items": [{"messages": [{"role": "user", "content": "q"}], "response": "a"}]}`,
		`{"items": [{"messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}], "response": "a", "expect": "refuse", "clauses": ["x"]}]}`,
		`{"items": [{"messages": {"messages": [{"role": "tool", "content": "q"}]}, "response": ""}]}`,
		`{"items": []}`, `[]`, `{"items": [{}]}`, "",
	} {
		f.Add([]byte(seed))
	}
	s := New(nil, Options{MaxBatch: 4})
	f.Fuzz(func(t *testing.T, body []byte) {
		ins, status, msg, _ := s.decode(body)
		if status != 0 {
			if status < 400 || status > 499 || msg == "" {
				t.Fatalf("status %d message %q", status, msg)
			}
			return
		}
		if len(ins) == 0 || len(ins) > 4 {
			t.Fatalf("accepted %d items", len(ins))
		}
	})
}
