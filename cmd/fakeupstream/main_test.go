package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-listen", "127.0.0.1:0", "-reply", "pong", "-api-key", "k"}, &stdout, &stderr)
	}()

	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "listening on "); ok {
			base = s
		}
	}
	if base == "" {
		t.Fatalf("no address; stderr %q", stderr.String())
	}
	req, _ := http.NewRequest("POST", base+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"ping"}]}`))
	req.Header.Set("Authorization", "Bearer k")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Choices []struct {
			Message struct{ Content string }
		}
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if err := json.Unmarshal(b, &c); err != nil || len(c.Choices) != 1 || c.Choices[0].Message.Content != "pong" {
		t.Fatalf("%d %s: %v", res.StatusCode, b, err)
	}
	cancel()
	if got := <-code; got != 0 {
		t.Errorf("exit %d, stderr %q", got, stderr.String())
	}
}

func TestRunRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"-listen", "0.0.0.0:0"},
		{"-listen", ":0"},
		{"-nope"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		if got := run(context.Background(), args, &stdout, &stderr); got != 2 {
			t.Errorf("%q: exit %d", args, got)
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: stdout %q", args, stdout.String())
		}
	}
}
