// Package fakeanthropic is a fake Anthropic Messages API for tests: POST
// /v1/messages, answered with JSON or, when the request streams, with
// server-sent events in the API's event sequence, in the wire format of
// package anthropic, with behaviour picked by request headers.
//
// It is for tests only. It must never call out to the network: it answers
// from the request alone, and Start listens on a loopback address. It uses
// the wire types of internal/anthropic and defines none of its own.
//
// A request is checked as the API checks it, so that a test sees the 4xx a
// real upstream would give a bad translation: an x-api-key header (equal to
// Options.APIKey when that is set; 401 authentication_error), an
// anthropic-version header the API knows (400), and a JSON body with a
// model, max_tokens, at least one message, the roles user and assistant,
// no empty text block, temperature within 0 to 1, tool results first in
// their message and each answering a tool_use of the message before, every
// tool_use answered in the next message, and no trailing white space in a
// last assistant message (400 invalid_request_error).
//
// The reply is the text of the last user message (the content of its tool
// results when it has no text), unless Options.Reply or X-Fake-Reply says
// otherwise. When that text starts with "TOOL:", the reply calls a tool:
//
//	TOOL: get_weather {"city": "Paris"}   calls get_weather with that input
//	TOOL:                                 calls the first tool declared, with {}
//
// and the tool must be declared. stop_sequences cut the reply (stop_reason
// stop_sequence) and max_tokens caps it at that many words (stop_reason
// max_tokens). Tokens are counted as words.
//
// Behaviour headers (all optional; a malformed value is a 400 naming it):
//
//	X-Fake-Status: 529        answer with this 4xx/5xx status and an Anthropic error
//	                          body of the type the API sends with it; a 429 and a
//	                          529 carry retry-after: 1
//	X-Fake-Reply: text        the reply
//	X-Fake-Latency: 50ms      wait before answering (the request's context cancels it)
//	X-Fake-Stream-Error: N    in a stream, send an overloaded_error error event in
//	                          place of event N (0 is message_start) and end
package fakeanthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelspec/modelspec/internal/anthropic"
)

// Behaviour headers.
const (
	HeaderStatus      = "X-Fake-Status"
	HeaderReply       = "X-Fake-Reply"
	HeaderLatency     = "X-Fake-Latency"
	HeaderStreamError = "X-Fake-Stream-Error"
)

// ToolPrefix starts a user message that asks for a tool call.
const ToolPrefix = "TOOL:"

// Limits.
const (
	MaxBody    = 32 << 20 // bytes of a request body, as the API's limit
	MaxLatency = 60 * time.Second
)

// Versions are the anthropic-version values accepted.
var Versions = []string{anthropic.Version, "2023-01-01"}

// ReplyFunc returns the text of the reply to a request.
type ReplyFunc func(req *anthropic.MessagesRequest) string

// Options configure a Server. The zero value accepts any API key and echoes
// the last user message.
type Options struct {
	// APIKey, when set, is the only x-api-key accepted.
	APIKey string
	// Reply makes the reply when the request has no X-Fake-Reply header;
	// nil means Echo.
	Reply ReplyFunc
}

// Echo replies with the text of the last user message, or with the text of
// its tool results when it has no text of its own.
func Echo(req *anthropic.MessagesRequest) string {
	text, _ := lastUser(req)
	return text
}

// lastUser returns the text of the last user message and whether that text
// came from its text blocks (rather than its tool results).
func lastUser(req *anthropic.MessagesRequest) (string, bool) {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		m := req.Messages[i]
		if m.Role != anthropic.RoleUser {
			continue
		}
		if t := m.Content.Text(); t != "" {
			return t, true
		}
		var results []string
		for _, b := range m.Content {
			if b.Type == anthropic.BlockToolResult {
				results = append(results, b.Content.Text())
			}
		}
		return strings.Join(results, "\n"), false
	}
	return "", false
}

// Recorded is a request the server accepted, with its headers.
type Recorded struct {
	Request anthropic.MessagesRequest
	Header  http.Header
}

// Counts are what a Server has seen. Every request counts in Requests and
// in at most one of the others.
type Counts struct {
	Requests int64 // every request, whatever its path
	Messages int64 // answered in full with JSON
	Streams  int64 // streamed to message_stop
	Injected int64 // errors injected by X-Fake-Status or X-Fake-Stream-Error
	Rejected int64 // refused: bad headers, bad body, wrong path
}

// Server is the fake API, an http.Handler. It is safe for concurrent use.
type Server struct {
	opts Options

	requests, messages, streams, injected, rejected, seq atomic.Int64

	mu   sync.Mutex
	last *Recorded
}

var _ http.Handler = (*Server)(nil)

// New returns a fake Anthropic API.
func New(opts Options) *Server {
	return &Server{opts: opts}
}

// Counts returns what the server has seen so far.
func (s *Server) Counts() Counts {
	return Counts{Requests: s.requests.Load(), Messages: s.messages.Load(), Streams: s.streams.Load(),
		Injected: s.injected.Load(), Rejected: s.rejected.Load()}
}

// Last returns the last request accepted, or nil.
func (s *Server) Last() *Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil
	}
	r := *s.last
	return &r
}

// ServeHTTP serves POST /v1/messages; anything else is a 404 (405 for
// another method on that path) in Anthropic's error shape.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.seq.Add(1)
	w.Header().Set(anthropic.HeaderRequestID, fmt.Sprintf("req_fake_%d", n))
	if r.URL.Path != anthropic.Path {
		s.reject(w, http.StatusNotFound, "Not found")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if status, msg := s.checkHeaders(r.Header); status != 0 {
		s.reject(w, status, msg)
		return
	}
	b, err := parseBehaviour(r.Header)
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	// Read the body first, so that the server notices a client that goes
	// away while it waits.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.reject(w, http.StatusRequestEntityTooLarge, "Request exceeds the maximum allowed number of bytes.")
			return
		}
		s.reject(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	if !sleep(r.Context(), b.latency) {
		return
	}
	if b.status != 0 {
		s.injected.Add(1)
		if b.status == http.StatusTooManyRequests || b.status == anthropic.StatusOverloaded {
			w.Header().Set("retry-after", "1")
		}
		writeError(w, b.status, injectedMessage(b.status))
		return
	}
	req, msg := decode(body)
	if msg != "" {
		s.reject(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	s.last = &Recorded{Request: *req, Header: r.Header.Clone()}
	s.mu.Unlock()
	resp, err := s.respond(req, b, n)
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.Stream {
		s.stream(w, r, resp, b)
		return
	}
	s.messages.Add(1)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) reject(w http.ResponseWriter, status int, msg string) {
	s.rejected.Add(1)
	writeError(w, status, msg)
}

func (s *Server) checkHeaders(h http.Header) (int, string) {
	key := h.Get(anthropic.HeaderAPIKey)
	switch {
	case key == "":
		return http.StatusUnauthorized, "x-api-key header is required"
	case s.opts.APIKey != "" && key != s.opts.APIKey:
		return http.StatusUnauthorized, "invalid x-api-key"
	}
	v := h.Get(anthropic.HeaderVersion)
	if v == "" {
		return http.StatusBadRequest, "anthropic-version: header is required"
	}
	for _, known := range Versions {
		if v == known {
			return 0, ""
		}
	}
	return http.StatusBadRequest, fmt.Sprintf("anthropic-version: %q is not a valid version", v)
}

type behaviour struct {
	status      int
	reply       *string
	latency     time.Duration
	streamError int // -1 for none
}

func parseBehaviour(h http.Header) (behaviour, error) {
	b := behaviour{streamError: -1}
	if v := h.Get(HeaderStatus); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 400 || n > 599 {
			return b, fmt.Errorf("%s: want a status from 400 to 599, got %q", HeaderStatus, v)
		}
		b.status = n
	}
	if vs, ok := h[http.CanonicalHeaderKey(HeaderReply)]; ok && len(vs) > 0 {
		b.reply = &vs[0]
	}
	if v := h.Get(HeaderLatency); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > MaxLatency {
			return b, fmt.Errorf("%s: want a duration from 0 to %s, got %q", HeaderLatency, MaxLatency, v)
		}
		b.latency = d
	}
	if v := h.Get(HeaderStreamError); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return b, fmt.Errorf("%s: want an event number from 0, got %q", HeaderStreamError, v)
		}
		b.streamError = n
	}
	return b, nil
}

func injectedMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Number of requests has exceeded your per-minute rate limit"
	case http.StatusInternalServerError:
		return "Internal server error"
	case anthropic.StatusOverloaded:
		return "Overloaded"
	}
	return fmt.Sprintf("fake error %d", status)
}

// decode decodes and checks a body; it returns what the API would object
// to, or "".
func decode(body []byte) (*anthropic.MessagesRequest, string) {
	var req anthropic.MessagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, "There was an error parsing the body of your request: " + err.Error()
	}
	var present struct {
		MaxTokens *int `json:"max_tokens"`
	}
	_ = json.Unmarshal(body, &present)
	if msg := check(&req, present.MaxTokens != nil); msg != "" {
		return nil, msg
	}
	return &req, ""
}

// check returns what the API would object to in req, or "".
func check(req *anthropic.MessagesRequest, hasMaxTokens bool) string {
	switch {
	case req.Model == "":
		return "model: Field required"
	case !hasMaxTokens:
		return "max_tokens: Field required"
	case req.MaxTokens < 0:
		return "max_tokens: Input should be greater than or equal to 0"
	case len(req.Messages) == 0:
		return "messages: at least one message is required"
	case req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 1):
		return "temperature: Input should be between 0 and 1"
	}
	for i, b := range req.System {
		if b.Type != anthropic.BlockText {
			return fmt.Sprintf("system.%d.type: Input should be 'text'", i)
		}
	}
	var pending map[string]bool // tool_use ids of the message before, to be answered
	for i, m := range req.Messages {
		if m.Role != anthropic.RoleUser && m.Role != anthropic.RoleAssistant {
			return fmt.Sprintf("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		if len(m.Content) == 0 && !(i == len(req.Messages)-1 && m.Role == anthropic.RoleAssistant) {
			return fmt.Sprintf("messages.%d: all messages must have non-empty content except for the optional final assistant message", i)
		}
		answered := map[string]bool{}
		uses := map[string]bool{}
		others := false
		for j, b := range m.Content {
			switch b.Type {
			case anthropic.BlockText:
				if strings.TrimSpace(b.Text) == "" {
					return "messages: text content blocks must contain non-whitespace text"
				}
				others = true
			case anthropic.BlockToolResult:
				if m.Role != anthropic.RoleUser {
					return fmt.Sprintf("messages.%d.content.%d: tool_result blocks are only allowed in user messages", i, j)
				}
				if others {
					return fmt.Sprintf("messages.%d: tool_result blocks must come first in the content, before any other block", i)
				}
				if !pending[b.ToolUseID] {
					return fmt.Sprintf("messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s. "+
						"Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", i, j, b.ToolUseID)
				}
				answered[b.ToolUseID] = true
			case anthropic.BlockToolUse:
				if m.Role != anthropic.RoleAssistant {
					return fmt.Sprintf("messages.%d.content.%d: tool_use blocks are only allowed in assistant messages", i, j)
				}
				if b.ID == "" || !validID(b.ID) {
					return fmt.Sprintf("messages.%d.content.%d.id: String should match pattern '^[a-zA-Z0-9_-]+$'", i, j)
				}
				var input map[string]any
				if json.Unmarshal(b.Input, &input) != nil || input == nil {
					return fmt.Sprintf("messages.%d.content.%d.input: Input should be a valid dictionary", i, j)
				}
				uses[b.ID] = true
				others = true
			case anthropic.BlockImage, anthropic.BlockDocument:
				if b.Source == nil || (b.Source.Type != anthropic.SourceBase64 && b.Source.Type != anthropic.SourceURL) {
					return fmt.Sprintf("messages.%d.content.%d.source: Field required", i, j)
				}
				others = true
			default:
				others = true
			}
		}
		var missing []string
		for id := range pending {
			if !answered[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return fmt.Sprintf("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. "+
				"Each `tool_use` block must have a corresponding `tool_result` block in the next message.", i-1, strings.Join(missing, ", "))
		}
		pending = uses
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role == anthropic.RoleAssistant && len(last.Content) > 0 {
		if b := last.Content[len(last.Content)-1]; b.Type == anthropic.BlockText && strings.TrimRight(b.Text, " \t\r\n") != b.Text {
			return "messages: final assistant content cannot end with trailing whitespace"
		}
	}
	return ""
}

func validID(id string) bool {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// respond makes the message that answers req.
func (s *Server) respond(req *anthropic.MessagesRequest, b behaviour, n int64) (*anthropic.MessagesResponse, error) {
	resp := &anthropic.MessagesResponse{
		ID:         fmt.Sprintf("msg_fake_%d", n),
		Type:       "message",
		Role:       anthropic.RoleAssistant,
		Model:      req.Model,
		StopReason: anthropic.StopEndTurn,
		Usage:      anthropic.Usage{InputTokens: inputTokens(req)},
	}
	userText, fromText := lastUser(req)
	if b.reply == nil && fromText && strings.HasPrefix(userText, ToolPrefix) {
		call, err := toolCall(req, strings.TrimPrefix(userText, ToolPrefix), n)
		if err != nil {
			return nil, err
		}
		resp.Content = anthropic.Content{call}
		resp.StopReason = anthropic.StopToolUse
		resp.Usage.OutputTokens = 1 + len(strings.Fields(string(call.Input)))
		return resp, nil
	}
	var text string
	switch {
	case b.reply != nil:
		text = *b.reply
	case s.opts.Reply != nil:
		text = s.opts.Reply(req)
	default:
		text = Echo(req)
	}
	for _, seq := range req.StopSequences { // each cut shortens text, so the earliest match wins
		if i := strings.Index(text, seq); seq != "" && i >= 0 {
			text = text[:i]
			resp.StopReason = anthropic.StopSequence
			resp.StopSequence = seq
		}
	}
	words := splitWords(text)
	if len(words) > req.MaxTokens {
		words = words[:req.MaxTokens]
		text = strings.TrimRight(strings.Join(words, ""), " \t\r\n")
		resp.StopReason = anthropic.StopMaxTokens
		resp.StopSequence = ""
	}
	if text != "" {
		resp.Content = anthropic.TextContent(text)
	}
	resp.Usage.OutputTokens = len(words)
	return resp, nil
}

// toolCall makes the tool_use block that "TOOL: name {input}" asks for.
func toolCall(req *anthropic.MessagesRequest, spec string, n int64) (anthropic.ContentBlock, error) {
	spec = strings.TrimSpace(spec)
	name, input := spec, ""
	if i := strings.IndexAny(spec, " \t\n{"); i >= 0 {
		name, input = spec[:i], strings.TrimSpace(spec[i:])
	}
	if name == "" {
		if len(req.Tools) == 0 {
			return anthropic.ContentBlock{}, errors.New("fake: " + ToolPrefix + " asks for a tool call, but the request declares no tools")
		}
		name = req.Tools[0].Name
	}
	declared := false
	for _, t := range req.Tools {
		declared = declared || t.Name == name
	}
	if !declared {
		return anthropic.ContentBlock{}, fmt.Errorf("fake: %s asks to call %q, which the request does not declare", ToolPrefix, name)
	}
	if input == "" {
		input = "{}"
	}
	var compact bytes.Buffer
	var obj map[string]any
	if json.Unmarshal([]byte(input), &obj) != nil || obj == nil || json.Compact(&compact, []byte(input)) != nil {
		return anthropic.ContentBlock{}, fmt.Errorf("fake: %s input %q is not a JSON object", ToolPrefix, input)
	}
	return anthropic.ContentBlock{Type: anthropic.BlockToolUse, ID: fmt.Sprintf("toolu_fake_%d", n), Name: name, Input: compact.Bytes()}, nil
}

func inputTokens(req *anthropic.MessagesRequest) int {
	n := len(strings.Fields(req.System.Text()))
	for _, m := range req.Messages {
		n += len(strings.Fields(m.Content.Text()))
		for _, b := range m.Content {
			if b.Type == anthropic.BlockToolResult {
				n += len(strings.Fields(b.Content.Text()))
			}
		}
	}
	return max(n, 1)
}

// splitWords cuts text after each run of white space, so that the pieces
// join back into text.
func splitWords(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		if isSpace(text[i]) && (i+1 == len(text) || !isSpace(text[i+1])) {
			out = append(out, text[start:i+1])
			start = i + 1
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// stream sends resp as the API streams it, one text delta per word.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, resp *anthropic.MessagesResponse, b behaviour) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for i, ev := range anthropic.Events(resp, splitWords) {
		if i == b.streamError {
			s.injected.Add(1)
			ev = anthropic.StreamEvent{Type: anthropic.EventError,
				Error: &anthropic.Error{Type: anthropic.ErrorTypeOverloaded, Message: "Overloaded"}}
		}
		data, err := anthropic.MarshalSSE(ev)
		if err != nil {
			return
		}
		if _, err := w.Write(data); err != nil {
			return
		}
		_ = rc.Flush()
		if r.Context().Err() != nil || i == b.streamError {
			return
		}
	}
	s.streams.Add(1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(anthropic.NewErrorResponse(status, "fake: "+err.Error()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	e := anthropic.NewErrorResponse(status, msg)
	e.RequestID = w.Header().Get(anthropic.HeaderRequestID)
	writeJSON(w, status, e)
}
