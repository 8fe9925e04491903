package fakeanthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

// These tests drive the fake with the official Anthropic Go SDK, to show
// that what it sends and checks is what a real client sends and accepts:
// headers, bodies, the event sequence of a stream and error bodies.

func sdkClient(up *Test, opts ...option.RequestOption) sdk.Client {
	return sdk.NewClient(append([]option.RequestOption{
		option.WithBaseURL(up.BaseURL),
		option.WithAPIKey("sk-ant-test"),
		option.WithHTTPClient(up.HTTP.Client()),
		option.WithMaxRetries(0),
	}, opts...)...)
}

var weatherTool = sdk.ToolUnionParam{OfTool: &sdk.ToolParam{
	Name:        "get_weather",
	Description: sdk.String("Current weather in a city"),
	InputSchema: sdk.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}},
}}

func TestSDKMessage(t *testing.T) {
	up := Start(t, Options{APIKey: "sk-ant-test"})
	c := sdkClient(up)
	msg, err := c.Messages.New(context.Background(), sdk.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 64,
		System:    []sdk.TextBlockParam{{Text: "Be brief."}},
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock("hello from the SDK"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Type != "message" || msg.Role != "assistant" || msg.Model != "claude-sonnet-4-5" || msg.StopReason != sdk.StopReasonEndTurn ||
		len(msg.Content) != 1 || msg.Content[0].Text != "hello from the SDK" {
		t.Fatalf("message %s", msg.RawJSON())
	}
	if msg.Usage.InputTokens != 6 || msg.Usage.OutputTokens != 4 || !msg.Usage.JSON.CacheReadInputTokens.Valid() {
		t.Errorf("usage %s", msg.Usage.RawJSON())
	}
	rec := up.Last()
	if rec.Header.Get("anthropic-version") != "2023-06-01" || rec.Request.System.Text() != "Be brief." {
		t.Errorf("recorded %+v", rec)
	}
}

// TestSDKToolRoundTrip asks for a tool call, answers it with the SDK's own
// tool_result, and gets the result echoed.
func TestSDKToolRoundTrip(t *testing.T) {
	up := Start(t, Options{})
	c := sdkClient(up)
	params := sdk.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 64,
		Tools:     []sdk.ToolUnionParam{weatherTool},
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(`TOOL: get_weather {"city": "Paris"}`))},
	}
	msg, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != sdk.StopReasonToolUse || len(msg.Content) != 1 {
		t.Fatalf("message %s", msg.RawJSON())
	}
	use := msg.Content[0].AsToolUse()
	var input struct{ City string }
	if err := json.Unmarshal(use.Input, &input); err != nil || use.Name != "get_weather" || input.City != "Paris" || use.ID == "" {
		t.Fatalf("tool use %s (%v)", msg.Content[0].RawJSON(), err)
	}
	params.Messages = append(params.Messages, msg.ToParam(),
		sdk.NewUserMessage(sdk.NewToolResultBlock(use.ID, "18C and cloudy", false)))
	msg, err = c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != sdk.StopReasonEndTurn || msg.Content[0].Text != "18C and cloudy" {
		t.Errorf("message %s", msg.RawJSON())
	}
}

// TestSDKStream accumulates a streamed tool call and a streamed text reply
// with the SDK's Accumulate, which checks the event order as it goes.
func TestSDKStream(t *testing.T) {
	up := Start(t, Options{})
	c := sdkClient(up)
	for _, tc := range []struct{ user, text, tool, input string }{
		{user: "streamed reply in five words", text: "streamed reply in five words"},
		{user: `TOOL: get_weather {"city": "Rome"}`, tool: "get_weather", input: `{"city":"Rome"}`},
	} {
		stream := c.Messages.NewStreaming(context.Background(), sdk.MessageNewParams{
			Model:     "claude-sonnet-4-5",
			MaxTokens: 64,
			Tools:     []sdk.ToolUnionParam{weatherTool},
			Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(tc.user))},
		})
		var msg sdk.Message
		events := 0
		for stream.Next() {
			events++
			if err := msg.Accumulate(stream.Current()); err != nil {
				t.Fatalf("accumulate: %v", err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 1 || events < 5 {
			t.Fatalf("%d events, message %s", events, msg.RawJSON())
		}
		switch b := msg.Content[0].AsAny().(type) {
		case sdk.TextBlock:
			if b.Text != tc.text || msg.StopReason != sdk.StopReasonEndTurn || msg.Usage.OutputTokens != 5 {
				t.Errorf("text %q, stop %q, usage %s", b.Text, msg.StopReason, msg.Usage.RawJSON())
			}
		case sdk.ToolUseBlock:
			if b.Name != tc.tool || string(b.Input) != tc.input || msg.StopReason != sdk.StopReasonToolUse {
				t.Errorf("tool use %s %s, stop %q", b.Name, b.Input, msg.StopReason)
			}
		default:
			t.Errorf("block %s", msg.Content[0].RawJSON())
		}
	}
	if c := up.Counts(); c.Streams != 2 {
		t.Errorf("counts %+v", c)
	}
}

func TestSDKErrors(t *testing.T) {
	up := Start(t, Options{APIKey: "sk-ant-right"})
	params := sdk.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 8,
		Messages: []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock("hi"))}}
	tests := []struct {
		name   string
		client sdk.Client
		status int
		typ    string
	}{
		{"wrong key", sdkClient(up), http.StatusUnauthorized, "authentication_error"},
		{"overloaded", sdkClient(up, option.WithAPIKey("sk-ant-right"), option.WithHeader(HeaderStatus, "529")), 529, "overloaded_error"},
		{"rate limited", sdkClient(up, option.WithAPIKey("sk-ant-right"), option.WithHeader(HeaderStatus, "429")), 429, "rate_limit_error"},
	}
	for _, tt := range tests {
		_, err := tt.client.Messages.New(context.Background(), params)
		var apiErr *sdk.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if apiErr.StatusCode != tt.status || string(apiErr.Type()) != tt.typ || apiErr.RequestID == "" {
			t.Errorf("%s: status %d type %q request id %q", tt.name, apiErr.StatusCode, apiErr.Type(), apiErr.RequestID)
		}
	}
	// An error in the middle of a stream reaches the SDK as an error.
	c := sdkClient(up, option.WithAPIKey("sk-ant-right"), option.WithHeader(HeaderStreamError, "3"))
	stream := c.Messages.NewStreaming(context.Background(), params)
	for stream.Next() {
	}
	var apiErr *sdk.Error
	if err := stream.Err(); !errors.As(err, &apiErr) || string(apiErr.Type()) != "overloaded_error" {
		t.Errorf("stream error %v", err)
	}
}
