package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// This file holds the Responses API (POST /v1/responses) wire format and
// its translation to and from Chat Completions, for a gateway whose
// upstreams speak only chat completions. Like the rest of the package it is
// pure: ids and times come from the caller.

// Object name and statuses of a Response.
const (
	ObjectResponse = "response"

	ResponseCompleted  = "completed"
	ResponseIncomplete = "incomplete"
	ResponseInProgress = "in_progress"
	ResponseFailed     = "failed"
)

// Output item and content types of the Responses API.
const (
	ItemMessage            = "message"
	ItemFunctionCall       = "function_call"
	ItemFunctionCallOutput = "function_call_output"

	PartInputText  = "input_text"
	PartInputImage = "input_image"
	PartInputFile  = "input_file"
	PartOutputText = "output_text"
)

// Streaming event types of the Responses API, in the order a response
// emits them.
const (
	EventResponseCreated        = "response.created"
	EventResponseInProgress     = "response.in_progress"
	EventOutputItemAdded        = "response.output_item.added"
	EventContentPartAdded       = "response.content_part.added"
	EventOutputTextDelta        = "response.output_text.delta"
	EventOutputTextDone         = "response.output_text.done"
	EventContentPartDone        = "response.content_part.done"
	EventFunctionArgumentsDelta = "response.function_call_arguments.delta"
	EventFunctionArgumentsDone  = "response.function_call_arguments.done"
	EventOutputItemDone         = "response.output_item.done"
	EventResponseCompleted      = "response.completed"
	EventResponseIncomplete     = "response.incomplete"
	EventResponseFailed         = "response.failed"
	EventError                  = "error"
)

// ResponsesRequest is a decoded body of POST /v1/responses, already
// translated: Chat is the equivalent chat completions request, and the
// other members are what a Response echoes back.
type ResponsesRequest struct {
	Chat *ChatRequest
	// Echo holds the request members a Response repeats (instructions,
	// tools, tool_choice, text, temperature, ...), verbatim.
	Echo map[string]json.RawMessage
}

// responsesEchoed are the request members a Response object repeats.
var responsesEchoed = []string{"instructions", "max_output_tokens", "metadata", "parallel_tool_calls",
	"temperature", "text", "tool_choice", "tools", "top_p", "user"}

// responsesTranslated are the members DecodeResponsesRequest turns into
// chat members; every other member not rejected goes to ChatRequest.Extra.
var responsesTranslated = keySet("model", "input", "instructions", "tools", "tool_choice", "text",
	"max_output_tokens", "stream", "stream_options", "temperature", "user", "reasoning",
	"previous_response_id", "conversation", "background", "store", "prompt", "include", "truncation")

// DecodeResponsesRequest decodes a Responses API request and translates it
// into a chat completions request: instructions become a leading system
// message; input (a string, or items: messages with input_text,
// input_image and input_file parts, earlier assistant messages,
// function_call and function_call_output items) becomes messages; tools of
// type function, tool_choice, text.format (as response_format),
// max_output_tokens (as max_completion_tokens), reasoning.effort and
// text.verbosity are mapped; a stream asks for usage. Members it does not
// know pass through to the chat request unchanged.
//
// What has no chat equivalent is refused with a *DecodeError whose Path
// names the parameter: previous_response_id, conversation, prompt,
// background and store when true, truncation "auto", include, built-in
// tools (web_search, file_search, ...) and other item or part types.
func DecodeResponsesRequest(data []byte) (*ResponsesRequest, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	deep, synOff, synErr := checkSyntaxDepth(data, MaxDepth)
	if deep >= 0 && (synErr == nil || deep < synOff) {
		line, col := position(data, deep)
		return nil, &DecodeError{Line: line, Col: col, Msg: fmt.Sprintf("nesting deeper than %d levels", MaxDepth)}
	}
	if synErr != nil {
		line, col := position(data, synOff)
		return nil, &DecodeError{Line: line, Col: col, Msg: syntaxMessage(synErr)}
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return nil, &DecodeError{Msg: "want a Responses API request object with model and input"}
	}
	t := &responsesTranslator{m: members}
	return t.translate()
}

type responsesTranslator struct {
	m    map[string]json.RawMessage
	chat ChatRequest
}

func errAt(path, format string, args ...any) *DecodeError {
	return &DecodeError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// unsupported is the error for a parameter the gateway cannot honour.
func unsupported(path, why string) *DecodeError {
	return errAt(path, "not supported by this gateway: %s", why)
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// get decodes member key into v when it is present and not null.
func (t *responsesTranslator) get(key string, v any) (bool, error) {
	raw, ok := t.m[key]
	if !ok || isNull(raw) {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, errAt(key, "%s", jsonTypeMessage(err))
	}
	return true, nil
}

func jsonTypeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s: want %s, got %s", te.Field, kindOf(te.Type), te.Value)
		}
		return fmt.Sprintf("want %s, got %s", kindOf(te.Type), te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func (t *responsesTranslator) translate() (*ResponsesRequest, error) {
	if err := t.refuse(); err != nil {
		return nil, err
	}
	c := &t.chat
	if _, err := t.get("model", &c.Model); err != nil {
		return nil, err
	}
	if _, err := t.get("stream", &c.Stream); err != nil {
		return nil, err
	}
	if c.Stream {
		c.StreamOptions = &StreamOptions{IncludeUsage: true}
	}
	var instructions string
	if _, err := t.get("instructions", &instructions); err != nil {
		return nil, err
	}
	if instructions != "" {
		c.Messages = append(c.Messages, Message{Role: RoleSystem, Content: TextContent(instructions)})
	}
	if err := t.input(); err != nil {
		return nil, err
	}
	if err := t.tools(); err != nil {
		return nil, err
	}
	if err := t.toolChoice(); err != nil {
		return nil, err
	}
	if err := t.text(); err != nil {
		return nil, err
	}
	var n int
	if ok, err := t.get("max_output_tokens", &n); err != nil {
		return nil, err
	} else if ok {
		c.MaxCompletionTokens = &n
	}
	var temp float64
	if ok, err := t.get("temperature", &temp); err != nil {
		return nil, err
	} else if ok {
		c.Temperature = &temp
	}
	if _, err := t.get("user", &c.User); err != nil {
		return nil, err
	}
	var reasoning struct {
		Effort *string `json:"effort"`
	}
	if _, err := t.get("reasoning", &reasoning); err != nil {
		return nil, err
	}
	if reasoning.Effort != nil {
		t.extra("reasoning_effort", *reasoning.Effort)
	}
	for k, v := range t.m {
		if !responsesTranslated[k] && !requestKeys[k] {
			if c.Extra == nil {
				c.Extra = map[string]json.RawMessage{}
			}
			c.Extra[k] = rawCopy(v)
		}
	}
	out := &ResponsesRequest{Chat: c, Echo: map[string]json.RawMessage{}}
	for _, k := range responsesEchoed {
		if v, ok := t.m[k]; ok {
			out.Echo[k] = rawCopy(v)
		}
	}
	return out, nil
}

func (t *responsesTranslator) extra(key string, v any) {
	if t.chat.Extra == nil {
		t.chat.Extra = map[string]json.RawMessage{}
	}
	b, _ := json.Marshal(v)
	t.chat.Extra[key] = b
}

// refuse rejects the members that need state or tools the gateway does
// not have.
func (t *responsesTranslator) refuse() error {
	for _, k := range []string{"previous_response_id", "conversation", "prompt"} {
		if raw, ok := t.m[k]; ok && !isNull(raw) {
			return unsupported(k, "the gateway keeps no conversation state or stored prompts; send the whole conversation in input")
		}
	}
	for _, k := range []string{"background", "store"} {
		var on bool
		if _, err := t.get(k, &on); err != nil {
			return err
		}
		if on {
			return unsupported(k, "responses are not stored; send "+k+": false or leave it out")
		}
	}
	var trunc string
	if _, err := t.get("truncation", &trunc); err != nil {
		return err
	}
	if trunc != "" && trunc != "disabled" {
		return unsupported("truncation", `only "disabled" is supported`)
	}
	var include []string
	if _, err := t.get("include", &include); err != nil {
		return err
	}
	if len(include) > 0 {
		return unsupported("include", fmt.Sprintf("no extra output data is available (asked for %q)", include[0]))
	}
	return nil
}

// inputItem is one element of input, any type; the members of each type
// share names.
type inputItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	CallID  string          `json:"call_id"`
	Name    string          `json:"name"`
	Args    *string         `json:"arguments"`
	Output  json.RawMessage `json:"output"`
}

// inputPart is one content part of an input message, or of a
// function_call_output.
type inputPart struct {
	Type     string  `json:"type"`
	Text     string  `json:"text"`
	Refusal  string  `json:"refusal"`
	ImageURL string  `json:"image_url"`
	FileID   string  `json:"file_id"`
	Detail   string  `json:"detail"`
	FileData string  `json:"file_data"`
	Filename string  `json:"filename"`
	FileURL  *string `json:"file_url"`
}

func (t *responsesTranslator) input() error {
	raw, ok := t.m["input"]
	if !ok || isNull(raw) {
		return errAt("input", "required")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		t.chat.Messages = append(t.chat.Messages, Message{Role: RoleUser, Content: TextContent(s)})
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return errAt("input", "want a string or an array of items")
	}
	calls := map[string]bool{}
	for i, ri := range items {
		path := "input[" + strconv.Itoa(i) + "]"
		var it inputItem
		if err := json.Unmarshal(ri, &it); err != nil {
			return errAt(path, "%s", jsonTypeMessage(err))
		}
		switch it.Type {
		case "", ItemMessage:
			m, err := inputMessage(path, it)
			if err != nil {
				return err
			}
			t.chat.Messages = append(t.chat.Messages, m)
		case ItemFunctionCall:
			if it.CallID == "" || it.Name == "" {
				return errAt(path, "a function_call item needs call_id and name")
			}
			args := ""
			if it.Args != nil {
				args = *it.Args
			}
			tc := ToolCall{ID: it.CallID, Type: ToolFunction, Function: FunctionCall{Name: it.Name, Arguments: args}}
			calls[it.CallID] = true
			// Consecutive calls, and calls after the assistant's text,
			// are one assistant message, as chat completions has them.
			if n := len(t.chat.Messages); n > 0 && t.chat.Messages[n-1].Role == RoleAssistant {
				t.chat.Messages[n-1].ToolCalls = append(t.chat.Messages[n-1].ToolCalls, tc)
				continue
			}
			t.chat.Messages = append(t.chat.Messages, Message{Role: RoleAssistant, ToolCalls: []ToolCall{tc}})
		case ItemFunctionCallOutput:
			if it.CallID == "" {
				return errAt(path+".call_id", "required")
			}
			if !calls[it.CallID] {
				return errAt(path+".call_id", "no function_call item with call_id %q earlier in input (previous_response_id is not supported, so input must hold the call)", it.CallID)
			}
			out, err := callOutput(path+".output", it.Output)
			if err != nil {
				return err
			}
			t.chat.Messages = append(t.chat.Messages, Message{Role: RoleTool, ToolCallID: it.CallID, Content: TextContent(out)})
		default:
			return unsupported(path+".type", fmt.Sprintf("input items of type %q (the gateway takes message, function_call and function_call_output items)", it.Type))
		}
	}
	return nil
}

func inputMessage(path string, it inputItem) (Message, error) {
	switch it.Role {
	case RoleUser, RoleSystem, RoleDeveloper, RoleAssistant:
	case "":
		return Message{}, errAt(path+".role", "required")
	default:
		return Message{}, errAt(path+".role", "unknown role %q", it.Role)
	}
	m := Message{Role: it.Role}
	var s string
	if json.Unmarshal(it.Content, &s) == nil {
		m.Content = TextContent(s)
		return m, nil
	}
	var parts []inputPart
	if err := json.Unmarshal(it.Content, &parts); err != nil {
		return Message{}, errAt(path+".content", "want a string or an array of content parts")
	}
	var text []string // an assistant's text, which chat keeps as a string
	for j, p := range parts {
		ppath := fmt.Sprintf("%s.content[%d]", path, j)
		switch {
		case p.Type == PartInputText && it.Role != RoleAssistant:
			m.Content.Parts = append(m.Content.Parts, TextPart(p.Text))
		case (p.Type == PartOutputText || p.Type == PartInputText) && it.Role == RoleAssistant:
			text = append(text, p.Text)
		case p.Type == PartRefusal && it.Role == RoleAssistant:
			r := p.Refusal
			m.Refusal = &r
		case p.Type == PartInputImage && it.Role == RoleUser:
			if p.ImageURL == "" {
				return Message{}, unsupported(ppath+".file_id", "images by file id; send image_url (an https or data URL)")
			}
			m.Content.Parts = append(m.Content.Parts, ContentPart{Type: PartImageURL, ImageURL: &ImageURL{URL: p.ImageURL, Detail: p.Detail}})
		case p.Type == PartInputFile && it.Role == RoleUser:
			if p.FileURL != nil {
				return Message{}, unsupported(ppath+".file_url", "files by URL; send file_data or file_id")
			}
			m.Content.Parts = append(m.Content.Parts, ContentPart{Type: PartFile, File: &File{FileData: p.FileData, FileID: p.FileID, Filename: p.Filename}})
		default:
			return Message{}, unsupported(ppath+".type", fmt.Sprintf("content parts of type %q in a %s message", p.Type, it.Role))
		}
	}
	if it.Role == RoleAssistant {
		if len(text) > 0 || m.Refusal == nil {
			m.Content = TextContent(strings.Join(text, ""))
		}
		return m, nil
	}
	m.Content.Kind = ContentParts
	return m, nil
}

// callOutput is the text of a function_call_output: a string, or text
// parts joined.
func callOutput(path string, raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []inputPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errAt(path, "want a string or an array of content parts")
	}
	var b strings.Builder
	for j, p := range parts {
		if p.Type != PartInputText {
			return "", unsupported(fmt.Sprintf("%s[%d].type", path, j), fmt.Sprintf("function output parts of type %q (chat tool results are text)", p.Type))
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// responsesTool is a tool of a Responses request. Only type function maps
// to chat completions.
type responsesTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

func (t *responsesTranslator) tools() error {
	var tools []responsesTool
	if _, err := t.get("tools", &tools); err != nil {
		return err
	}
	for i, rt := range tools {
		if rt.Type != ToolFunction {
			return unsupported(fmt.Sprintf("tools[%d].type", i), fmt.Sprintf("built-in tools such as %q; declare function tools and run them yourself", rt.Type))
		}
		if rt.Name == "" {
			return errAt(fmt.Sprintf("tools[%d].name", i), "required")
		}
		fd := &FunctionDefinition{Name: rt.Name, Description: rt.Description, Strict: rt.Strict}
		if !isNull(rt.Parameters) {
			fd.Parameters = rawCopy(rt.Parameters)
		}
		t.chat.Tools = append(t.chat.Tools, Tool{Type: ToolFunction, Function: fd})
	}
	return nil
}

func (t *responsesTranslator) toolChoice() error {
	raw, ok := t.m["tool_choice"]
	if !ok || isNull(raw) {
		return nil
	}
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		t.chat.ToolChoice = &ToolChoice{Mode: mode}
		return nil
	}
	var o struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Mode  string `json:"mode"`
		Tools []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return errAt("tool_choice", "want a string or an object")
	}
	switch o.Type {
	case ToolFunction:
		t.chat.ToolChoice = &ToolChoice{Type: ToolFunction, Function: &ToolName{Name: o.Name}}
	case "allowed_tools":
		at := &AllowedTools{Mode: o.Mode}
		for i, tl := range o.Tools {
			if tl.Type != ToolFunction {
				return unsupported(fmt.Sprintf("tool_choice.tools[%d].type", i), fmt.Sprintf("built-in tools such as %q", tl.Type))
			}
			b, _ := json.Marshal(map[string]any{"type": ToolFunction, "function": ToolName{Name: tl.Name}})
			at.Tools = append(at.Tools, b)
		}
		t.chat.ToolChoice = &ToolChoice{Type: "allowed_tools", AllowedTools: at}
	default:
		return unsupported("tool_choice.type", fmt.Sprintf("tool choices of type %q", o.Type))
	}
	return nil
}

func (t *responsesTranslator) text() error {
	var text struct {
		Format *struct {
			Type        string          `json:"type"`
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
			Strict      *bool           `json:"strict"`
		} `json:"format"`
		Verbosity *string `json:"verbosity"`
	}
	if _, err := t.get("text", &text); err != nil {
		return err
	}
	if text.Verbosity != nil {
		t.extra("verbosity", *text.Verbosity)
	}
	f := text.Format
	if f == nil {
		return nil
	}
	switch f.Type {
	case "text", "json_object":
		t.chat.ResponseFormat = &ResponseFormat{Type: f.Type}
	case "json_schema":
		if f.Name == "" {
			return errAt("text.format.name", "required")
		}
		t.chat.ResponseFormat = &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{Name: f.Name, Description: f.Description, Schema: rawCopy(f.Schema), Strict: f.Strict}}
	default:
		return unsupported("text.format.type", fmt.Sprintf("output format %q", f.Type))
	}
	return nil
}

// Response is a Responses API response object.
type Response struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"` // ObjectResponse
	CreatedAt         int64              `json:"created_at"`
	Status            string             `json:"status"`
	Error             *ResponseError     `json:"error"`
	IncompleteDetails *IncompleteDetails `json:"incomplete_details"`
	Model             string             `json:"model"`
	Output            []OutputItem       `json:"output"`
	Usage             *ResponseUsage     `json:"usage"`
	// Echo holds the request members repeated in the response
	// (instructions, tools, ...), written after the members above.
	Echo map[string]json.RawMessage `json:"-"`
}

// responseDefaults are what a Response says for echoed members the
// request left out, as OpenAI fills them in.
var responseDefaults = map[string]json.RawMessage{
	"instructions": json.RawMessage("null"), "max_output_tokens": json.RawMessage("null"),
	"metadata": json.RawMessage("{}"), "parallel_tool_calls": json.RawMessage("true"),
	"temperature": json.RawMessage("1"), "text": json.RawMessage(`{"format":{"type":"text"}}`),
	"tool_choice": json.RawMessage(`"auto"`), "tools": json.RawMessage("[]"), "top_p": json.RawMessage("1"),
}

var responseKeys = keySet("id", "object", "created_at", "status", "error", "incomplete_details", "model", "output", "usage")

// MarshalJSON writes the typed members (output as [] when empty), then the
// echoed request members, with OpenAI's defaults for those left out.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	p := plain(r)
	if p.Output == nil {
		p.Output = []OutputItem{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	extra := map[string]json.RawMessage{}
	for k, v := range responseDefaults {
		extra[k] = v
	}
	for k, v := range r.Echo {
		if !isNull(v) || extra[k] == nil {
			extra[k] = v
		}
	}
	// Reopen the object, which has members (id, object, ...) already.
	w := &objectWriter{buf: b[:len(b)-1], members: 1}
	w.extra(extra, responseKeys)
	return w.bytes()
}

// ResponseError is why a response failed.
type ResponseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// IncompleteDetails says why a response is incomplete: max_output_tokens
// or content_filter.
type IncompleteDetails struct {
	Reason string `json:"reason"`
}

// ResponseUsage counts a response's tokens.
type ResponseUsage struct {
	InputTokens         int                 `json:"input_tokens"`
	InputTokensDetails  InputTokensDetails  `json:"input_tokens_details"`
	OutputTokens        int                 `json:"output_tokens"`
	OutputTokensDetails OutputTokensDetails `json:"output_tokens_details"`
	TotalTokens         int                 `json:"total_tokens"`
}

// InputTokensDetails breaks down the input tokens.
type InputTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// OutputTokensDetails breaks down the output tokens.
type OutputTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// OutputItem is an item of a response's output: a message or a function
// call.
type OutputItem struct {
	Type   string `json:"type"` // ItemMessage or ItemFunctionCall
	ID     string `json:"id"`
	Status string `json:"status"` // in_progress, completed or incomplete
	// A message's role (assistant) and content.
	Role    string          `json:"role,omitempty"`
	Content []OutputContent `json:"content,omitzero"`
	// A function call's id, name and arguments.
	CallID    string  `json:"call_id,omitempty"`
	Name      string  `json:"name,omitempty"`
	Arguments *string `json:"arguments,omitempty"`
}

// MarshalJSON writes a message's content as [] when empty.
func (o OutputItem) MarshalJSON() ([]byte, error) {
	type plain OutputItem
	p := plain(o)
	if p.Type == ItemMessage && p.Content == nil {
		p.Content = []OutputContent{}
	}
	return json.Marshal(p)
}

// OutputContent is a part of an output message: output_text or refusal.
type OutputContent struct {
	Type        string            `json:"type"`
	Text        *string           `json:"text,omitempty"`
	Refusal     *string           `json:"refusal,omitempty"`
	Annotations []json.RawMessage `json:"annotations,omitzero"`
}

func outputText(s string) OutputContent {
	return OutputContent{Type: PartOutputText, Text: &s, Annotations: []json.RawMessage{}}
}

// responseUsage converts chat usage; nil stays nil.
func responseUsage(u *Usage) *ResponseUsage {
	if u == nil {
		return nil
	}
	r := &ResponseUsage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if u.PromptTokensDetails != nil {
		r.InputTokensDetails.CachedTokens = u.PromptTokensDetails.CachedTokens
	}
	if u.CompletionTokensDetails != nil {
		r.OutputTokensDetails.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
	}
	return r
}

// finishStatus maps a chat finish reason to a response status and the
// reason it is incomplete: length is max_output_tokens, content_filter
// (which the gateway also uses for a block) is content_filter.
func finishStatus(finish string) (string, *IncompleteDetails) {
	switch finish {
	case FinishLength:
		return ResponseIncomplete, &IncompleteDetails{Reason: "max_output_tokens"}
	case FinishContentFilter:
		return ResponseIncomplete, &IncompleteDetails{Reason: "content_filter"}
	}
	return ResponseCompleted, nil
}

// MessageItemID and CallItemID are the ids of a response's output items,
// derived from the response id so that a replay gives the same ids.
func MessageItemID(respID string) string { return "msg_" + strings.TrimPrefix(respID, "resp_") }

// CallItemID is the id of the function_call item for a chat tool call.
func CallItemID(callID string) string { return "fc_" + callID }

// ResponseFromChat translates the first choice of a chat completion into a
// Response with the given id: the text (or refusal) as a message item,
// each tool call as a function_call item, usage in Responses terms.
func ResponseFromChat(id string, cc *ChatCompletion, req *ResponsesRequest) Response {
	r := Response{ID: id, Object: ObjectResponse, CreatedAt: cc.Created, Model: cc.Model, Status: ResponseCompleted, Usage: responseUsage(cc.Usage)}
	if req != nil {
		r.Echo = req.Echo
		if r.Model == "" && req.Chat != nil {
			r.Model = req.Chat.Model
		}
	}
	if len(cc.Choices) == 0 {
		return r
	}
	ch := cc.Choices[0]
	r.Status, r.IncompleteDetails = finishStatus(ch.FinishReason)
	text := ch.Message.Text()
	if text != "" || ch.Message.Refusal != nil || len(ch.Message.ToolCalls) == 0 {
		item := OutputItem{Type: ItemMessage, ID: MessageItemID(id), Status: r.Status, Role: RoleAssistant}
		if text != "" || ch.Message.Refusal == nil {
			item.Content = append(item.Content, outputText(text))
		}
		if ch.Message.Refusal != nil {
			item.Content = append(item.Content, OutputContent{Type: PartRefusal, Refusal: ch.Message.Refusal})
		}
		r.Output = append(r.Output, item)
	}
	for _, tc := range ch.Message.ToolCalls {
		args := tc.Function.Arguments
		r.Output = append(r.Output, OutputItem{Type: ItemFunctionCall, ID: CallItemID(tc.ID), Status: ResponseCompleted,
			CallID: tc.ID, Name: tc.Function.Name, Arguments: &args})
	}
	return r
}

// ResponseEvent is one event of a streamed response. Which members are
// set depends on Type; the indexes are pointers so that 0 is written.
type ResponseEvent struct {
	Type           string          `json:"type"`
	SequenceNumber int             `json:"sequence_number"`
	Response       *Response       `json:"response,omitempty"`
	OutputIndex    *int            `json:"output_index,omitempty"`
	ContentIndex   *int            `json:"content_index,omitempty"`
	ItemID         string          `json:"item_id,omitempty"`
	Item           *OutputItem     `json:"item,omitempty"`
	Part           *OutputContent  `json:"part,omitempty"`
	Delta          *string         `json:"delta,omitempty"`
	Text           *string         `json:"text,omitempty"`
	Arguments      *string         `json:"arguments,omitempty"`
	Name           string          `json:"name,omitempty"`
	Logprobs       json.RawMessage `json:"logprobs,omitempty"`
	// Code, Message and Param are set on an error event.
	Code    *string         `json:"code,omitempty"`
	Message string          `json:"message,omitempty"`
	Param   json.RawMessage `json:"param,omitempty"`
}

// ResponseStream turns the chunks of a streamed chat completion (first
// choice only) into Responses streaming events: response.created and
// response.in_progress first; for text, output_item.added,
// content_part.added, output_text.delta..., output_text.done,
// content_part.done and output_item.done; for each tool call,
// output_item.added, function_call_arguments.delta...,
// function_call_arguments.done and output_item.done; then
// response.completed (or response.incomplete, or error and
// response.failed). It numbers the events from 0.
type ResponseStream struct {
	resp    Response
	seq     int
	started bool
	closed  bool
	finish  string
	// the message item, when open
	msg      *OutputItem
	msgIndex int
	text     strings.Builder
	// tool calls by their chat index
	calls     map[int]*streamCall
	callOrder []int
}

type streamCall struct {
	index int
	item  OutputItem
	args  strings.Builder
}

// NewResponseStream starts the events of a response with the given id.
func NewResponseStream(id string, created int64, req *ResponsesRequest) *ResponseStream {
	s := &ResponseStream{resp: Response{ID: id, Object: ObjectResponse, CreatedAt: created, Status: ResponseInProgress}, calls: map[int]*streamCall{}}
	if req != nil {
		s.resp.Echo = req.Echo
		if req.Chat != nil {
			s.resp.Model = req.Chat.Model
		}
	}
	return s
}

func (s *ResponseStream) event(e ResponseEvent) ResponseEvent {
	e.SequenceNumber = s.seq
	s.seq++
	return e
}

func (s *ResponseStream) snapshot() *Response {
	r := s.resp
	r.Output = append([]OutputItem(nil), s.resp.Output...)
	return &r
}

func (s *ResponseStream) start(out []ResponseEvent) []ResponseEvent {
	if s.started {
		return out
	}
	s.started = true
	out = append(out, s.event(ResponseEvent{Type: EventResponseCreated, Response: s.snapshot()}))
	return append(out, s.event(ResponseEvent{Type: EventResponseInProgress, Response: s.snapshot()}))
}

// Start returns response.created and response.in_progress, once.
func (s *ResponseStream) Start() []ResponseEvent { return s.start(nil) }

func intp(i int) *int       { return &i }
func strp(s string) *string { return &s }

var emptyLogprobs = json.RawMessage("[]")

// Chunk returns the events for one chat chunk.
func (s *ResponseStream) Chunk(c ChatCompletionChunk) []ResponseEvent {
	out := s.start(nil)
	if s.closed {
		return out
	}
	if c.Model != "" {
		s.resp.Model = c.Model
	}
	if c.Usage != nil {
		s.resp.Usage = responseUsage(c.Usage)
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		if d := ch.Delta.Content; d != nil && *d != "" {
			out = s.openMessage(out)
			s.text.WriteString(*d)
			out = append(out, s.event(ResponseEvent{Type: EventOutputTextDelta, ItemID: s.msg.ID, OutputIndex: intp(s.msgIndex), ContentIndex: intp(0), Delta: strp(*d), Logprobs: emptyLogprobs}))
		}
		for _, tc := range ch.Delta.ToolCalls {
			call := s.calls[tc.Index]
			if call == nil {
				out = s.closeMessage(out, ResponseCompleted)
				call = &streamCall{index: len(s.resp.Output) + len(s.calls)}
				call.item = OutputItem{Type: ItemFunctionCall, ID: CallItemID(tc.ID), Status: ResponseInProgress, CallID: tc.ID, Arguments: strp("")}
				if tc.Function != nil {
					call.item.Name = tc.Function.Name
				}
				s.calls[tc.Index] = call
				s.callOrder = append(s.callOrder, tc.Index)
				item := call.item
				out = append(out, s.event(ResponseEvent{Type: EventOutputItemAdded, OutputIndex: intp(call.index), Item: &item}))
			}
			if tc.Function != nil && tc.Function.Arguments != "" {
				call.args.WriteString(tc.Function.Arguments)
				out = append(out, s.event(ResponseEvent{Type: EventFunctionArgumentsDelta, ItemID: call.item.ID, OutputIndex: intp(call.index), Delta: strp(tc.Function.Arguments)}))
			}
		}
		if ch.FinishReason != nil {
			s.finish = *ch.FinishReason
			out = s.closeItems(out)
		}
	}
	return out
}

func (s *ResponseStream) openMessage(out []ResponseEvent) []ResponseEvent {
	if s.msg != nil {
		return out
	}
	s.msgIndex = len(s.resp.Output) + len(s.calls)
	s.msg = &OutputItem{Type: ItemMessage, ID: MessageItemID(s.resp.ID), Status: ResponseInProgress, Role: RoleAssistant}
	item := *s.msg
	out = append(out, s.event(ResponseEvent{Type: EventOutputItemAdded, OutputIndex: intp(s.msgIndex), Item: &item}))
	part := outputText("")
	return append(out, s.event(ResponseEvent{Type: EventContentPartAdded, ItemID: s.msg.ID, OutputIndex: intp(s.msgIndex), ContentIndex: intp(0), Part: &part}))
}

func (s *ResponseStream) closeMessage(out []ResponseEvent, status string) []ResponseEvent {
	if s.msg == nil {
		return out
	}
	text := s.text.String()
	out = append(out, s.event(ResponseEvent{Type: EventOutputTextDone, ItemID: s.msg.ID, OutputIndex: intp(s.msgIndex), ContentIndex: intp(0), Text: strp(text), Logprobs: emptyLogprobs}))
	part := outputText(text)
	out = append(out, s.event(ResponseEvent{Type: EventContentPartDone, ItemID: s.msg.ID, OutputIndex: intp(s.msgIndex), ContentIndex: intp(0), Part: &part}))
	item := *s.msg
	item.Status = status
	item.Content = []OutputContent{part}
	s.resp.Output = append(s.resp.Output, item)
	s.msg = nil
	s.text.Reset()
	return append(out, s.event(ResponseEvent{Type: EventOutputItemDone, OutputIndex: intp(s.msgIndex), Item: &item}))
}

// closeItems ends every open item: the message, then the calls in order.
func (s *ResponseStream) closeItems(out []ResponseEvent) []ResponseEvent {
	status, _ := finishStatus(s.finish)
	if s.msg == nil && len(s.calls) == 0 && len(s.resp.Output) == 0 {
		out = s.openMessage(out) // an empty answer is an empty message
	}
	out = s.closeMessage(out, status)
	for _, idx := range s.callOrder {
		call := s.calls[idx]
		args := call.args.String()
		out = append(out, s.event(ResponseEvent{Type: EventFunctionArgumentsDone, ItemID: call.item.ID, OutputIndex: intp(call.index), Name: call.item.Name, Arguments: strp(args)}))
		item := call.item
		item.Status = ResponseCompleted
		item.Arguments = &args
		s.resp.Output = append(s.resp.Output, item)
		out = append(out, s.event(ResponseEvent{Type: EventOutputItemDone, OutputIndex: intp(call.index), Item: &item}))
	}
	s.calls, s.callOrder = map[int]*streamCall{}, nil
	return out
}

// Done returns the events that end a stream whose upstream finished:
// open items are closed, then response.completed, or response.incomplete
// when the answer was cut by max_output_tokens or a content filter.
func (s *ResponseStream) Done() []ResponseEvent {
	out := s.start(nil)
	if s.closed {
		return out
	}
	out = s.closeItems(out)
	s.closed = true
	s.resp.Status, s.resp.IncompleteDetails = finishStatus(s.finish)
	typ := EventResponseCompleted
	if s.resp.Status == ResponseIncomplete {
		typ = EventResponseIncomplete
	}
	return append(out, s.event(ResponseEvent{Type: typ, Response: s.snapshot()}))
}

// Fail returns the events that end a stream with an error: an error event
// with the code and message, then response.failed with the items already
// completed. Items still open are dropped, since their text may be what
// the error stopped.
func (s *ResponseStream) Fail(code, message string) []ResponseEvent {
	out := s.start(nil)
	if s.closed {
		return out
	}
	s.closed = true
	out = append(out, s.event(ResponseEvent{Type: EventError, Code: strp(code), Message: message, Param: json.RawMessage("null")}))
	s.resp.Status = ResponseFailed
	s.resp.Error = &ResponseError{Code: code, Message: message}
	return append(out, s.event(ResponseEvent{Type: EventResponseFailed, Response: s.snapshot()}))
}

// Text returns the text streamed so far in the current message.
func (s *ResponseStream) Text() string { return s.text.String() }

// WriteResponseEvent writes e as one server-sent event with an event line
// naming its type, as the Responses API streams them.
func WriteResponseEvent(w io.Writer, e ResponseEvent) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(data)+len(e.Type)+20)
	buf = append(buf, "event: "...)
	buf = append(buf, e.Type...)
	buf = append(buf, '\n')
	buf = append(buf, "data: "...)
	buf = append(buf, data...) // json.Marshal escapes newlines
	buf = append(buf, "\n\n"...)
	_, err = w.Write(buf)
	return err
}
