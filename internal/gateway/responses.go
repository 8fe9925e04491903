package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/modelspec/modelspec/internal/openai"
)

// responses serves POST /v1/responses by translation: the request becomes
// a chat completions request (openai.DecodeResponsesRequest), which runs
// through the same pipeline as POST /v1/chat/completions (authentication,
// rate limit, chain of command, screening, upstream, output screening,
// decision log), and what that pipeline writes is translated back into a
// Response object or the Responses streaming events by responsesWriter.
// Errors keep OpenAI's error shape, which the two APIs share.
func (s *Server) responses(w http.ResponseWriter, r *http.Request) {
	r, span := s.startRequest(r, "/v1/responses")
	defer endSpan(span) // the chat pipeline's span, inside it, has the outcome
	a, ok := s.authenticate(r)
	if !ok {
		s.chatCompletions(w, r) // answers the 401 and records it
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), r.ContentLength, s.cfg.MaxBodyBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.failEarly(w, r, a, openai.NewError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes (max_body_bytes)", s.cfg.MaxBodyBytes)).WithCode("request_too_large"))
			return
		}
		s.failEarly(w, r, a, openai.NewError(http.StatusBadRequest, "could not read the request body: "+err.Error()))
		return
	}
	req, err := openai.DecodeResponsesRequest(body)
	if err != nil {
		e := openai.NewError(http.StatusBadRequest, "invalid request: "+err.Error()).WithCode("invalid_request")
		var de *openai.DecodeError
		if errors.As(err, &de) && de.Path != "" {
			e = e.WithParam(de.Path)
		}
		s.failEarly(w, r, a, e)
		return
	}
	chatBody, err := req.Chat.AppendJSON(make([]byte, 0, len(body)+256))
	if err != nil {
		s.failEarly(w, r, a, openai.NewError(http.StatusInternalServerError, "could not encode the chat request: "+err.Error()))
		return
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(chatBody))
	r2.ContentLength = int64(len(chatBody))
	rw := &responsesWriter{w: w, rc: http.NewResponseController(w), req: req, now: s.deps.Now().Unix()}
	s.chatCompletions(rw, r2)
	rw.finish()
}

// failEarly answers and records a request that failed before it could be
// translated, as the chat pipeline records its own failures.
func (s *Server) failEarly(w http.ResponseWriter, r *http.Request, a *app, e openai.ErrorResponse) {
	rq := &request{s: s, start: s.deps.Now(), app: a}
	rq.out.Time, rq.out.App = rq.start, a.name
	if s.deps.NewID != nil {
		rq.out.ID = s.deps.NewID()
	}
	w.Header().Set(HeaderDecision, rq.out.ID)
	w.Header().Set(HeaderSpecVersion, s.deps.Spec.Version)
	defer rq.finish(w, r.Context())
	status := http.StatusBadRequest
	switch {
	case e.Error.Type == openai.ErrorTypeServer:
		status = http.StatusInternalServerError
	case e.Error.Code != nil && *e.Error.Code == "request_too_large":
		status = http.StatusRequestEntityTooLarge
	}
	rq.out.Status, rq.out.Error = status, http.StatusText(status)
	if e.Error.Code != nil {
		rq.out.Error = *e.Error.Code
	}
	writeError(w, status, e)
}

// Modes of a responsesWriter, set by the status and content type the chat
// pipeline writes.
const (
	modeUnset  = iota
	modeError  // a non-200 answer: an OpenAI error body, passed on as is
	modeJSON   // a chat completion, buffered and translated at the end
	modeStream // chat chunks, translated event by event
)

// responsesWriter sits between the chat pipeline and the client and turns
// the chat answer into the Responses API's. Headers (the X-Modelspec-*
// decision headers among them) go straight to the client.
type responsesWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	req    *openai.ResponsesRequest
	now    int64
	mode   int
	buf    bytes.Buffer
	stream *openai.ResponseStream
	err    error
}

func (rw *responsesWriter) Header() http.Header { return rw.w.Header() }

func (rw *responsesWriter) WriteHeader(status int) {
	if rw.mode != modeUnset {
		return
	}
	switch {
	case status != http.StatusOK:
		rw.mode = modeError
		rw.w.WriteHeader(status)
	case strings.HasPrefix(rw.w.Header().Get("Content-Type"), "text/event-stream"):
		rw.mode = modeStream
		rw.w.WriteHeader(status)
	default:
		rw.mode = modeJSON
	}
}

func (rw *responsesWriter) Write(b []byte) (int, error) {
	if rw.mode == modeUnset {
		rw.WriteHeader(http.StatusOK)
	}
	switch rw.mode {
	case modeError:
		return rw.w.Write(b)
	case modeJSON:
		return rw.buf.Write(b)
	}
	rw.buf.Write(b)
	for rw.err == nil {
		// The pipeline writes whole events; cut at each blank line anyway.
		i := bytes.Index(rw.buf.Bytes(), []byte("\n\n"))
		if i < 0 {
			break
		}
		block := bytes.Clone(rw.buf.Next(i + 2))
		rw.err = openai.ParseSSE(bytes.NewReader(block), rw.event)
	}
	return len(b), rw.err
}

// FlushError lets the pipeline's flushes through while streaming.
func (rw *responsesWriter) FlushError() error {
	if rw.mode == modeJSON {
		return nil
	}
	return rw.rc.Flush()
}

// id is the response id: the decision id when there is one, so that a
// response can be found in the decision log, else the chat id's.
func (rw *responsesWriter) id(chatID string) string {
	if d := rw.w.Header().Get(HeaderDecision); d != "" {
		return "resp_" + d
	}
	if chatID != "" {
		return "resp_" + strings.TrimPrefix(chatID, "chatcmpl-")
	}
	return "resp_modelspec"
}

// event translates one chat stream event.
func (rw *responsesWriter) event(ev openai.Event) error {
	var c openai.ChatCompletionChunk
	var e openai.ErrorResponse
	isErr := decodeError(ev.Data, &e)
	if !isErr && !ev.Done() {
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			isErr = true
			e = openai.NewError(http.StatusBadGateway, "the gateway wrote a malformed chunk")
		}
	}
	if rw.stream == nil {
		created := c.Created
		if created == 0 {
			created = rw.now
		}
		rw.stream = openai.NewResponseStream(rw.id(c.ID), created, rw.req)
	}
	var evs []openai.ResponseEvent
	switch {
	case isErr:
		code := e.Error.Type
		if e.Error.Code != nil && *e.Error.Code != "" {
			code = *e.Error.Code
		}
		evs = rw.stream.Fail(code, e.Error.Message)
	case ev.Done():
		evs = rw.stream.Done()
	default:
		evs = rw.stream.Chunk(c)
	}
	for _, re := range evs {
		if err := openai.WriteResponseEvent(rw.w, re); err != nil {
			return err
		}
	}
	return rw.rc.Flush()
}

// finish writes the translated answer of a non-streamed request.
func (rw *responsesWriter) finish() {
	if rw.mode != modeJSON {
		return
	}
	var cc openai.ChatCompletion
	if err := json.Unmarshal(rw.buf.Bytes(), &cc); err != nil {
		fail(rw.w, http.StatusBadGateway, "could not translate the answer into a response: "+err.Error(), "upstream_error")
		return
	}
	if cc.Created == 0 {
		cc.Created = rw.now
	}
	writeJSON(rw.w, http.StatusOK, openai.ResponseFromChat(rw.id(cc.ID), &cc, rw.req))
}
