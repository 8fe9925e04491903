package eval

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/anthropic"
	"github.com/modelspec/modelspec/internal/testutil/fakeanthropic"
)

func anthropicTarget(t *testing.T, up *fakeanthropic.Test, header http.Header) *AnthropicTarget {
	t.Helper()
	tg, err := ParseTarget(AnthropicPrefix+up.BaseURL, TargetOptions{Model: "claude-test", AnthropicKey: "sk-ant", Client: up.Client(header)})
	if err != nil {
		t.Fatal(err)
	}
	a := tg.(*AnthropicTarget)
	a.Backoff, a.MaxBackoff = time.Millisecond, 5*time.Millisecond
	return a
}

func TestAnthropicTarget(t *testing.T) {
	up := fakeanthropic.Start(t, fakeanthropic.Options{APIKey: "sk-ant"})
	a := anthropicTarget(t, up, nil)
	c := Case{ID: "a1", Messages: []Message{
		{Role: "developer", Content: "You are terse."},
		{Role: "user", Content: "first"},
		{Role: "assistant", Recipient: "search", Content: "query"},
		{Role: "tool", Name: "search", Content: "result"},
		{Role: "user", Content: "Say hello"},
	}}
	got, err := a.Answer(context.Background(), c)
	// The fake echoes the last user message: the tool's output (a user turn
	// marked with the tool's name) merged with the user's next turn, as
	// Anthropic wants alternating roles.
	if err != nil || got != "[output of tool search]\nresultSay hello" {
		t.Fatalf("%q %v", got, err)
	}
	last := up.Last()
	if last.Header.Get(anthropic.HeaderAPIKey) != "sk-ant" || last.Header.Get(anthropic.HeaderVersion) != anthropic.Version ||
		last.Request.Model != "claude-test" || !strings.Contains(last.Request.System.Text(), "You are terse.") {
		t.Errorf("request %+v %v", last.Request, last.Header)
	}
	if a.Name() != "anthropic:"+up.BaseURL {
		t.Errorf("name %s", a.Name())
	}
	k1, err1 := a.CacheKey(c)
	c.Messages[4].Content = "Say bye"
	k2, err2 := a.CacheKey(c)
	if err1 != nil || err2 != nil || k1 == k2 || !strings.HasPrefix(k1, "sha256:") {
		t.Errorf("cache keys %s %s %v %v", k1, k2, err1, err2)
	}
}

func TestAnthropicTargetRetries(t *testing.T) {
	up := fakeanthropic.Start(t, fakeanthropic.Options{APIKey: "sk-ant"})
	c := Case{ID: "a1", Messages: []Message{{Role: "user", Content: "hi"}}}
	for _, status := range []string{"429", "529", "500", "503"} {
		before := up.Counts().Requests
		_, err := anthropicTarget(t, up, http.Header{fakeanthropic.HeaderStatus: {status}}).Answer(context.Background(), c)
		var se *statusError
		if !errors.As(err, &se) || se.status == 0 || !strings.Contains(err.Error(), status) {
			t.Errorf("%s: %v", status, err)
		}
		if n := up.Counts().Requests - before; n != 4 {
			t.Errorf("%s: %d requests, want 1 + 3 retries", status, n)
		}
	}
	for _, status := range []string{"400", "401", "404"} {
		before := up.Counts().Requests
		if _, err := anthropicTarget(t, up, http.Header{fakeanthropic.HeaderStatus: {status}}).Answer(context.Background(), c); err == nil {
			t.Errorf("%s: no error", status)
		}
		if n := up.Counts().Requests - before; n != 1 {
			t.Errorf("%s: %d requests, want no retry", status, n)
		}
	}
	// A wrong key is the fake's own 401: not retried, named.
	a := anthropicTarget(t, up, nil)
	a.APIKey = "wrong"
	if _, err := a.Answer(context.Background(), c); err == nil || !strings.Contains(err.Error(), "authentication_error") {
		t.Errorf("wrong key: %v", err)
	}
}

func TestParseAnthropicTarget(t *testing.T) {
	for _, tc := range []struct{ spec, model, key, want string }{
		{"anthropic:", "m", "k", ""},
		{"anthropic:https://proxy.example/v1/", "m", "k", ""},
		{"anthropic:", "", "k", "a model is needed"},
		{"anthropic:", "m", "", "ANTHROPIC_API_KEY"},
		{"anthropic:ftp://x", "m", "k", "want anthropic:"},
	} {
		tg, err := ParseTarget(tc.spec, TargetOptions{Model: tc.model, AnthropicKey: tc.key})
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.spec, err)
			} else if n := tg.Name(); n != "anthropic:https://api.anthropic.com" && n != "anthropic:https://proxy.example" {
				t.Errorf("%s: name %s", tc.spec, n)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.spec, err, tc.want)
		}
	}
}
