package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// TestTransportBodyCopy checks that the upstream transport sends a large
// body exactly and without allocating a copy buffer for it: net/http's
// own path allocates one the size of the body (up to 32 KB) per request.
func TestTransportBodyCopy(t *testing.T) {
	prompt := []byte(strings.Repeat("the platform prompt, ", 1200)) // 25 KB
	head, rest := []byte(`{"messages":[`), []byte(`]}`)
	want := string(head) + string(prompt) + string(rest)
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got == "" {
			b, _ := io.ReadAll(r.Body)
			got = string(b)
		} else {
			io.Copy(io.Discard, r.Body)
		}
	}))
	defer srv.Close()
	client := &http.Client{Transport: newTransport()}
	send := func() {
		body := newPayload(head, prompt, rest)
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, body.reader())
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = body.n
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 10 {
		send()
	}
	if got != want {
		t.Fatalf("upstream got %d bytes, want %d", len(got), len(want))
	}
	if raceEnabled {
		return
	}
	var m0, m1 runtime.MemStats
	const n = 50
	runtime.ReadMemStats(&m0)
	for range n {
		send()
	}
	runtime.ReadMemStats(&m1)
	// Client and server together allocate about 10 KB for a round trip
	// of their own; a copy buffer for the body would add 25 KB.
	if per := (m1.TotalAlloc - m0.TotalAlloc) / n; per > 20<<10 {
		t.Errorf("%d bytes allocated per round trip of a %d-byte body", per, len(want))
	}
}
