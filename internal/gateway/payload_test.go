package gateway

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// TestPayload reads a body in parts back whole: with small reads, with
// io.Copy (WriteTo, as the HTTP transport reads it) and twice, as a retry
// does.
func TestPayload(t *testing.T) {
	p := newPayload([]byte(`{"model":"m","messages":[`), nil, []byte(`{"role":"user","content":"hi"}]}`))
	want := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	if p.n != int64(len(want)) {
		t.Fatalf("n = %d, want %d", p.n, len(want))
	}
	if err := iotest.TestReader(p.reader(), []byte(want)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var b bytes.Buffer
		if n, err := io.Copy(&b, p.reader()); err != nil || n != p.n || b.String() != want {
			t.Fatalf("copy: %d %v %q", n, err, b.String())
		}
	}
	if got, _ := io.ReadAll(iotest.OneByteReader(p.reader())); string(got) != want {
		t.Fatalf("one byte at a time: %q", got)
	}
}
