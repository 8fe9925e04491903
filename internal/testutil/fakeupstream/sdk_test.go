package fakeupstream

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// These tests drive the fake with the official openai-go client, to show
// that what it sends is what a real client accepts.

func client(up *Test, opts ...option.RequestOption) sdk.Client {
	return sdk.NewClient(append([]option.RequestOption{
		option.WithBaseURL(up.BaseURL),
		option.WithAPIKey("sk-test"),
		option.WithHTTPClient(up.HTTP.Client()),
		option.WithMaxRetries(0),
	}, opts...)...)
}

func params(user string) sdk.ChatCompletionNewParams {
	return sdk.ChatCompletionNewParams{
		Model:    "gpt-test",
		Messages: []sdk.ChatCompletionMessageParamUnion{sdk.SystemMessage("be brief"), sdk.UserMessage(user)},
	}
}

func TestSDKCompletion(t *testing.T) {
	up := Start(t, Options{APIKey: "sk-test"})
	c := client(up)
	p := params("hello from the SDK")
	p.N = sdk.Int(2)
	res, err := c.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Object != "chat.completion" || res.Model != "gpt-test" || res.Created == 0 || len(res.Choices) != 2 {
		t.Fatalf("completion %+v", res)
	}
	for i, ch := range res.Choices {
		if ch.Index != int64(i) || ch.Message.Content != "hello from the SDK" || ch.FinishReason != "stop" || ch.Message.Role != "assistant" {
			t.Errorf("choice %d: %+v", i, ch)
		}
	}
	if res.Usage.PromptTokens != 6 || res.Usage.CompletionTokens != 8 || res.Usage.TotalTokens != 14 {
		t.Errorf("usage %+v", res.Usage)
	}
	if !res.JSON.SystemFingerprint.Valid() || !res.Usage.JSON.PromptTokensDetails.Valid() {
		t.Errorf("fields not seen by the SDK: %s", res.RawJSON())
	}
}

func TestSDKStream(t *testing.T) {
	up := Start(t, Options{Reply: Fixed("streamed reply in four")})
	c := client(up, option.WithHeader(HeaderChunks, "4"))
	p := params("x")
	p.StreamOptions = sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(context.Background(), p)
	var acc sdk.ChatCompletionAccumulator
	n := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		n++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 7 { // role, 4 content, finish, usage
		t.Errorf("%d chunks", n)
	}
	got := acc.ChatCompletion
	if len(got.Choices) != 1 || got.Choices[0].Message.Content != "streamed reply in four" || got.Choices[0].FinishReason != "stop" {
		t.Errorf("accumulated %+v", got.Choices)
	}
	if got.Usage.CompletionTokens != 4 || got.Usage.PromptTokens != 3 || got.Usage.TotalTokens != 7 {
		t.Errorf("usage %+v", got.Usage)
	}
	if up.Counts().Streams != 1 {
		t.Errorf("counts %+v", up.Counts())
	}
}

func TestSDKStreamDrop(t *testing.T) {
	up := Start(t, Options{})
	c := client(up, option.WithHeader(HeaderDropAfter, "2"))
	stream := c.Chat.Completions.NewStreaming(context.Background(), params("one two three four"))
	var acc sdk.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	// The SDK reports an unexpected EOF as an error, or at least ends
	// the stream without a finish reason; either way the reply is cut.
	if stream.Err() == nil && len(acc.Choices) > 0 && acc.Choices[0].FinishReason != "" {
		t.Errorf("stream ended cleanly: %+v", acc.Choices)
	}
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != "one " {
		t.Errorf("got %+v", acc.Choices)
	}
	if up.Counts().Dropped != 1 || up.Counts().Streams != 0 {
		t.Errorf("counts %+v", up.Counts())
	}
}

func TestSDKMalformed(t *testing.T) {
	up := Start(t, Options{})
	cj := client(up, option.WithHeader(HeaderMalformed, "json"))
	if _, err := cj.Chat.Completions.New(context.Background(), params("x")); err == nil {
		t.Error("malformed json: no error")
	}
	cs := client(up, option.WithHeader(HeaderMalformed, "sse"))
	stream := cs.Chat.Completions.NewStreaming(context.Background(), params("x"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Error("malformed sse: no error")
	}
	if up.Counts().Malformed != 2 {
		t.Errorf("counts %+v", up.Counts())
	}
}

func TestSDKErrors(t *testing.T) {
	up := Start(t, Options{})
	for _, c := range []struct {
		status int
		typ    string
		code   string
	}{
		{429, "requests", "rate_limit_exceeded"},
		{500, "server_error", ""},
		{503, "server_error", ""},
		{404, "invalid_request_error", ""},
	} {
		cl := client(up, option.WithHeader(HeaderStatus, strconv.Itoa(c.status)))
		_, err := cl.Chat.Completions.New(context.Background(), params("x"))
		var apiErr *sdk.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("%d: %v", c.status, err)
		}
		if apiErr.StatusCode != c.status || apiErr.Type != c.typ || apiErr.Code != c.code || apiErr.Message == "" {
			t.Errorf("%d: %+v", c.status, apiErr)
		}
	}
}

// TestSDKRetries shows the SDK's own retry loop honours the fake's 429
// and 5xx: it fails twice and the third try succeeds.
func TestSDKRetries(t *testing.T) {
	up := Start(t, Options{})
	for _, status := range []string{"429", "503"} {
		up.Reset()
		c := client(up, option.WithMaxRetries(2),
			option.WithHeader(HeaderFailFirst, "2"), option.WithHeader(HeaderStatus, status),
			option.WithHeader(HeaderRetryAfter, "1ms"))
		start := time.Now()
		res, err := c.Chat.Completions.New(context.Background(), params("retry me"))
		if err != nil {
			t.Fatalf("%s: %v", status, err)
		}
		if res.Choices[0].Message.Content != "retry me" {
			t.Errorf("%s: %q", status, res.Choices[0].Message.Content)
		}
		if got := up.Counts(); got.Requests != 3 || got.Injected != 2 || got.Completions != 1 {
			t.Errorf("%s: counts %+v", status, got)
		}
		t.Logf("%s: two retries in %v", status, time.Since(start))
	}
}

func TestSDKModels(t *testing.T) {
	up := Start(t, Options{Models: []string{"a", "b"}})
	c := client(up)
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || page.Data[0].ID != "a" || page.Data[0].Object != "model" || page.Data[1].OwnedBy != "modelspec" {
		t.Errorf("models %+v", page.Data)
	}
	m, err := c.Models.Get(context.Background(), "b")
	if err != nil || m.ID != "b" {
		t.Errorf("get b: %+v %v", m, err)
	}
	_, err = c.Models.Get(context.Background(), "zzz")
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Errorf("get zzz: %v", err)
	}
}
