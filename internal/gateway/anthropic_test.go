package gateway_test

import (
	"context"

	oai "github.com/openai/openai-go/v3"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect/injection"
	"github.com/modelspec/modelspec/internal/detect/rolespoof"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/testutil/fakeanthropic"
)

// TestAnthropicUpstream: an OpenAI client talks to the gateway, which
// talks to Anthropic's Messages API; the platform prompt arrives as system
// text, answers and streams come back in OpenAI's shape.
func TestAnthropicUpstream(t *testing.T) {
	up := fakeanthropic.Start(t, fakeanthropic.Options{APIKey: "ant-key"})
	res, err := specload.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Upstreams = []config.Upstream{{Name: "claude", Type: "anthropic", BaseURL: up.BaseURL, APIKey: "ant-key", Timeout: config.Duration(5 * time.Second)}}
	srv, err := gateway.New(cfg, gateway.Deps{Spec: res.Spec, Injection: injection.New(), RoleSpoof: rolespoof.New()})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv.Handler())
	defer gw.Close()
	e := &env{gw: gw}
	c := e.client("unused")

	params := userParams("hello claude")
	params.Model = "claude-sonnet-4-5"
	resp, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; !strings.Contains(got, "hello claude") || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("choice = %+v", resp.Choices[0])
	}
	last := up.Last()
	if last == nil || !strings.Contains(last.Header.Get("anthropic-version"), "2023") {
		t.Fatalf("upstream saw %+v", last)
	}
	if b, _ := last.Request.System.MarshalJSON(); !strings.Contains(string(b), "follow_chain_of_command") || !strings.Contains(string(b), "You are a helpful assistant.") {
		t.Errorf("system text = %.200s", b)
	}

	s := c.Chat.Completions.NewStreaming(context.Background(), params)
	var got strings.Builder
	for s.Next() {
		for _, ch := range s.Current().Choices {
			got.WriteString(ch.Delta.Content)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.String(), "hello claude") {
		t.Errorf("streamed %q", got.String())
	}

	// A request Anthropic cannot take is a 400 naming the field.
	params.N = oai.Int(2)
	_, err = c.Chat.Completions.New(context.Background(), params)
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("n=2 to an Anthropic upstream: %v", err)
	}
}
