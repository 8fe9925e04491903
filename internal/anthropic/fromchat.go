package anthropic

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/openai"
)

// DefaultMaxTokens is the max_tokens that FromChat sends when the chat
// request sets neither max_completion_tokens nor max_tokens. Anthropic
// requires the member, and OpenAI's default (as many tokens as the context
// leaves) has no equivalent; 4096 is within the output limit of every Claude
// model. A caller that knows the model may raise it when the request had
// none.
const DefaultMaxTokens = 4096

// ErrUnsupported is wrapped by the RequestError of a chat request that is
// valid for OpenAI but asks for something the Messages API cannot do.
var ErrUnsupported = errors.New("not supported by the Anthropic Messages API")

// RequestError is a chat request that FromChat cannot translate. Param
// names the member at fault as a path ("n",
// "messages[3].tool_calls[0].function.arguments"); the gateway answers it
// with a 400 that names it.
type RequestError struct {
	Param string
	Msg   string
	// Unsupported is set when the request is valid but has no Anthropic
	// equivalent; the error then wraps ErrUnsupported.
	Unsupported bool
}

// Error returns "param: message".
func (e *RequestError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return e.Param + ": " + e.Msg
}

// Unwrap returns ErrUnsupported for an unsupported request, and nil
// otherwise.
func (e *RequestError) Unwrap() error {
	if e.Unsupported {
		return ErrUnsupported
	}
	return nil
}

func invalid(param, format string, args ...any) error {
	return &RequestError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(param, format string, args ...any) error {
	return &RequestError{Param: param, Msg: fmt.Sprintf(format, args...), Unsupported: true}
}

// Instructions that FromChat appends to the system prompt for a
// response_format that structured outputs do not carry.
const (
	instructJSONObject = "Respond with one JSON object and nothing else: no text before or after it and no Markdown code fence."
	instructJSONSchema = "Respond with one JSON value that conforms to the JSON Schema below and nothing else: no text before or after it and no Markdown code fence."
)

// FromChat translates an OpenAI chat request into a Messages API request.
// It returns a *RequestError for a request it cannot translate faithfully.
//
// Parameters:
//
//   - model (required), stream and temperature are copied; a temperature
//     above 1 (the top of Anthropic's range, OpenAI's is 2) is clamped to 1.
//   - max_tokens is max_completion_tokens, else max_tokens, else
//     DefaultMaxTokens.
//   - top_p, top_k and stop (a string or a list) map to top_p, top_k and
//     stop_sequences. top_p is dropped when temperature is also set, since
//     recent Claude models refuse both.
//   - user, or else safety_identifier, becomes metadata.user_id.
//   - n other than 1 is an error: Anthropic returns one choice.
//   - Any other member is dropped and listed in Dropped, unless it is null
//     or at its zero value (false, 0, "", [], {}), which asks for nothing.
//     The legacy functions and function_call are errors.
//
// Tools: function tools map to tools with input_schema (an empty object
// schema when parameters is absent) and strict. tool_choice none, auto and
// required map to none, auto and any; a named function to tool; an
// allowed_tools choice keeps only the tools it allows. parallel_tool_calls
// false sets disable_parallel_tool_use. Custom (free-form) tools are an
// error.
//
// response_format: json_schema with strict true maps to structured outputs
// (output_config.format), which only Claude 4.5 models and later accept;
// json_schema without strict, and json_object, become an instruction
// appended to the system prompt, with the schema when there is one, which
// the model follows but nothing enforces.
//
// Messages:
//
//   - system and developer messages, wherever they are, are joined in order
//     with a blank line into the system prompt.
//   - user content maps to text, image (a data: URL becomes a base64
//     source, an http(s) URL a url source) and document (a PDF file part)
//     blocks; audio parts and uploaded file IDs are errors.
//   - assistant content and refusals map to text blocks and tool_calls to
//     tool_use blocks whose input is the parsed arguments (an error when
//     they are not a JSON object).
//   - tool messages become user messages of tool_result blocks.
//   - consecutive messages of one role are merged, as Anthropic expects
//     turns to alternate, and in a user message the tool results come
//     first, as it requires.
//   - empty or blank text is left out, and a message left with nothing is
//     dropped; a last assistant message is sent as a prefill that the reply
//     continues, with its trailing white space removed as the API requires.
//   - tool call IDs keep only letters, digits, _ and -, the characters
//     Anthropic accepts; others become _ in calls and results alike.
func FromChat(req *openai.ChatRequest) (*MessagesRequest, error) {
	if req == nil {
		return nil, invalid("", "no request")
	}
	c := &converter{out: &MessagesRequest{Model: req.Model, Stream: req.Stream}}
	steps := []func(*openai.ChatRequest) error{c.params, c.extra, c.tools, c.toolChoice, c.responseFormat, c.messages}
	for _, step := range steps {
		if err := step(req); err != nil {
			return nil, err
		}
	}
	if len(c.system) > 0 {
		c.out.System = TextContent(strings.Join(c.system, "\n\n"))
	}
	slices.Sort(c.dropped)
	c.out.Dropped = slices.Compact(c.dropped)
	return c.out, nil
}

type converter struct {
	out        *MessagesRequest
	system     []string // paragraphs of the system prompt
	instruct   []string // paragraphs appended to it
	dropped    []string
	noParallel bool // parallel_tool_calls false
}

func (c *converter) drop(path string) { c.dropped = append(c.dropped, path) }

func (c *converter) params(req *openai.ChatRequest) error {
	if req.Model == "" {
		return invalid("model", "required")
	}
	if req.N != nil && *req.N != 1 {
		return unsupported("n", "%d choices asked for; an Anthropic upstream returns one, so only n=1 is supported", *req.N)
	}
	c.out.MaxTokens = DefaultMaxTokens
	switch {
	case req.MaxCompletionTokens != nil:
		c.out.MaxTokens = *req.MaxCompletionTokens
		if *req.MaxCompletionTokens < 1 {
			return invalid("max_completion_tokens", "%d: must be at least 1", *req.MaxCompletionTokens)
		}
	case req.MaxTokens != nil:
		c.out.MaxTokens = *req.MaxTokens
		if *req.MaxTokens < 1 {
			return invalid("max_tokens", "%d: must be at least 1", *req.MaxTokens)
		}
	}
	if t := req.Temperature; t != nil {
		v := *t
		if v > 1 {
			v = 1
			c.drop("temperature (clamped to 1)")
		}
		c.out.Temperature = &v
	}
	if req.User != "" {
		c.out.Metadata = &Metadata{UserID: req.User}
	}
	return nil
}

// extra maps the members that ChatRequest keeps untyped.
func (c *converter) extra(req *openai.ChatRequest) error {
	keys := make([]string, 0, len(req.Extra))
	for k := range req.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		raw := req.Extra[k]
		if string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		var err error
		switch k {
		case "top_p":
			err = decodeAs(k, raw, &c.out.TopP, "a number")
		case "top_k":
			err = decodeAs(k, raw, &c.out.TopK, "an integer")
		case "stop":
			c.out.StopSequences, err = stopSequences(raw)
		case "parallel_tool_calls":
			var v bool
			err = decodeAs(k, raw, &v, "a boolean")
			c.noParallel = !v
		case "safety_identifier":
			var v string
			err = decodeAs(k, raw, &v, "a string")
			if c.out.Metadata == nil && v != "" {
				c.out.Metadata = &Metadata{UserID: v}
			}
		case "functions", "function_call":
			if isZero(raw) {
				break
			}
			err = unsupported(k, "the legacy function calling API is not supported; use tools")
		default:
			if !isZero(raw) {
				c.drop(k)
			}
		}
		if err != nil {
			return err
		}
	}
	if c.out.TopP != nil && c.out.Temperature != nil {
		c.out.TopP = nil
		c.drop("top_p (temperature is set)")
	}
	return nil
}

// isZero reports whether a member's value asks for nothing: null, false, 0,
// "", [] or {}.
func isZero(raw json.RawMessage) bool {
	switch s := string(bytes.TrimSpace(raw)); s {
	case "null", "false", "0", `""`:
		return true
	default:
		if len(s) >= 2 && (s[0] == '[' || s[0] == '{') {
			inner := strings.TrimSpace(s[1 : len(s)-1])
			return inner == ""
		}
		var f float64
		return json.Unmarshal(raw, &f) == nil && f == 0
	}
}

func decodeAs(param string, raw json.RawMessage, v any, want string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return invalid(param, "want %s, got %s", want, abbreviate(raw))
	}
	return nil
}

func abbreviate(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

func stopSequences(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalid("stop", "want a string or an array of strings, got %s", abbreviate(raw))
	}
	out := list[:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// emptySchema is the input schema of a function declared without
// parameters.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

func (c *converter) tools(req *openai.ChatRequest) error {
	for i, t := range req.Tools {
		path := fmt.Sprintf("tools[%d]", i)
		if t.Type != openai.ToolFunction {
			return unsupported(path+".type", "%q tools are not supported; only function tools are", t.Type)
		}
		if t.Function == nil || t.Function.Name == "" {
			return invalid(path+".function.name", "required")
		}
		schema := t.Function.Parameters
		if isNullOrEmpty(schema) {
			schema = emptySchema
		}
		c.out.Tools = append(c.out.Tools, Tool{
			Name:        t.Function.Name,
			Description: t.Function.Description,
			InputSchema: schema,
			Strict:      t.Function.Strict != nil && *t.Function.Strict,
		})
	}
	return nil
}

func isNullOrEmpty(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

func (c *converter) toolChoice(req *openai.ChatRequest) error {
	tc := req.ToolChoice
	var choice *ToolChoice
	switch {
	case tc == nil:
	case tc.Mode == openai.ToolChoiceNone:
		choice = &ToolChoice{Type: ToolChoiceNone}
	case tc.Mode == openai.ToolChoiceAuto:
		choice = &ToolChoice{Type: ToolChoiceAuto}
	case tc.Mode == openai.ToolChoiceRequired:
		choice = &ToolChoice{Type: ToolChoiceAny}
	case tc.Mode != "":
		return invalid("tool_choice", "unknown mode %q; want none, auto or required", tc.Mode)
	case tc.Type == openai.ToolFunction:
		if tc.Function == nil || tc.Function.Name == "" {
			return invalid("tool_choice.function.name", "required")
		}
		choice = &ToolChoice{Type: ToolChoiceTool, Name: tc.Function.Name}
	case tc.Type == "allowed_tools" && tc.AllowedTools != nil:
		var err error
		if choice, err = c.allowedTools(tc.AllowedTools); err != nil {
			return err
		}
	default:
		return unsupported("tool_choice.type", "%q is not supported", tc.Type)
	}
	if len(c.out.Tools) == 0 {
		if choice != nil && choice.Type != ToolChoiceNone && choice.Type != ToolChoiceAuto {
			return invalid("tool_choice", "a tool must be called, but the request declares no tools")
		}
		return nil // none and auto without tools ask for nothing
	}
	if c.noParallel && (choice == nil || choice.Type != ToolChoiceNone) {
		if choice == nil {
			choice = &ToolChoice{Type: ToolChoiceAuto}
		}
		choice.DisableParallelToolUse = true
	}
	c.out.ToolChoice = choice
	return nil
}

// allowedTools keeps the tools an allowed_tools choice names.
func (c *converter) allowedTools(at *openai.AllowedTools) (*ToolChoice, error) {
	allowed := map[string]bool{}
	for i, raw := range at.Tools {
		var t struct {
			Type     string           `json:"type"`
			Function *openai.ToolName `json:"function"`
		}
		if err := json.Unmarshal(raw, &t); err != nil || t.Type != openai.ToolFunction || t.Function == nil {
			return nil, unsupported(fmt.Sprintf("tool_choice.allowed_tools.tools[%d]", i), "only function tools are supported")
		}
		allowed[t.Function.Name] = true
	}
	kept := c.out.Tools[:0]
	for _, t := range c.out.Tools {
		if allowed[t.Name] {
			kept = append(kept, t)
			delete(allowed, t.Name)
		}
	}
	c.out.Tools = kept
	if len(allowed) > 0 {
		names := make([]string, 0, len(allowed))
		for n := range allowed {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, invalid("tool_choice.allowed_tools.tools", "not declared in tools: %s", strings.Join(names, ", "))
	}
	switch at.Mode {
	case openai.ToolChoiceRequired:
		return &ToolChoice{Type: ToolChoiceAny}, nil
	case openai.ToolChoiceAuto, "":
		return &ToolChoice{Type: ToolChoiceAuto}, nil
	}
	return nil, invalid("tool_choice.allowed_tools.mode", "unknown mode %q; want auto or required", at.Mode)
}

func (c *converter) responseFormat(req *openai.ChatRequest) error {
	rf := req.ResponseFormat
	if rf == nil {
		return nil
	}
	switch rf.Type {
	case "", "text":
	case "json_object":
		c.instruct = append(c.instruct, instructJSONObject)
	case "json_schema":
		js := rf.JSONSchema
		if js == nil {
			return invalid("response_format.json_schema", "required")
		}
		if js.Strict != nil && *js.Strict {
			if isNullOrEmpty(js.Schema) {
				return invalid("response_format.json_schema.schema", "required when strict is true")
			}
			c.out.OutputConfig = &OutputConfig{Format: &OutputFormat{Type: "json_schema", Schema: js.Schema}}
			return nil
		}
		if isNullOrEmpty(js.Schema) {
			c.instruct = append(c.instruct, instructJSONObject)
			return nil
		}
		var schema bytes.Buffer
		if err := json.Compact(&schema, js.Schema); err != nil {
			return invalid("response_format.json_schema.schema", "not valid JSON: %v", err)
		}
		text := instructJSONSchema
		if js.Name != "" {
			text += "\nSchema name: " + js.Name
		}
		if js.Description != "" {
			text += "\nSchema description: " + js.Description
		}
		c.instruct = append(c.instruct, text+"\n"+schema.String())
	default:
		return unsupported("response_format.type", "%q is not supported", rf.Type)
	}
	return nil
}

func (c *converter) messages(req *openai.ChatRequest) error {
	var msgs []Message
	for i, m := range req.Messages {
		path := fmt.Sprintf("messages[%d]", i)
		c.dropExtra(path, m.Extra)
		if m.Name != "" {
			c.drop(path + ".name")
		}
		var (
			role   string
			blocks []ContentBlock
			err    error
		)
		switch m.Role {
		case openai.RoleSystem, openai.RoleDeveloper:
			if text := c.systemText(path, m.Content); text != "" {
				c.system = append(c.system, text)
			}
			continue
		case openai.RoleUser:
			role = RoleUser
			blocks, err = c.userBlocks(path, m.Content)
		case openai.RoleAssistant:
			role = RoleAssistant
			blocks, err = c.assistantBlocks(path, &m)
		case openai.RoleTool:
			role = RoleUser
			blocks, err = c.toolResult(path, &m)
		case openai.RoleFunction:
			err = unsupported(path+".role", "the legacy function role is not supported; use tool messages")
		default:
			err = invalid(path+".role", "unknown role %q", m.Role)
		}
		if err != nil {
			return err
		}
		if len(blocks) == 0 {
			c.drop(path + " (empty)")
			continue
		}
		if n := len(msgs); n > 0 && msgs[n-1].Role == role {
			msgs[n-1].Content = append(msgs[n-1].Content, blocks...)
		} else {
			msgs = append(msgs, Message{Role: role, Content: blocks})
		}
	}
	for i := range msgs {
		if msgs[i].Role == RoleUser {
			toolResultsFirst(msgs[i].Content)
		}
	}
	msgs = trimPrefill(msgs)
	if len(msgs) == 0 {
		return invalid("messages", "no user or assistant message with content; Anthropic needs at least one")
	}
	c.out.Messages = msgs
	c.system = append(c.system, c.instruct...)
	return nil
}

// dropExtra lists the members of an object that ChatRequest kept untyped,
// unless they are at their zero value.
func (c *converter) dropExtra(path string, extra map[string]json.RawMessage) {
	for k, v := range extra {
		if !isZero(v) {
			c.drop(path + "." + k)
		}
	}
}

func (c *converter) systemText(path string, content openai.Content) string {
	switch content.Kind {
	case openai.ContentString:
		return content.Text
	case openai.ContentParts:
		var texts []string
		for j, p := range content.Parts {
			pp := fmt.Sprintf("%s.content[%d]", path, j)
			c.dropExtra(pp, p.Extra)
			if p.Type != openai.PartText {
				c.drop(pp)
				continue
			}
			if p.Text != "" {
				texts = append(texts, p.Text)
			}
		}
		return strings.Join(texts, "\n")
	}
	return ""
}

// textBlock returns a text block of s, or none when s is empty or only
// white space, which the API refuses as a text block.
func textBlock(s string) []ContentBlock {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return []ContentBlock{{Type: BlockText, Text: s}}
}

func (c *converter) userBlocks(path string, content openai.Content) ([]ContentBlock, error) {
	switch content.Kind {
	case openai.ContentString:
		return textBlock(content.Text), nil
	case openai.ContentParts:
		var out []ContentBlock
		for j, p := range content.Parts {
			pp := fmt.Sprintf("%s.content[%d]", path, j)
			c.dropExtra(pp, p.Extra)
			switch p.Type {
			case openai.PartText:
				out = append(out, textBlock(p.Text)...)
			case openai.PartImageURL:
				if p.ImageURL == nil {
					return nil, invalid(pp+".image_url", "required")
				}
				src, err := imageSource(p.ImageURL.URL)
				if err != nil {
					return nil, invalid(pp+".image_url.url", "%v", err)
				}
				if d := p.ImageURL.Detail; d != "" && d != "auto" {
					c.drop(pp + ".image_url.detail")
				}
				out = append(out, ContentBlock{Type: BlockImage, Source: src})
			case openai.PartFile:
				b, err := fileBlock(pp, p.File)
				if err != nil {
					return nil, err
				}
				out = append(out, b)
			case openai.PartInputAudio:
				return nil, unsupported(pp, "audio input is not supported")
			default:
				return nil, unsupported(pp+".type", "%q parts are not supported in user messages", p.Type)
			}
		}
		return out, nil
	}
	return nil, nil
}

// imageMediaTypes are the image types Anthropic accepts.
var imageMediaTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// imageSource turns an image_url's URL into a source: a base64 data: URL
// into base64 data with its media type, an http(s) URL into a url source.
func imageSource(u string) (*Source, error) {
	if mediaType, data, ok, err := parseDataURL(u); ok {
		if err != nil {
			return nil, err
		}
		if !imageMediaTypes[mediaType] {
			return nil, fmt.Errorf("image type %q is not supported; want image/jpeg, image/png, image/gif or image/webp", mediaType)
		}
		return &Source{Type: SourceBase64, MediaType: mediaType, Data: data}, nil
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, errors.New("want an http(s) URL or a base64 data: URL")
	}
	return &Source{Type: SourceURL, URL: u}, nil
}

// parseDataURL splits a data: URL into its media type (lower case, without
// parameters) and its base64 data. ok is false when u is not a data: URL.
func parseDataURL(u string) (mediaType, data string, ok bool, err error) {
	if len(u) < 5 || !strings.EqualFold(u[:5], "data:") {
		return "", "", false, nil
	}
	meta, data, found := strings.Cut(u[5:], ",")
	if !found {
		return "", "", true, errors.New("data: URL without a comma")
	}
	params := strings.Split(meta, ";")
	if !strings.EqualFold(strings.TrimSpace(params[len(params)-1]), "base64") {
		return "", "", true, errors.New("data: URL is not base64")
	}
	mediaType = strings.ToLower(strings.TrimSpace(params[0]))
	if mediaType == "" {
		return "", "", true, errors.New("data: URL without a media type")
	}
	if data == "" {
		return "", "", true, errors.New("data: URL without data")
	}
	return mediaType, data, true, nil
}

// fileBlock turns a file part holding a PDF into a document block.
func fileBlock(path string, f *openai.File) (ContentBlock, error) {
	switch {
	case f == nil:
		return ContentBlock{}, invalid(path+".file", "required")
	case f.FileID != "":
		return ContentBlock{}, unsupported(path+".file.file_id", "uploaded OpenAI files cannot be sent to Anthropic; send file_data")
	case f.FileData == "":
		return ContentBlock{}, invalid(path+".file.file_data", "required")
	}
	mediaType, data, ok, err := parseDataURL(f.FileData)
	if err != nil {
		return ContentBlock{}, invalid(path+".file.file_data", "%v", err)
	}
	if !ok { // bare base64, typed by the file name
		data = f.FileData
		if strings.HasSuffix(strings.ToLower(f.Filename), ".pdf") {
			mediaType = "application/pdf"
		}
	}
	if mediaType != "application/pdf" {
		return ContentBlock{}, unsupported(path+".file", "only PDF files are supported, got %q", cmp.Or(mediaType, f.Filename))
	}
	return ContentBlock{Type: BlockDocument, Source: &Source{Type: SourceBase64, MediaType: mediaType, Data: data}}, nil
}

func (c *converter) assistantBlocks(path string, m *openai.Message) ([]ContentBlock, error) {
	var out []ContentBlock
	switch m.Content.Kind {
	case openai.ContentString:
		out = textBlock(m.Content.Text)
	case openai.ContentParts:
		for j, p := range m.Content.Parts {
			pp := fmt.Sprintf("%s.content[%d]", path, j)
			c.dropExtra(pp, p.Extra)
			switch p.Type {
			case openai.PartText:
				out = append(out, textBlock(p.Text)...)
			case openai.PartRefusal:
				out = append(out, textBlock(p.Refusal)...)
			default:
				return nil, unsupported(pp+".type", "%q parts are not supported in assistant messages", p.Type)
			}
		}
	}
	if m.Refusal != nil && len(out) == 0 {
		out = textBlock(*m.Refusal)
	}
	if m.FunctionCall != nil {
		return nil, unsupported(path+".function_call", "the legacy function calling API is not supported; use tool_calls")
	}
	for k, tc := range m.ToolCalls {
		tp := fmt.Sprintf("%s.tool_calls[%d]", path, k)
		if tc.Type != openai.ToolFunction && tc.Type != "" {
			return nil, unsupported(tp+".type", "%q tool calls are not supported", tc.Type)
		}
		if tc.ID == "" {
			return nil, invalid(tp+".id", "required")
		}
		if tc.Function.Name == "" {
			return nil, invalid(tp+".function.name", "required")
		}
		input, err := toolInput(tc.Function.Arguments)
		if err != nil {
			return nil, invalid(tp+".function.arguments", "%v", err)
		}
		out = append(out, ContentBlock{Type: BlockToolUse, ID: toolID(tc.ID), Name: tc.Function.Name, Input: input})
	}
	return out, nil
}

// toolInput parses a tool call's arguments, which must be a JSON object;
// empty arguments are {}.
func toolInput(args string) (json.RawMessage, error) {
	s := strings.TrimSpace(args)
	if s == "" {
		return json.RawMessage("{}"), nil
	}
	var v json.RawMessage
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if s[0] != '{' {
		return nil, fmt.Errorf("want a JSON object, got %s", abbreviate(v))
	}
	var out bytes.Buffer
	if err := json.Compact(&out, v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// toolID maps a tool call ID onto the characters Anthropic accepts.
func toolID(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, id)
}

func (c *converter) toolResult(path string, m *openai.Message) ([]ContentBlock, error) {
	if m.ToolCallID == "" {
		return nil, invalid(path+".tool_call_id", "required")
	}
	b := ContentBlock{Type: BlockToolResult, ToolUseID: toolID(m.ToolCallID)}
	switch m.Content.Kind {
	case openai.ContentString:
		b.Content = textBlock(m.Content.Text)
	case openai.ContentParts:
		for j, p := range m.Content.Parts {
			pp := fmt.Sprintf("%s.content[%d]", path, j)
			c.dropExtra(pp, p.Extra)
			if p.Type != openai.PartText {
				return nil, unsupported(pp+".type", "%q parts are not supported in tool messages", p.Type)
			}
			b.Content = append(b.Content, textBlock(p.Text)...)
		}
	}
	return []ContentBlock{b}, nil
}

// toolResultsFirst moves a user message's tool_result blocks before its
// other blocks, keeping the order within each kind.
func toolResultsFirst(blocks []ContentBlock) {
	slices.SortStableFunc(blocks, func(a, b ContentBlock) int {
		return boolInt(b.Type == BlockToolResult) - boolInt(a.Type == BlockToolResult)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// trimPrefill removes the trailing white space of a last assistant message,
// which the API refuses in a prefill, and the message itself if nothing is
// left.
func trimPrefill(msgs []Message) []Message {
	n := len(msgs)
	if n == 0 || msgs[n-1].Role != RoleAssistant {
		return msgs
	}
	content := msgs[n-1].Content
	for len(content) > 0 {
		last := &content[len(content)-1]
		if last.Type != BlockText {
			break
		}
		last.Text = strings.TrimRight(last.Text, " \t\r\n")
		if last.Text != "" {
			break
		}
		content = content[:len(content)-1]
	}
	if len(content) == 0 {
		return msgs[:n-1]
	}
	msgs[n-1].Content = content
	return msgs
}
