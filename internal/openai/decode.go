package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Limits that DecodeConversation enforces before and while decoding.
const (
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 64
	// MaxMessages is the most messages a conversation may hold.
	MaxMessages = 100_000
)

// DecodeError is a problem with a conversation or a request: where it is and
// what is wrong.
type DecodeError struct {
	// Path names the value at fault, as in messages[3].content[1].type; it is
	// empty for a syntax error or a problem with the document as a whole.
	Path string
	// Line and Col are 1-based and count bytes; both are 0 when unknown.
	Line, Col int
	Msg       string
}

// Error formats the problem as "line:col: path: message", leaving out the
// parts that are unknown, so that a caller can prefix a file name.
func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Col)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Conversation is a decoded and validated list of chat messages.
type Conversation struct {
	Messages []Message
	// Request is the enclosing chat request when the input was a request
	// object, and nil when it was a bare array of messages. Its Messages
	// field holds the same messages.
	Request *ChatRequest
}

// MarshalJSON writes the conversation in the form it was read: the request
// with Messages in place of its own, or a bare array.
func (c Conversation) MarshalJSON() ([]byte, error) {
	if c.Request != nil {
		r := *c.Request
		r.Messages = c.Messages
		return r.MarshalJSON()
	}
	if c.Messages == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(c.Messages)
}

// DecodeConversation decodes a conversation from either a chat request
// object (with "messages") or a bare JSON array of messages, and validates
// it: every role is known; content is a string, null only where allowed, or
// an array of parts of known types that the role may send; tool calls have an
// id, a known type and a function name; every tool message answers a tool
// call of an earlier assistant message. Members it does not know are kept.
//
// It stops at the first problem and returns it as a *DecodeError whose path
// names messages as messages[i] in both forms. Input nested deeper than
// MaxDepth or holding more than MaxMessages messages is rejected.
func DecodeConversation(data []byte) (*Conversation, error) {
	// A byte order mark is skipped, and columns on line 1 count from after
	// it, as editors show them.
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	// Report whichever comes first: a syntax error or too deep a nesting.
	deep, synOff, synErr := checkSyntaxDepth(data, MaxDepth)
	if deep >= 0 && (synErr == nil || deep < synOff) {
		line, col := position(data, deep)
		return nil, &DecodeError{Line: line, Col: col, Msg: fmt.Sprintf("nesting deeper than %d levels", MaxDepth)}
	}
	if synErr != nil {
		line, col := position(data, synOff)
		return nil, &DecodeError{Line: line, Col: col, Msg: syntaxMessage(synErr)}
	}
	d := &decoder{data: data, strict: true}
	n := rootNode(data)
	switch n.raw[0] {
	case '[':
		n.path = "messages"
		msgs, err := d.messages(n)
		if err != nil {
			return nil, err
		}
		return &Conversation{Messages: msgs}, nil
	case '{':
		req, hasMessages, err := d.request(n)
		if err != nil {
			return nil, err
		}
		if !hasMessages {
			if _, isMessage := req.Extra["role"]; isMessage {
				return nil, d.errorf(n, "want a chat request with messages or an array of messages, got a single message")
			}
			return nil, d.errorf(node{off: n.off, path: "messages"}, "required")
		}
		return &Conversation{Messages: req.Messages, Request: req}, nil
	}
	return nil, d.errorf(n, "want a chat request object or an array of messages, got %s", n.kind())
}

func syntaxMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// decoder decodes the values of one document. In strict mode it also
// validates them as DecodeConversation documents.
type decoder struct {
	data   []byte
	strict bool
	// callIDs holds the tool call IDs of the assistant messages decoded so
	// far (strict mode only).
	callIDs map[string]bool
}

// newDecoder checks that data is one JSON value and returns a decoder for it
// with the node of that value.
func newDecoder(data []byte, strict bool) (*decoder, node, error) {
	if off, err := checkSyntax(data); err != nil {
		line, col := position(data, off)
		return nil, node{}, &DecodeError{Line: line, Col: col, Msg: syntaxMessage(err)}
	}
	return &decoder{data: data, strict: strict}, rootNode(data), nil
}

// rootNode returns the node of the one value in data, which must be valid.
func rootNode(data []byte) node {
	start := skipSpace(data, 0)
	end := len(data)
	for end > start && isSpace(data[end-1]) {
		end--
	}
	return node{raw: data[start:end], off: start}
}

func (d *decoder) errorf(n node, format string, args ...any) error {
	line, col := position(d.data, n.off)
	return &DecodeError{Path: n.path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// want reports a value of the wrong JSON type.
func (d *decoder) want(n node, what string) error {
	return d.errorf(n, "want %s, got %s", what, n.kind())
}

// missing reports a required member key absent from the object at n.
func (d *decoder) missing(n node, key string) error {
	return d.errorf(node{off: n.off, path: joinKey(n.path, key)}, "required")
}

func (d *decoder) malformed(n node) error {
	return d.errorf(n, "%v", errMalformed)
}

// object splits the object at n into its members, in document order.
func (d *decoder) object(n node) ([]member, error) {
	if n.raw[0] != '{' {
		return nil, d.want(n, "an object")
	}
	b := n.raw
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == '}' {
		return nil, nil
	}
	var ms []member
	for {
		end, err := skipString(b, i)
		if err != nil {
			return nil, d.malformed(n)
		}
		key, err := unquote(b[i:end])
		if err != nil {
			return nil, d.malformed(n)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, d.malformed(n)
		}
		i = skipSpace(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return nil, d.malformed(n)
		}
		ms = append(ms, member{key: key, node: node{raw: b[i:vend], off: n.off + i, path: joinKey(n.path, key)}})
		i = skipSpace(b, vend)
		if i >= len(b) {
			return nil, d.malformed(n)
		}
		switch b[i] {
		case '}':
			return ms, nil
		case ',':
			i = skipSpace(b, i+1)
		default:
			return nil, d.malformed(n)
		}
	}
}

// array splits the array at n into its elements. With limit > 0 it fails
// at the element past the limit, naming the elements noun.
func (d *decoder) array(n node, limit int, noun string) ([]node, error) {
	if n.raw[0] != '[' {
		return nil, d.want(n, "an array")
	}
	b := n.raw
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		return nil, nil
	}
	var out []node
	for {
		if limit > 0 && len(out) == limit {
			return nil, d.errorf(node{off: n.off + i, path: n.path}, "more than %d %s", limit, noun)
		}
		end, err := skipValue(b, i)
		if err != nil {
			return nil, d.malformed(n)
		}
		out = append(out, node{raw: b[i:end], off: n.off + i, path: joinIndex(n.path, len(out))})
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, d.malformed(n)
		}
		switch b[i] {
		case ']':
			return out, nil
		case ',':
			i = skipSpace(b, i+1)
		default:
			return nil, d.malformed(n)
		}
	}
}

// str decodes a string; null is the empty string.
func (d *decoder) str(n node) (string, error) {
	switch n.raw[0] {
	case 'n':
		return "", nil
	case '"':
		s, err := unquote(n.raw)
		if err != nil {
			return "", d.malformed(n)
		}
		return s, nil
	}
	return "", d.want(n, "a string")
}

// optStr decodes a string that may be null.
func (d *decoder) optStr(n node) (*string, error) {
	if n.isNull() {
		return nil, nil
	}
	s, err := d.str(n)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// isString reports whether n holds a string; strict mode uses it to tell a
// present member from a null one.
func isString(n node) bool { return n.raw[0] == '"' }

// into decodes n into v with encoding/json, turning its errors into
// DecodeErrors at n.
func (d *decoder) into(n node, v any) error {
	err := json.Unmarshal(n.raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		at := n
		if te.Field != "" {
			at.path = joinKey(n.path, te.Field)
			// Offset is just past a mismatched literal, or just past the
			// opening bracket of a mismatched object or array.
			if te.Offset > 0 && int(te.Offset) <= len(n.raw) {
				at.off = n.off + int(te.Offset) - 1
			}
		}
		return d.errorf(at, "want %s, got %s", kindOf(te.Type), strings.Replace(te.Value, "bool", "boolean", 1))
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return d.errorf(n, "%s", de.Msg)
	}
	return d.errorf(n, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// kindOf names the JSON type that decodes into t.
func kindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

func rawCopy(b []byte) json.RawMessage { return append(json.RawMessage(nil), b...) }

func addExtra(extra *map[string]json.RawMessage, mb member) {
	if *extra == nil {
		*extra = make(map[string]json.RawMessage)
	}
	(*extra)[mb.key] = rawCopy(mb.raw)
}

// request decodes a chat request and reports whether it had messages.
func (d *decoder) request(n node) (*ChatRequest, bool, error) {
	ms, err := d.object(n)
	if err != nil {
		return nil, false, err
	}
	r := &ChatRequest{}
	hasMessages := false
	for _, mb := range ms {
		switch mb.key {
		case "model":
			r.Model, err = d.str(mb.node)
		case "messages":
			hasMessages = true
			r.Messages, err = d.messages(mb.node)
		case "stream":
			err = d.into(mb.node, &r.Stream)
		case "stream_options":
			err = d.into(mb.node, &r.StreamOptions)
		case "tools":
			r.Tools, err = d.tools(mb.node)
		case "tool_choice":
			err = d.into(mb.node, &r.ToolChoice)
		case "response_format":
			err = d.into(mb.node, &r.ResponseFormat)
		case "n":
			err = d.into(mb.node, &r.N)
		case "temperature":
			err = d.into(mb.node, &r.Temperature)
		case "max_tokens":
			err = d.into(mb.node, &r.MaxTokens)
		case "max_completion_tokens":
			err = d.into(mb.node, &r.MaxCompletionTokens)
		case "user":
			r.User, err = d.str(mb.node)
		default:
			addExtra(&r.Extra, mb)
		}
		if err != nil {
			return nil, false, err
		}
	}
	if len(r.Tools) == 0 {
		r.Tools = nil // an empty list means no tools, and is written as none
	}
	return r, hasMessages, nil
}

// tools decodes a request's tools one by one, so that an error names the
// tool.
func (d *decoder) tools(n node) ([]Tool, error) {
	if n.isNull() {
		return nil, nil
	}
	nodes, err := d.array(n, 0, "")
	if err != nil {
		return nil, err
	}
	var out []Tool
	for _, en := range nodes {
		var t Tool
		if err := d.into(en, &t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// messages decodes an array of messages.
func (d *decoder) messages(n node) ([]Message, error) {
	if n.isNull() && !d.strict {
		return nil, nil
	}
	limit := 0
	if d.strict {
		limit = MaxMessages
		d.callIDs = nil // only the calls of this list count, should messages be given twice
	}
	nodes, err := d.array(n, limit, "messages")
	if err != nil {
		return nil, err
	}
	if d.strict && len(nodes) == 0 {
		return nil, d.errorf(n, "at least one message is required")
	}
	var out []Message
	if len(nodes) > 0 {
		out = make([]Message, 0, len(nodes))
	}
	for _, en := range nodes {
		m, err := d.message(en)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// roleParts lists the roles and the content part types each may send.
var roleParts = map[string][]string{
	RoleSystem:    {PartText},
	RoleDeveloper: {PartText},
	RoleUser:      {PartText, PartImageURL, PartInputAudio, PartFile},
	RoleAssistant: {PartText, PartRefusal},
	RoleTool:      {PartText},
	RoleFunction:  nil, // a string or null only
}

const knownRoles = "system, developer, user, assistant, tool, function"

// message decodes one message and, in strict mode, validates it against the
// messages before it.
func (d *decoder) message(n node) (Message, error) {
	ms, err := d.object(n)
	if err != nil {
		return Message{}, err
	}
	var m Message
	// Where each known member was, for strict checks; zero when absent.
	var roleN, contentN, callsN, callIDN, fnCallN node
	var partTypes []node
	var callIDNodes []node
	for _, mb := range ms {
		switch mb.key {
		case "role":
			roleN = mb.node
			m.Role, err = d.str(mb.node)
		case "content":
			contentN = mb.node
			m.Content, partTypes, err = d.content(mb.node)
		case "name":
			m.Name, err = d.str(mb.node)
		case "tool_calls":
			callsN = mb.node
			m.ToolCalls, callIDNodes, err = d.toolCalls(mb.node)
		case "tool_call_id":
			callIDN = mb.node
			m.ToolCallID, err = d.str(mb.node)
		case "refusal":
			m.Refusal, err = d.optStr(mb.node)
		case "function_call":
			fnCallN = mb.node
			if !mb.isNull() {
				var fc FunctionCall
				fc, err = d.functionCall(mb.node)
				m.FunctionCall = &fc
			} else {
				m.FunctionCall = nil
			}
		default:
			addExtra(&m.Extra, mb)
		}
		if err != nil {
			return Message{}, err
		}
	}
	if !d.strict {
		return m, nil
	}
	return m, d.checkMessage(n, &m, msgNodes{role: roleN, content: contentN, calls: callsN, callID: callIDN,
		fnCall: fnCallN, partTypes: partTypes, callIDs: callIDNodes})
}

type msgNodes struct {
	role, content, calls, callID, fnCall node
	partTypes                            []node // the type member of each content part
	callIDs                              []node // the id member of each tool call
}

func (d *decoder) checkMessage(n node, m *Message, at msgNodes) error {
	if at.role.raw == nil || m.Role == "" {
		return d.missing(n, "role")
	}
	allowed, ok := roleParts[m.Role]
	if !ok {
		return d.errorf(at.role, "unknown role %q (want %s)", m.Role, knownRoles)
	}

	// Content.
	switch m.Content.Kind {
	case ContentNull:
		contentAt := node{off: n.off, path: joinKey(n.path, "content")}
		if at.content.raw != nil {
			contentAt.off = at.content.off
		}
		switch m.Role {
		case RoleAssistant:
			_, audio := m.Extra["audio"]
			if len(m.ToolCalls) == 0 && m.FunctionCall == nil && m.Refusal == nil && !audio {
				return d.errorf(contentAt, "required for an assistant message without tool_calls, function_call or refusal")
			}
		case RoleFunction:
		default:
			return d.errorf(contentAt, "required for a %s message", m.Role)
		}
	case ContentParts:
		if m.Role == RoleFunction {
			return d.errorf(at.content, "want a string or null in a function message, got array")
		}
		if len(m.Content.Parts) == 0 {
			return d.errorf(at.content, "at least one content part is required")
		}
		for i, p := range m.Content.Parts {
			if !contains(allowed, p.Type) {
				return d.errorf(at.partTypes[i], "content part type %q is not allowed for role %q (want %s)",
					p.Type, m.Role, strings.Join(allowed, ", "))
			}
		}
	}

	// Names and calls.
	if m.Role == RoleFunction && m.Name == "" {
		return d.missing(n, "name")
	}
	if len(m.ToolCalls) > 0 && m.Role != RoleAssistant {
		return d.errorf(at.calls, "only an assistant message may have tool_calls")
	}
	if m.FunctionCall != nil && m.Role != RoleAssistant {
		return d.errorf(at.fnCall, "only an assistant message may have a function_call")
	}
	seen := make(map[string]bool, len(m.ToolCalls))
	for i, c := range m.ToolCalls {
		if seen[c.ID] {
			return d.errorf(at.callIDs[i], "duplicate tool call id %q", c.ID)
		}
		seen[c.ID] = true
	}
	switch {
	case m.Role == RoleTool && m.ToolCallID == "":
		return d.missing(n, "tool_call_id")
	case m.Role == RoleTool && !d.callIDs[m.ToolCallID]:
		return d.errorf(at.callID, "%q does not answer a tool call of an earlier assistant message", m.ToolCallID)
	case m.Role != RoleTool && m.ToolCallID != "":
		return d.errorf(at.callID, "only a tool message may have a tool_call_id")
	}
	if len(m.ToolCalls) > 0 && d.callIDs == nil {
		d.callIDs = make(map[string]bool)
	}
	for _, c := range m.ToolCalls {
		d.callIDs[c.ID] = true
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// content decodes a message's content and returns, for array content, the
// node of each part's type member (or of the part when it has none).
func (d *decoder) content(n node) (Content, []node, error) {
	switch n.raw[0] {
	case 'n':
		return Content{}, nil, nil
	case '"':
		s, err := d.str(n)
		return TextContent(s), nil, err
	case '[':
		nodes, err := d.array(n, 0, "")
		if err != nil {
			return Content{}, nil, err
		}
		c := Content{Kind: ContentParts}
		var types []node
		if len(nodes) > 0 {
			c.Parts = make([]ContentPart, 0, len(nodes))
			types = make([]node, 0, len(nodes))
		}
		for _, en := range nodes {
			p, tn, err := d.part(en)
			if err != nil {
				return Content{}, nil, err
			}
			c.Parts = append(c.Parts, p)
			types = append(types, tn)
		}
		return c, types, nil
	}
	return Content{}, nil, d.errorf(n, "want a string, null or an array of content parts, got %s", n.kind())
}

const knownParts = "text, image_url, input_audio, file, refusal"

// part decodes one content part and returns the node of its type member.
func (d *decoder) part(n node) (ContentPart, node, error) {
	ms, err := d.object(n)
	if err != nil {
		return ContentPart{}, node{}, err
	}
	var p ContentPart
	typeN := n
	var hasType, hasText, hasRefusal bool
	var imageN, audioN, fileN node
	for _, mb := range ms {
		switch mb.key {
		case "type":
			typeN, hasType = mb.node, isString(mb.node)
			p.Type, err = d.str(mb.node)
		case "text":
			hasText = isString(mb.node)
			p.Text, err = d.str(mb.node)
		case "refusal":
			hasRefusal = isString(mb.node)
			p.Refusal, err = d.str(mb.node)
		case "image_url":
			imageN = mb.node
			p.ImageURL = nil
			if !mb.isNull() {
				p.ImageURL = new(ImageURL)
				err = d.fields(mb.node, map[string]*string{"url": &p.ImageURL.URL, "detail": &p.ImageURL.Detail})
			}
		case "input_audio":
			audioN = mb.node
			p.InputAudio = nil
			if !mb.isNull() {
				p.InputAudio = new(InputAudio)
				err = d.fields(mb.node, map[string]*string{"data": &p.InputAudio.Data, "format": &p.InputAudio.Format})
			}
		case "file":
			fileN = mb.node
			p.File = nil
			if !mb.isNull() {
				p.File = new(File)
				err = d.fields(mb.node, map[string]*string{
					"file_data": &p.File.FileData, "file_id": &p.File.FileID, "filename": &p.File.Filename})
			}
		default:
			addExtra(&p.Extra, mb)
		}
		if err != nil {
			return ContentPart{}, node{}, err
		}
	}
	if !d.strict {
		return p, typeN, nil
	}
	if !hasType || p.Type == "" {
		return p, typeN, d.missing(n, "type")
	}
	switch p.Type {
	case PartText:
		if !hasText {
			return p, typeN, d.missing(n, "text")
		}
	case PartRefusal:
		if !hasRefusal {
			return p, typeN, d.missing(n, "refusal")
		}
	case PartImageURL:
		switch {
		case p.ImageURL == nil:
			return p, typeN, d.missing(n, "image_url")
		case p.ImageURL.URL == "":
			return p, typeN, d.missing(imageN, "url")
		case p.ImageURL.Detail != "" && !contains([]string{"auto", "low", "high"}, p.ImageURL.Detail):
			return p, typeN, d.errorf(node{off: imageN.off, path: joinKey(imageN.path, "detail")},
				"unknown detail %q (want auto, low, high)", p.ImageURL.Detail)
		}
	case PartInputAudio:
		switch {
		case p.InputAudio == nil:
			return p, typeN, d.missing(n, "input_audio")
		case p.InputAudio.Data == "":
			return p, typeN, d.missing(audioN, "data")
		case p.InputAudio.Format == "":
			return p, typeN, d.missing(audioN, "format")
		}
	case PartFile:
		switch {
		case p.File == nil:
			return p, typeN, d.missing(n, "file")
		case p.File.FileData == "" && p.File.FileID == "":
			return p, typeN, d.errorf(fileN, "want file_data or file_id")
		}
	default:
		return p, typeN, d.errorf(typeN, "unknown content part type %q (want %s)", p.Type, knownParts)
	}
	return p, typeN, nil
}

// fields decodes an object of string members into dst by key; other members
// are ignored.
func (d *decoder) fields(n node, dst map[string]*string) error {
	ms, err := d.object(n)
	if err != nil {
		return err
	}
	for _, mb := range ms {
		if p, ok := dst[mb.key]; ok {
			if *p, err = d.str(mb.node); err != nil {
				return err
			}
		}
	}
	return nil
}

// toolCalls decodes an assistant message's tool_calls and returns the node
// of each call's id member (or of the call when it has none).
func (d *decoder) toolCalls(n node) ([]ToolCall, []node, error) {
	if n.isNull() {
		return nil, nil, nil
	}
	nodes, err := d.array(n, 0, "")
	if err != nil {
		return nil, nil, err
	}
	var calls []ToolCall
	var ids []node
	for _, en := range nodes {
		c, idN, err := d.toolCall(en)
		if err != nil {
			return nil, nil, err
		}
		calls = append(calls, c)
		ids = append(ids, idN)
	}
	return calls, ids, nil
}

func (d *decoder) toolCall(n node) (ToolCall, node, error) {
	ms, err := d.object(n)
	if err != nil {
		return ToolCall{}, node{}, err
	}
	var c ToolCall
	idN, typeN := n, n
	var hasFunction bool
	for _, mb := range ms {
		switch mb.key {
		case "id":
			idN = mb.node
			c.ID, err = d.str(mb.node)
		case "type":
			typeN = mb.node
			c.Type, err = d.str(mb.node)
		case "function":
			hasFunction = !mb.isNull()
			c.Function = FunctionCall{}
			if hasFunction {
				c.Function, err = d.functionCall(mb.node)
			}
		case "custom":
			c.Custom = nil
			if !mb.isNull() {
				c.Custom, err = d.customCall(mb.node)
			}
		}
		if err != nil {
			return ToolCall{}, node{}, err
		}
	}
	if !d.strict {
		return c, idN, nil
	}
	switch {
	case c.ID == "":
		return c, idN, d.missing(n, "id")
	case c.Type == "":
		return c, idN, d.missing(n, "type")
	case c.Type == ToolFunction && !hasFunction:
		return c, idN, d.missing(n, "function")
	case c.Type == ToolCustom && c.Custom == nil:
		return c, idN, d.missing(n, "custom")
	case c.Type != ToolFunction && c.Type != ToolCustom:
		return c, idN, d.errorf(typeN, "unknown tool call type %q (want function, custom)", c.Type)
	}
	return c, idN, nil
}

// functionCall decodes {name, arguments}; in strict mode both are required.
func (d *decoder) functionCall(n node) (FunctionCall, error) {
	ms, err := d.object(n)
	if err != nil {
		return FunctionCall{}, err
	}
	var fc FunctionCall
	hasArgs := false
	for _, mb := range ms {
		switch mb.key {
		case "name":
			fc.Name, err = d.str(mb.node)
		case "arguments":
			hasArgs = isString(mb.node)
			fc.Arguments, err = d.str(mb.node)
		}
		if err != nil {
			return FunctionCall{}, err
		}
	}
	if d.strict {
		if fc.Name == "" {
			return fc, d.missing(n, "name")
		}
		if !hasArgs {
			return fc, d.missing(n, "arguments")
		}
	}
	return fc, nil
}

// customCall decodes {name, input}; in strict mode both are required.
func (d *decoder) customCall(n node) (*CustomToolCall, error) {
	ms, err := d.object(n)
	if err != nil {
		return nil, err
	}
	c := &CustomToolCall{}
	hasInput := false
	for _, mb := range ms {
		switch mb.key {
		case "name":
			c.Name, err = d.str(mb.node)
		case "input":
			hasInput = isString(mb.node)
			c.Input, err = d.str(mb.node)
		}
		if err != nil {
			return nil, err
		}
	}
	if d.strict {
		if c.Name == "" {
			return c, d.missing(n, "name")
		}
		if !hasInput {
			return c, d.missing(n, "input")
		}
	}
	return c, nil
}
