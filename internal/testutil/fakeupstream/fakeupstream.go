// Package fakeupstream is a fake OpenAI-compatible server for tests: POST
// /v1/chat/completions (JSON, and server-sent events when "stream" is true)
// and GET /v1/models, in OpenAI's wire format, with faults injected by
// request headers so that each test picks the behaviour it needs without
// configuring the server (latency, chunking, error statuses, failures of the
// first N requests, dropped connections, malformed bodies, fixed replies).
//
// It is for tests and local tools only. It must never call out to the
// network: it answers from the request alone, and the helpers here and the
// command cmd/fakeupstream listen on loopback addresses only. It uses the
// project's wire types (internal/openai) and defines none of its own.
//
// Behaviour headers (all optional; a malformed value is a 400 naming it):
//
//	X-Fake-Latency: 50ms       wait before answering (the request's context cancels the wait)
//	X-Fake-Chunk-Delay: 5ms    wait before each streamed chunk after the first
//	X-Fake-Chunks: N           stream the reply in N content chunks (default: one per word)
//	X-Fake-Status: 429         answer with this 4xx/5xx status and an OpenAI error body;
//	                           a 429 carries Retry-After (whole seconds, rounded up) and
//	                           retry-after-ms, as OpenAI's do
//	X-Fake-Retry-After: 10ms   the delay a 429 asks for (default 1s); given, a 503
//	                           carries it too
//	X-Fake-Fail-First: N       fail the first N requests (of this X-Fake-Session) with
//	                           X-Fake-Status, or 500 without it, then succeed
//	X-Fake-Session: name       keys the X-Fake-Fail-First count (default: one for all)
//	X-Fake-Drop-After: N       drop the connection after N streamed events, or after N
//	                           bytes of a JSON body
//	X-Fake-Malformed: sse|json send a 200 whose stream (sse) or body (json) is broken
//	X-Fake-Reply: text         the reply (default: Options.Reply, else an echo of the
//	                           last user message)
package fakeupstream

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/openai"
)

// Behaviour headers.
const (
	HeaderLatency    = "X-Fake-Latency"
	HeaderChunkDelay = "X-Fake-Chunk-Delay"
	HeaderChunks     = "X-Fake-Chunks"
	HeaderStatus     = "X-Fake-Status"
	HeaderRetryAfter = "X-Fake-Retry-After"
	HeaderFailFirst  = "X-Fake-Fail-First"
	HeaderSession    = "X-Fake-Session"
	HeaderDropAfter  = "X-Fake-Drop-After"
	HeaderMalformed  = "X-Fake-Malformed"
	HeaderReply      = "X-Fake-Reply"
)

// Limits on what a request may ask for.
const (
	MaxBody    = 8 << 20          // bytes of a request body
	MaxLatency = 60 * time.Second // X-Fake-Latency, X-Fake-Chunk-Delay, X-Fake-Retry-After
	MaxChunks  = 100_000          // X-Fake-Chunks
)

// DefaultModel is the model listed by GET /v1/models when Options.Models is
// empty.
const DefaultModel = "fake-model"

// ReplyFunc returns the assistant's reply to a request.
type ReplyFunc func(req *openai.ChatRequest) string

// Options configure a Server. The zero value echoes the last user message.
type Options struct {
	// Reply makes the reply when the request has no X-Fake-Reply header;
	// nil means Echo.
	Reply ReplyFunc
	// Models are listed by GET /v1/models; empty means DefaultModel.
	// Completions accept any model name and answer with it.
	Models []string
	// APIKey, when set, is required as "Authorization: Bearer <APIKey>";
	// other requests get a 401 with code invalid_api_key.
	APIKey string
	// Now gives the "created" time of responses; nil means time.Now.
	Now func() time.Time
}

// Echo replies with the text of the last user message.
func Echo(req *openai.ChatRequest) string {
	return lastUser(req)
}

// Script replies with script[last user message], or fallback when the last
// user message is not in script.
func Script(script map[string]string, fallback string) ReplyFunc {
	return func(req *openai.ChatRequest) string {
		if r, ok := script[lastUser(req)]; ok {
			return r
		}
		return fallback
	}
}

// Fixed always replies with text.
func Fixed(text string) ReplyFunc {
	return func(*openai.ChatRequest) string { return text }
}

func lastUser(req *openai.ChatRequest) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == openai.RoleUser {
			return req.Messages[i].Text()
		}
	}
	return ""
}

// Counts are what a Server has seen, for assertions. Every request counts
// in Requests and in exactly one of the others.
type Counts struct {
	Requests    int64 // every request, whatever its path
	Completions int64 // chat completions answered in full with JSON
	Streams     int64 // chat completions streamed to [DONE]
	Models      int64 // GET /v1/models and /v1/models/{id} answered
	Injected    int64 // errors injected by X-Fake-Status or X-Fake-Fail-First
	Dropped     int64 // connections dropped by X-Fake-Drop-After
	Malformed   int64 // malformed answers sent for X-Fake-Malformed
	Rejected    int64 // requests refused: bad body, bad header, no key, wrong path
	Canceled    int64 // requests whose client went away before the answer was done
}

// Recorded is a chat request the server decoded, with its headers.
type Recorded struct {
	Request openai.ChatRequest
	Header  http.Header
}

// Server is the fake upstream, an http.Handler. It is safe for concurrent
// use.
type Server struct {
	opts Options
	mux  *http.ServeMux

	requests, completions, streams, models                 atomic.Int64
	injected, dropped, malformed, rejected, canceled, seqs atomic.Int64

	mu       sync.Mutex
	failures map[string]int64 // X-Fake-Session → requests failed by X-Fake-Fail-First
	last     *Recorded
}

var _ http.Handler = (*Server)(nil)

// New returns a fake upstream.
func New(opts Options) *Server {
	s := &Server{opts: opts, failures: map[string]int64{}}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("GET /v1/models", s.listModels)
	s.mux.HandleFunc("GET /v1/models/{id}", s.getModel)
	return s
}

// ServeHTTP serves the OpenAI routes; any other route is a 404 (405 for a
// known path with another method) with an OpenAI error body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.opts.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.APIKey {
		s.rejected.Add(1)
		writeError(w, openai.NewError(http.StatusUnauthorized, "Incorrect API key provided.").WithCode("invalid_api_key"), http.StatusUnauthorized)
		return
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.rejected.Add(1)
		// The mux answers 405 for a known path and 404 otherwise; keep
		// its status (and Allow header) but give an OpenAI body.
		rec := &statusOnly{header: w.Header()}
		h.ServeHTTP(rec, r)
		status := cmp.Or(rec.status, http.StatusNotFound)
		writeError(w, openai.NewError(status, fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path)), status)
		return
	}
	s.mux.ServeHTTP(w, r) // sets the path values that h reads

}

// statusOnly keeps the status the mux's fallback handler writes and drops
// its plain-text body.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(status int)      { s.status = status }

// Counts returns a snapshot of the counters.
func (s *Server) Counts() Counts {
	return Counts{
		Requests:    s.requests.Load(),
		Completions: s.completions.Load(),
		Streams:     s.streams.Load(),
		Models:      s.models.Load(),
		Injected:    s.injected.Load(),
		Dropped:     s.dropped.Load(),
		Malformed:   s.malformed.Load(),
		Rejected:    s.rejected.Load(),
		Canceled:    s.canceled.Load(),
	}
}

// Last returns the last chat request decoded, or nil before the first.
func (s *Server) Last() *Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil
	}
	c := *s.last
	return &c
}

// Reset zeroes the counters and the X-Fake-Fail-First counts and forgets
// the last request.
func (s *Server) Reset() {
	for _, c := range []*atomic.Int64{&s.requests, &s.completions, &s.streams, &s.models,
		&s.injected, &s.dropped, &s.malformed, &s.rejected, &s.canceled} {
		c.Store(0)
	}
	s.mu.Lock()
	s.failures = map[string]int64{}
	s.last = nil
	s.mu.Unlock()
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func (s *Server) modelIDs() []string {
	if len(s.opts.Models) == 0 {
		return []string{DefaultModel}
	}
	return s.opts.Models
}

// model is one entry of GET /v1/models.
type model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (s *Server) model(id string) model {
	return model{ID: id, Object: "model", Created: s.now().Unix(), OwnedBy: "modelspec"}
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	s.models.Add(1)
	ids := s.modelIDs()
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: make([]model, len(ids))}
	for i, id := range ids {
		list.Data[i] = s.model(id)
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, m := range s.modelIDs() {
		if m == id {
			s.models.Add(1)
			writeJSON(w, http.StatusOK, s.model(id))
			return
		}
	}
	s.rejected.Add(1)
	writeError(w, openai.NewError(http.StatusNotFound,
		fmt.Sprintf("The model '%s' does not exist or you do not have access to it.", id)).WithCode("model_not_found"), http.StatusNotFound)
}

// behaviour is what a request's X-Fake-* headers ask for.
type behaviour struct {
	latency, chunkDelay, retryAfter time.Duration
	retryAfterSet                   bool // X-Fake-Retry-After was given
	chunks                          int  // 0: one per word
	status                          int  // 0: none
	failFirst                       int64
	session                         string
	dropAfter                       int // -1: never
	malformed                       string
	reply                           *string
}

// headerError is a malformed X-Fake-* header.
type headerError struct{ name, msg string }

func (e *headerError) Error() string { return e.name + ": " + e.msg }

func parseBehaviour(h http.Header) (behaviour, error) {
	b := behaviour{dropAfter: -1, retryAfter: time.Second}
	dur := func(name string, dst *time.Duration) error {
		v := h.Get(name)
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			// A bare number is milliseconds.
			n, nerr := strconv.ParseInt(v, 10, 64)
			if nerr != nil {
				return &headerError{name, fmt.Sprintf("want a duration such as 50ms, got %q", v)}
			}
			d = time.Duration(n) * time.Millisecond
		}
		if d < 0 || d > MaxLatency {
			return &headerError{name, fmt.Sprintf("want a duration in [0, %v], got %q", MaxLatency, v)}
		}
		*dst = d
		return nil
	}
	num := func(name string, lo, hi int64, dst *int64) error {
		v := h.Get(name)
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < lo || n > hi {
			return &headerError{name, fmt.Sprintf("want an integer in [%d, %d], got %q", lo, hi, v)}
		}
		*dst = n
		return nil
	}
	var chunks, status, drop int64 = 0, 0, -1
	if err := errors.Join(
		dur(HeaderLatency, &b.latency),
		dur(HeaderChunkDelay, &b.chunkDelay),
		dur(HeaderRetryAfter, &b.retryAfter),
		num(HeaderChunks, 1, MaxChunks, &chunks),
		num(HeaderStatus, 400, 599, &status),
		num(HeaderFailFirst, 0, math.MaxInt32, &b.failFirst),
		num(HeaderDropAfter, 0, math.MaxInt32, &drop),
	); err != nil {
		return b, err
	}
	b.chunks, b.status, b.dropAfter = int(chunks), int(status), int(drop)
	b.session = h.Get(HeaderSession)
	b.retryAfterSet = h.Get(HeaderRetryAfter) != ""
	switch m := strings.ToLower(h.Get(HeaderMalformed)); m {
	case "", "sse", "json":
		b.malformed = m
	default:
		return b, &headerError{HeaderMalformed, fmt.Sprintf("want sse or json, got %q", m)}
	}
	if vs, ok := h[HeaderReply]; ok && len(vs) > 0 {
		b.reply = &vs[0]
	}
	return b, nil
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	b, err := parseBehaviour(r.Header)
	if err != nil {
		s.rejected.Add(1)
		var he *headerError
		errors.As(err, &he)
		writeError(w, openai.NewError(http.StatusBadRequest, err.Error()).WithParam(he.name), http.StatusBadRequest)
		return
	}
	req, status, apiErr := decodeRequest(w, r)
	if apiErr != nil {
		s.rejected.Add(1)
		writeError(w, *apiErr, status)
		return
	}
	s.mu.Lock()
	s.last = &Recorded{Request: *req, Header: r.Header.Clone()}
	s.mu.Unlock()

	if !sleep(r.Context(), b.latency) {
		s.canceled.Add(1)
		return
	}
	if status := s.injectedStatus(b); status != 0 {
		s.injected.Add(1)
		if status == http.StatusTooManyRequests || b.retryAfterSet && status == http.StatusServiceUnavailable {
			secs := int64(math.Ceil(b.retryAfter.Seconds()))
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			w.Header().Set("Retry-After-Ms", strconv.FormatInt(b.retryAfter.Milliseconds(), 10))
		}
		writeError(w, openai.NewError(status, injectedMessage(status)), status)
		return
	}

	text := s.reply(req, b)
	seq := s.seqs.Add(1)
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_fake%06d", seq))
	a := answer{
		id:      fmt.Sprintf("chatcmpl-fake%06d", seq),
		created: s.now().Unix(),
		model:   req.Model,
		n:       1,
	}
	if req.N != nil && *req.N > 1 {
		a.n = min(*req.N, 128)
	}
	a.pieces, a.finish = split(text, b.chunks, maxTokens(req))
	a.usage = usage(req, a.pieces, a.n)
	if req.Stream {
		s.stream(w, r, a, b, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	s.complete(w, a, b)
}

// decodeRequest reads and validates a chat request with the project's
// decoder, answering OpenAI's 400 for what it rejects.
func decodeRequest(w http.ResponseWriter, r *http.Request) (*openai.ChatRequest, int, *openai.ErrorResponse) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			e := openai.NewError(http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body larger than %d bytes.", MaxBody))
			return nil, http.StatusRequestEntityTooLarge, &e
		}
		e := openai.NewError(http.StatusBadRequest, "Could not read the request body: "+err.Error())
		return nil, http.StatusBadRequest, &e
	}
	conv, err := openai.DecodeConversation(body)
	if err != nil {
		e := openai.NewError(http.StatusBadRequest, "We could not parse the JSON body of your request: "+err.Error())
		var de *openai.DecodeError
		if errors.As(err, &de) && de.Path != "" {
			e = openai.NewError(http.StatusBadRequest, "Invalid request: "+err.Error()).WithParam(de.Path)
		}
		return nil, http.StatusBadRequest, &e
	}
	if conv.Request == nil {
		e := openai.NewError(http.StatusBadRequest, "Want a chat request object, got an array of messages.")
		return nil, http.StatusBadRequest, &e
	}
	req := conv.Request // DecodeConversation has checked the messages
	if req.Model == "" {
		e := openai.NewError(http.StatusBadRequest, "you must provide a model parameter").WithParam("model")
		return nil, http.StatusBadRequest, &e
	}
	return req, 0, nil
}

// injectedStatus returns the error status to answer with, or 0.
func (s *Server) injectedStatus(b behaviour) int {
	if b.failFirst > 0 {
		s.mu.Lock()
		n := s.failures[b.session]
		if n < b.failFirst {
			s.failures[b.session] = n + 1
		}
		s.mu.Unlock()
		if n < b.failFirst {
			return cmp.Or(b.status, http.StatusInternalServerError)
		}
		return 0
	}
	return b.status
}

func injectedMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Rate limit reached for requests (injected by X-Fake-Status)."
	case http.StatusServiceUnavailable:
		return "The server is overloaded or not ready yet (injected by X-Fake-Status)."
	}
	if status >= 500 {
		return "The server had an error while processing your request (injected by X-Fake-Status)."
	}
	return fmt.Sprintf("%s (injected by X-Fake-Status).", http.StatusText(status))
}

func (s *Server) reply(req *openai.ChatRequest, b behaviour) string {
	switch {
	case b.reply != nil:
		return *b.reply
	case s.opts.Reply != nil:
		return s.opts.Reply(req)
	}
	return Echo(req)
}

// answer is the reply to send, cut into pieces.
type answer struct {
	id, model string
	created   int64
	n         int      // choices, all with the same text
	pieces    []string // the reply, in stream chunks
	finish    string
	usage     openai.Usage
}

func (a answer) text() string { return strings.Join(a.pieces, "") }

func (s *Server) complete(w http.ResponseWriter, a answer, b behaviour) {
	if b.malformed == "json" {
		s.malformed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `{"id":%q,"object":"chat.completion","created":%d,"choices":[{"index":0,"message":{"role":"assistant","content":"%s`,
			a.id, a.created, jsonEscape(a.text()))
		return
	}
	text := a.text()
	c := openai.ChatCompletion{
		ID:                a.id,
		Object:            openai.ObjectChatCompletion,
		Created:           a.created,
		Model:             a.model,
		Usage:             &a.usage,
		ServiceTier:       "default",
		SystemFingerprint: "fp_fake",
	}
	for i := range a.n {
		c.Choices = append(c.Choices, openai.Choice{
			Index:        i,
			Message:      openai.Message{Role: openai.RoleAssistant, Content: openai.TextContent(text)},
			FinishReason: a.finish,
		})
	}
	body, err := json.Marshal(c)
	if err != nil {
		writeError(w, openai.NewError(http.StatusInternalServerError, err.Error()), http.StatusInternalServerError)
		return
	}
	if b.dropAfter >= 0 && b.dropAfter < len(body) {
		s.dropped.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:b.dropAfter])
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // the server closes the connection without logging
	}
	s.completions.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, a answer, b behaviour, includeUsage bool) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)

	sent := 0
	// emit writes one event; it reports false when the stream must stop.
	emit := func(data []byte) bool {
		if b.dropAfter >= 0 && sent >= b.dropAfter {
			s.dropped.Add(1)
			rc.Flush()
			panic(http.ErrAbortHandler) // the server resets the connection without logging
		}
		if sent > 0 && !sleep(r.Context(), b.chunkDelay) {
			s.canceled.Add(1)
			return false
		}
		if err := openai.WriteSSE(w, data); err != nil {
			s.canceled.Add(1)
			return false
		}
		if err := rc.Flush(); err != nil {
			s.canceled.Add(1)
			return false
		}
		sent++
		return true
	}
	chunk := func(choices []openai.ChunkChoice, u *openai.Usage) []byte {
		data, _ := json.Marshal(openai.ChatCompletionChunk{
			ID:                a.id,
			Object:            openai.ObjectChatCompletionChunk,
			Created:           a.created,
			Model:             a.model,
			Choices:           choices,
			Usage:             u,
			ServiceTier:       "default",
			SystemFingerprint: "fp_fake",
		})
		return data
	}
	empty := ""
	for i := range a.n {
		if !emit(chunk([]openai.ChunkChoice{{Index: i, Delta: openai.Delta{Role: openai.RoleAssistant, Content: &empty}}}, nil)) {
			return
		}
	}
	if b.malformed == "sse" {
		s.malformed.Add(1)
		// A truncated JSON object, then a line that is not a field,
		// then the end of the stream: a client must report an error.
		fmt.Fprintf(w, "data: {\"id\":%q,\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\n\nnot an sse line\n\n", a.id)
		openai.WriteSSE(w, []byte(openai.SSEDone))
		rc.Flush()
		return
	}
	for _, p := range a.pieces {
		for i := range a.n {
			content := p
			if !emit(chunk([]openai.ChunkChoice{{Index: i, Delta: openai.Delta{Content: &content}}}, nil)) {
				return
			}
		}
	}
	for i := range a.n {
		finish := a.finish
		if !emit(chunk([]openai.ChunkChoice{{Index: i, Delta: openai.Delta{}, FinishReason: &finish}}, nil)) {
			return
		}
	}
	if includeUsage {
		u := a.usage
		if !emit(chunk(nil, &u)) {
			return
		}
	}
	// Counted before [DONE] goes out, as a completion is before its body,
	// so that a client that has read [DONE] sees the count (counting after
	// the write raced with it); taken back when [DONE] cannot be written.
	s.streams.Add(1)
	if !emit([]byte(openai.SSEDone)) {
		s.streams.Add(-1)
	}
}

// split cuts text into chunks pieces of about the same number of runes, or
// into words (each with the spaces after it) when chunks is 0, keeping at
// most limit words when limit > 0. It returns the pieces and the finish
// reason: length when the limit cut the reply, stop otherwise.
func split(text string, chunks, limit int) ([]string, string) {
	finish := openai.FinishStop
	if limit > 0 {
		words := words(text)
		if len(words) > limit {
			text = strings.Join(words[:limit], "")
			finish = openai.FinishLength
		}
	}
	if chunks == 0 {
		return words(text), finish
	}
	runes := utf8.RuneCountInString(text)
	chunks = min(chunks, max(runes, 1))
	pieces := make([]string, 0, chunks)
	start, seen := 0, 0
	for i, k := 0, 1; i < len(text) && k < chunks; {
		_, w := utf8.DecodeRuneInString(text[i:])
		i += w
		seen++
		if seen >= k*runes/chunks {
			pieces = append(pieces, text[start:i])
			start = i
			k++
		}
	}
	pieces = append(pieces, text[start:])
	return pieces, finish
}

// words cuts text after each run of white space: "a b  c" → "a ", "b  ", "c".
func words(text string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range text {
		space := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if inSpace && !space {
			out = append(out, text[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func maxTokens(req *openai.ChatRequest) int {
	if req.MaxCompletionTokens != nil && *req.MaxCompletionTokens > 0 {
		return *req.MaxCompletionTokens
	}
	if req.MaxTokens != nil && *req.MaxTokens > 0 {
		return *req.MaxTokens
	}
	return 0
}

// usage counts words as tokens: a word per token of every message's text,
// and of the reply once per choice.
func usage(req *openai.ChatRequest, pieces []string, n int) openai.Usage {
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(strings.Fields(m.Text()))
	}
	completion := n * len(strings.Fields(strings.Join(pieces, "")))
	return openai.Usage{
		PromptTokens:            prompt,
		CompletionTokens:        completion,
		TotalTokens:             prompt + completion,
		PromptTokensDetails:     &openai.PromptTokensDetails{},
		CompletionTokensDetails: &openai.CompletionTokensDetails{},
	}
}

// sleep waits d or until ctx is done, reporting whether it waited in full.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
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
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(openai.NewError(status, err.Error()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writeError is the one place that writes an error status.
func writeError(w http.ResponseWriter, e openai.ErrorResponse, status int) {
	writeJSON(w, status, e)
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
