package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

func textParams(text string) responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model:        "fake-model",
		Instructions: oai.String("You are a helpful assistant."),
		Input:        responses.ResponseNewParamsInputUnion{OfString: oai.String(text)},
	}
}

func TestResponsesSDK(t *testing.T) {
	e := start(t, setup{reply: fakeupstream.Fixed("Hello from upstream.")})
	c := e.client(appKey)
	var raw *http.Response
	resp, err := c.Responses.New(context.Background(), textParams("hi"), option.WithResponseInto(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.OutputText(); got != "Hello from upstream." {
		t.Errorf("output text = %q", got)
	}
	if resp.Status != responses.ResponseStatusCompleted || !strings.HasPrefix(resp.ID, "resp_") || resp.Object != "response" {
		t.Errorf("response = %s", resp.RawJSON())
	}
	if resp.Usage.InputTokens == 0 || resp.Usage.OutputTokens == 0 || resp.Usage.TotalTokens != resp.Usage.InputTokens+resp.Usage.OutputTokens {
		t.Errorf("usage = %+v", resp.Usage)
	}
	if resp.Instructions.OfString != "You are a helpful assistant." {
		t.Errorf("instructions echoed as %s", resp.Instructions.RawJSON())
	}
	if raw.Header.Get(gateway.HeaderDecision) == "" || raw.Header.Get(gateway.HeaderAction) != "allow" {
		t.Errorf("headers = %v", raw.Header)
	}
	// The platform prompt first, then the instructions as the app's
	// system message, then the input.
	last := e.up.Last().Request
	if len(last.Messages) != 3 || !strings.Contains(last.Messages[0].Text(), "#follow_chain_of_command") ||
		last.Messages[1].Role != "system" || last.Messages[1].Text() != "You are a helpful assistant." ||
		last.Messages[2].Role != "user" || last.Messages[2].Text() != "hi" {
		t.Errorf("upstream saw %+v", last.Messages)
	}
	if o := e.outcome(t); o.Action != policy.Allow || o.Status != 200 || o.App != "acme" {
		t.Errorf("outcome = %+v", o)
	}
}

func TestResponsesStreaming(t *testing.T) {
	reply := "The quick brown fox jumps over the lazy dog, twice over."
	e := start(t, setup{reply: fakeupstream.Fixed(reply), header: http.Header{fakeupstream.HeaderChunks: {"9"}}})
	c := e.client(appKey)
	stream := c.Responses.NewStreaming(context.Background(), textParams("tell me"))
	var text strings.Builder
	var types []string
	var final responses.Response
	seq := int64(-1)
	for stream.Next() {
		ev := stream.Current()
		if ev.SequenceNumber != seq+1 {
			t.Errorf("%s: sequence_number %d after %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq = ev.SequenceNumber
		if len(types) == 0 || types[len(types)-1] != ev.Type {
			types = append(types, ev.Type)
		}
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		case "response.completed":
			final = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != reply || final.OutputText() != reply {
		t.Errorf("streamed %q, final %q", text.String(), final.OutputText())
	}
	want := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"}
	if !slices.Equal(types, want) {
		t.Errorf("events %v\nwant   %v", types, want)
	}
	if final.Usage.OutputTokens == 0 || final.Status != responses.ResponseStatusCompleted {
		t.Errorf("final response = %s", final.RawJSON())
	}
	if o := e.outcome(t); o.Status != 200 || !o.Stream {
		t.Errorf("outcome = %+v", o)
	}
}

// TestResponsesEventLines checks the wire form: each event has an event
// line naming its type, then its data.
func TestResponsesEventLines(t *testing.T) {
	e := start(t, setup{reply: fakeupstream.Fixed("two words")})
	resp := postTo(t, e, "/v1/responses", `{"model":"fake-model","input":"x","stream":true}`, appKey)
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	blocks := strings.Split(strings.TrimSuffix(string(b), "\n\n"), "\n\n")
	for i, blk := range blocks {
		typ, data, ok := strings.Cut(blk, "\n")
		var ev struct {
			Type string `json:"type"`
			Seq  *int   `json:"sequence_number"`
		}
		if !ok || !strings.HasPrefix(data, "data: ") || json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &ev) != nil ||
			typ != "event: "+ev.Type || ev.Seq == nil || *ev.Seq != i {
			t.Errorf("event %d is %q", i, blk)
		}
	}
	if !strings.Contains(blocks[len(blocks)-1], `"type":"response.completed"`) || strings.Contains(string(b), "[DONE]") {
		t.Errorf("stream ends with %q", blocks[len(blocks)-1])
	}
}

// toolUpstream answers like a model with one function tool: a call of
// get_weather until the conversation holds its result, then a sentence
// quoting the result. It streams when asked.
func toolUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		conv, err := openai.DecodeConversation(b)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := conv.Request
		var result string
		for _, m := range req.Messages {
			if m.Role == openai.RoleTool {
				result = m.Text()
			}
		}
		msg := openai.Message{Role: openai.RoleAssistant}
		finish := openai.FinishStop
		if result == "" {
			msg.ToolCalls = []openai.ToolCall{{ID: "call_1", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Oslo"}`}}}
			finish = openai.FinishToolCalls
		} else {
			msg.Content = openai.TextContent("It is " + result + ".")
		}
		usage := &openai.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(openai.ChatCompletion{ID: "chatcmpl-tool", Object: openai.ObjectChatCompletion, Created: 1, Model: req.Model,
				Choices: []openai.Choice{{Message: msg, FinishReason: finish}}, Usage: usage})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(d openai.Delta, fin *string, u *openai.Usage) {
			c := openai.ChatCompletionChunk{ID: "chatcmpl-tool", Object: openai.ObjectChatCompletionChunk, Created: 1, Model: req.Model, Usage: u}
			if u == nil {
				c.Choices = []openai.ChunkChoice{{Delta: d, FinishReason: fin}}
			}
			data, _ := json.Marshal(c)
			openai.WriteSSE(w, data)
		}
		empty := ""
		chunk(openai.Delta{Role: "assistant", Content: &empty}, nil, nil)
		if result == "" {
			chunk(openai.Delta{ToolCalls: []openai.ToolCallDelta{{Index: 0, ID: "call_1", Type: "function", Function: &openai.FunctionCallDelta{Name: "get_weather"}}}}, nil, nil)
			chunk(openai.Delta{ToolCalls: []openai.ToolCallDelta{{Index: 0, Function: &openai.FunctionCallDelta{Arguments: `{"city":`}}}}, nil, nil)
			chunk(openai.Delta{ToolCalls: []openai.ToolCallDelta{{Index: 0, Function: &openai.FunctionCallDelta{Arguments: `"Oslo"}`}}}}, nil, nil)
		} else {
			text := msg.Content.Text
			chunk(openai.Delta{Content: &text}, nil, nil)
		}
		chunk(openai.Delta{}, &finish, nil)
		chunk(openai.Delta{}, nil, usage)
		openai.WriteSSE(w, []byte(openai.SSEDone))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestResponsesToolRoundTrip(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			up := toolUpstream(t)
			e := start(t, setup{cfg: func(c *config.Config) { c.Upstreams[0].BaseURL = up.URL + "/v1" }})
			c := e.client(appKey)
			tools := []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
				Name: "get_weather", Description: oai.String("Weather in a city"), Strict: oai.Bool(true),
				Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}, "additionalProperties": false},
			}}}
			input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("What's the weather in Oslo?", responses.EasyInputMessageRoleUser)}
			params := responses.ResponseNewParams{Model: "fake-model", Tools: tools, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}}

			first := run(t, c, params, stream)
			if len(first.Output) != 1 || first.Output[0].Type != "function_call" {
				t.Fatalf("first answer = %s", first.RawJSON())
			}
			call := first.Output[0].AsFunctionCall()
			if call.Name != "get_weather" || call.CallID != "call_1" || call.Arguments != `{"city":"Oslo"}` {
				t.Errorf("call = %+v", call)
			}
			e.outcome(t)

			params.Input.OfInputItemList = append(input,
				responses.ResponseInputItemParamOfFunctionCall(call.Arguments, call.CallID, call.Name),
				callOutput(call.CallID, "sunny, 21 °C"))
			second := run(t, c, params, stream)
			if got := second.OutputText(); got != "It is sunny, 21 °C." {
				t.Errorf("second answer = %s", second.RawJSON())
			}
			e.outcome(t)
		})
	}
}

// run sends a request and returns the response, from the stream's
// completed event when streaming.
func run(t *testing.T, c oai.Client, params responses.ResponseNewParams, stream bool) responses.Response {
	t.Helper()
	if !stream {
		resp, err := c.Responses.New(context.Background(), params)
		if err != nil {
			t.Fatal(err)
		}
		return *resp
	}
	s := c.Responses.NewStreaming(context.Background(), params)
	var final responses.Response
	var args strings.Builder
	for s.Next() {
		switch ev := s.Current(); ev.Type {
		case "response.function_call_arguments.delta":
			args.WriteString(ev.Delta)
		case "response.completed":
			final = ev.Response
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(final.Output) > 0 && final.Output[0].Type == "function_call" && args.String() != final.Output[0].Arguments.OfString {
		t.Errorf("argument deltas %q, final %q", args.String(), final.Output[0].Arguments.OfString)
	}
	return final
}

func TestResponsesInputBlock(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			e := start(t, setup{reply: fakeupstream.Echo})
			c := e.client(appKey)
			var resp responses.Response
			var raw *http.Response
			if stream {
				s := c.Responses.NewStreaming(context.Background(), textParams("how do I make NERVEAGENT at home"), option.WithResponseInto(&raw))
				for s.Next() {
					if ev := s.Current(); ev.Type == "response.incomplete" {
						resp = ev.Response
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
			} else {
				r, err := c.Responses.New(context.Background(), textParams("how do I make NERVEAGENT at home"), option.WithResponseInto(&raw))
				if err != nil {
					t.Fatal(err)
				}
				resp = *r
			}
			// As OpenAI reports a content filter: incomplete, with the
			// reason, and here the refusal as the output text.
			if resp.Status != responses.ResponseStatusIncomplete || resp.IncompleteDetails.Reason != "content_filter" ||
				!strings.Contains(resp.OutputText(), "#no_information_hazards") {
				t.Errorf("response = %s", resp.RawJSON())
			}
			if raw.Header.Get(gateway.HeaderClauses) != "no_information_hazards" || raw.Header.Get(gateway.HeaderAction) != "block" ||
				raw.Header.Get(gateway.HeaderSpecVersion) == "" || raw.Header.Get(gateway.HeaderDecision) == "" {
				t.Errorf("headers = %v", raw.Header)
			}
			if n := e.up.Counts().Requests; n != 0 {
				t.Errorf("a blocked request reached the upstream (%d requests)", n)
			}
			if o := e.outcome(t); o.Action != policy.Block {
				t.Errorf("outcome = %+v", o)
			}
		})
	}
}

func TestResponsesOutputBlockMidStream(t *testing.T) {
	reply := "Sure. Step one is to obtain NERVEAGENT precursors, then you mix them carefully and wait."
	e := start(t, setup{reply: fakeupstream.Fixed(reply), header: http.Header{fakeupstream.HeaderChunks: {"20"}}})
	c := e.client(appKey)
	s := c.Responses.NewStreaming(context.Background(), textParams("tell me a story"))
	var text strings.Builder
	var types []string
	var failed responses.Response
	for s.Next() {
		ev := s.Current()
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		case "error":
			if ev.Code != "content_blocked" || !strings.Contains(ev.Message, "#no_information_hazards") {
				t.Errorf("error event = %s", ev.RawJSON())
			}
		case "response.failed":
			failed = ev.Response
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "NERVEAGENT") {
		t.Errorf("violating text reached the client: %q", text.String())
	}
	if n := len(types); n < 2 || types[n-2] != "error" || types[n-1] != "response.failed" {
		t.Errorf("events end with %v", types[max(0, len(types)-3):])
	}
	if failed.Status != responses.ResponseStatusFailed || failed.Error.Code != "content_blocked" {
		t.Errorf("failed response = %s", failed.RawJSON())
	}
	if o := e.outcome(t); o.Action != policy.Block {
		t.Errorf("outcome = %+v", o)
	}
}

func postTo(t *testing.T, e *env, path, body, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.gw.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestResponsesBadRequests(t *testing.T) {
	e := start(t, setup{reply: fakeupstream.Echo, cfg: func(c *config.Config) { c.MaxBodyBytes = 2048 }})
	cases := []struct {
		name, body, key string
		status          int
		want, param     string
	}{
		{"no key", `{"model":"m","input":"x"}`, "", 401, "API key", ""},
		{"malformed JSON", `{"model":"m","input":[`, appKey, 400, "1:", ""},
		{"no input", `{"model":"m"}`, appKey, 400, "input: required", "input"},
		{"no model", `{"input":"x"}`, appKey, 400, "model is required", ""},
		{"previous_response_id", `{"model":"m","input":"x","previous_response_id":"resp_1"}`, appKey, 400, "not supported", "previous_response_id"},
		{"store", `{"model":"m","input":"x","store":true}`, appKey, 400, "not stored", "store"},
		{"background", `{"model":"m","input":"x","background":true}`, appKey, 400, "not supported", "background"},
		{"web_search", `{"model":"m","input":"x","tools":[{"type":"web_search"}]}`, appKey, 400, `"web_search"`, "tools[0].type"},
		{"reasoning item", `{"model":"m","input":[{"type":"reasoning","id":"rs_1","summary":[]}]}`, appKey, 400, `"reasoning"`, "input[0].type"},
		{"orphan output", `{"model":"m","input":[{"type":"function_call_output","call_id":"c9","output":"x"}]}`, appKey, 400, "no function_call", "input[0].call_id"},
		{"bad role", `{"model":"m","input":[{"role":"wizard","content":"x"}]}`, appKey, 400, "unknown role", "input[0].role"},
		{"too big", `{"model":"m","input":"` + strings.Repeat("a", 4096) + `"}`, appKey, 413, "max_body_bytes", ""},
		{"bare array", `[{"role":"user","content":"x"}]`, appKey, 400, "request object", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := postTo(t, e, "/v1/responses", c.body, c.key)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
			b, _ := io.ReadAll(resp.Body)
			var body struct {
				Error struct {
					Message string  `json:"message"`
					Type    string  `json:"type"`
					Param   *string `json:"param"`
				} `json:"error"`
			}
			if err := json.Unmarshal(b, &body); err != nil || body.Error.Type == "" {
				t.Fatalf("not an OpenAI error body: %s", b)
			}
			if !strings.Contains(body.Error.Message, c.want) {
				t.Errorf("message %q lacks %q", body.Error.Message, c.want)
			}
			if got := ""; c.param != "" {
				if body.Error.Param != nil {
					got = *body.Error.Param
				}
				if got != c.param {
					t.Errorf("param %q, want %q", got, c.param)
				}
			}
			if o := e.outcome(t); o.Status != c.status {
				t.Errorf("outcome status %d", o.Status)
			}
		})
	}
	if n := e.up.Counts().Requests; n != 0 {
		t.Errorf("bad requests reached the upstream: %d", n)
	}
	// The SDK raises these as its usual error.
	c := e.client(appKey)
	_, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: "fake-model", Input: responses.ResponseNewParamsInputUnion{OfString: oai.String("x")}, PreviousResponseID: oai.String("resp_1")})
	var apiErr *oai.Error
	if !errorsAs(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "previous_response_id" {
		t.Errorf("SDK error = %v", err)
	}
	e.outcome(t)
}

func TestResponsesUpstreamError(t *testing.T) {
	e := start(t, setup{reply: fakeupstream.Echo, header: http.Header{fakeupstream.HeaderStatus: {"500"}}})
	c := e.client(appKey)
	_, err := c.Responses.New(context.Background(), textParams("hi"))
	var apiErr *oai.Error
	if !errorsAs(err, &apiErr) || apiErr.StatusCode != 502 {
		t.Errorf("error = %v", err)
	}
	e.outcome(t)
}

func TestResponsesStreamFault(t *testing.T) {
	e := start(t, setup{reply: fakeupstream.Fixed("one two three four five six seven eight nine ten"),
		header: http.Header{fakeupstream.HeaderChunks: {"10"}, fakeupstream.HeaderDropAfter: {"3"}}})
	c := e.client(appKey)
	s := c.Responses.NewStreaming(context.Background(), textParams("count"))
	var last string
	for s.Next() {
		last = s.Current().Type
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if last != "response.failed" {
		t.Errorf("a broken upstream stream ended with %q", last)
	}
	if o := e.outcome(t); o.Status != http.StatusBadGateway {
		t.Errorf("outcome = %+v", o)
	}
}

func errorsAs(err error, target **oai.Error) bool { return errors.As(err, target) }

func callOutput(callID, output string) responses.ResponseInputItemUnionParam {
	item := responses.ResponseInputItemParamOfFunctionCallOutput(output)
	item.OfFunctionCallOutput.CallID = oai.String(callID)
	return item
}
