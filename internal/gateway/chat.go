package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/modelspec/modelspec/internal/anthropic"
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
)

// Response headers that carry the decision to the client.
const (
	HeaderDecision    = "X-Modelspec-Decision"
	HeaderAction      = "X-Modelspec-Action"
	HeaderClauses     = "X-Modelspec-Clauses"
	HeaderSpecVersion = "X-Modelspec-Spec-Version"
)

// request is one chat completion in flight.
type request struct {
	s       *Server
	app     *app
	out     Outcome
	start   time.Time
	texts   []string
	inputAt time.Time
	body    []byte     // the client's request body
	sse     *sseWriter // the stream to the client, once one is begun
	// span is the request's span and upSpan the upstream stage's; nil
	// when tracing is off (trace.go).
	span, upSpan trace.Span
	ctx          context.Context // carries span
	streamTrace  streamTrace
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	rq := &request{s: s, start: s.deps.Now()}
	rq.out.Time = rq.start
	if s.deps.NewID != nil {
		rq.out.ID = s.deps.NewID()
	}
	w.Header().Set(HeaderDecision, rq.out.ID)
	w.Header().Set(HeaderSpecVersion, s.deps.Spec.Version)
	r, rq.span = s.startRequest(r, "/v1/chat/completions")
	rq.ctx = r.Context()
	defer rq.finish(w, r.Context())
	defer rq.recoverPanic(w)

	_, sp := rq.stage(r.Context(), spanAuth)
	a, ok := s.authenticate(r)
	if !ok {
		failSpan(sp, "invalid_api_key")
		endSpan(sp)
		rq.fail(w, http.StatusUnauthorized, "missing or unknown API key: send Authorization: Bearer <key>", "invalid_api_key")
		return
	}
	rq.app, rq.out.App = a, a.name
	if a.limiter != nil && !a.limiter.Allow() {
		failSpan(sp, openai.CodeRateLimitExceeded)
		endSpan(sp)
		w.Header().Set("Retry-After", "1")
		rq.fail(w, http.StatusTooManyRequests, "rate limit of this API key reached; retry after a second", openai.CodeRateLimitExceeded)
		return
	}
	if sp != nil {
		sp.SetAttributes(attrApp.String(a.name))
		sp.End()
	}

	_, sp = rq.stage(r.Context(), spanDecode)
	conv, ok := rq.decode(w, r)
	if !ok {
		failSpan(sp, rq.out.Error)
		endSpan(sp)
		return
	}
	if sp != nil {
		sp.SetAttributes(attrBytes.Int(len(rq.body)), attrMessages.Int(len(conv.Messages)))
		sp.End()
	}
	req := conv.Request
	rq.out.Model, rq.out.Stream = req.Model, req.Stream
	up := s.route(req.Model)
	if up == nil {
		rq.fail(w, http.StatusNotFound, fmt.Sprintf("no upstream serves model %q", req.Model), "model_not_found")
		return
	}

	if s.cfg.Passthrough {
		rq.inputAt = s.deps.Now()
		rq.out.Action = policy.Allow
		rq.out.Latencies.Input = rq.inputAt.Sub(rq.start)
		// The request is not changed, so the client's bytes go as they
		// came (they were validated above).
		rq.forward(w, r, up, req, rq.body, nil)
		return
	}

	// Chain of command and input screening.
	ctx, sp := rq.stage(r.Context(), spanChain)
	msgs := policy.FromChat(req.Messages)
	for _, m := range msgs {
		rq.texts = append(rq.texts, m.Content)
	}
	rq.out.Texts = rq.texts
	screens, endScreens := rq.traceScreens(ctx, rq.inputScreens(msgs))
	d := policy.Decide(a.policy, msgs, policy.Options{Injection: s.deps.Injection, RoleSpoof: s.deps.RoleSpoof, Content: screens})
	endScreens()
	if sp != nil {
		sp.SetAttributes(attrAction.String(string(d.Action)), attrFindings.Int(len(d.Findings)), attrClauses.StringSlice(d.Citations))
		sp.End()
	}
	rq.out.Decision, rq.out.Action = d, d.Action
	if len(d.Citations) > 0 {
		w.Header().Set(HeaderClauses, strings.Join(d.Citations, ","))
	}
	w.Header().Set(HeaderAction, string(d.Action))
	rq.inputAt = s.deps.Now()
	rq.out.Latencies.Input = rq.inputAt.Sub(rq.start)
	if d.Action == policy.Block {
		rq.refuse(w, req, blockedClauses(a.policy, d.Findings))
		return
	}
	var vault *redactions
	if d.Action == policy.Redact {
		vault = redactMessages(a.policy, req.Messages, d.Findings)
	}
	rq.forward(w, r, up, req, nil, vault)
}

// decode reads and validates the request body; when it fails it has
// answered the client already.
func (rq *request) decode(w http.ResponseWriter, r *http.Request) (*openai.Conversation, bool) {
	limit := rq.s.cfg.MaxBodyBytes
	body, err := readBody(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			rq.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes (max_body_bytes)", limit), "request_too_large")
			return nil, false
		}
		rq.fail(w, http.StatusBadRequest, "could not read the request body: "+err.Error(), "")
		return nil, false
	}
	rq.body = body
	conv, err := openai.DecodeConversation(body)
	switch {
	case err != nil:
		rq.fail(w, http.StatusBadRequest, "invalid request: "+err.Error(), "invalid_request")
	case conv.Request == nil:
		rq.fail(w, http.StatusBadRequest, "invalid request: the body must be a chat completions request object with model and messages", "invalid_request")
	case conv.Request.Model == "":
		rq.fail(w, http.StatusBadRequest, "invalid request: model is required", "invalid_request")
	default:
		return conv, true
	}
	return nil, false
}

// messagesKey starts the messages array in an encoded ChatRequest, which
// writes model first and messages second (openai.ChatRequest.AppendJSON).
// Inside the model string its quotes would be escaped, so the first match
// is the key.
var messagesKey = []byte(`"messages":[`)

// withPrompt is the encoded request with the app's encoded platform
// message put first in its messages, as three parts sent one after the
// other: the prompt (~24 KB) is shared by every request of the app and
// never copied.
func withPrompt(body []byte, a *app, empty bool) (payload, error) {
	i := bytes.Index(body, messagesKey)
	if i < 0 {
		return payload{}, errors.New("encoded request has no messages array")
	}
	i += len(messagesKey)
	prompt := a.promptComma
	if empty {
		prompt = a.prompt
	}
	return newPayload(body[:i], prompt, body[i:]), nil
}

// forward sends the request upstream and relays the answer, screening it
// unless the gateway is in passthrough.
// raw, when not nil, is the client's request body, sent unchanged.
func (rq *request) forward(w http.ResponseWriter, r *http.Request, up *upstream, req *openai.ChatRequest, raw []byte, vault *redactions) {
	prompt := rq.app.prompt
	if rq.s.cfg.Passthrough {
		prompt = nil
	}
	var upBody payload
	var err error
	if up.cfg.Type == "anthropic" {
		var b []byte
		b, err = anthropicBody(req, prompt)
		var re *anthropic.RequestError
		if errors.As(err, &re) {
			rq.fail(w, http.StatusBadRequest, "this request cannot be sent to an Anthropic model: "+re.Error(), "unsupported_for_upstream")
			return
		}
		upBody = newPayload(b)
	} else if raw != nil {
		upBody = newPayload(raw)
	} else {
		// One encoding straight into a buffer of about the right size; the
		// platform prompt is not copied into it.
		var b []byte
		b, err = req.AppendJSON(make([]byte, 0, len(rq.body)+512))
		switch {
		case err != nil:
		case prompt != nil:
			upBody, err = withPrompt(b, rq.app, len(req.Messages) == 0)
		default:
			upBody = newPayload(b)
		}
	}
	if err != nil {
		rq.fail(w, http.StatusInternalServerError, "could not encode the upstream request: "+err.Error(), "")
		return
	}
	ctx, sp := rq.stage(r.Context(), spanUpstream)
	rq.upSpan = sp
	defer endSpan(sp) // ended earlier by complete and stream, with their figures
	ctx, cancel := context.WithTimeout(ctx, time.Duration(up.cfg.Timeout))
	defer cancel()
	resp, used, err := up.send(ctx, upBody, req.Stream)
	if err != nil {
		status, e := upstreamError(err)
		rq.out.Status, rq.out.Error = status, "upstream_error"
		failSpan(sp, "upstream_error")
		if sp != nil {
			sp.SetAttributes(attrStatus.Int(status))
		}
		writeError(w, status, e)
		return
	}
	if sp != nil {
		sp.SetAttributes(attrUpstream.String(used.cfg.Name), attrStatus.Int(resp.StatusCode))
	}
	if used.cfg.Type == "anthropic" {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		resp = fromAnthropic(resp, req.Stream, includeUsage, req.Model, rq.start.Unix())
	}
	defer resp.Body.Close()
	rq.out.Upstream = used.cfg.Name
	if req.Stream {
		rq.stream(w, resp, vault)
		return
	}
	rq.complete(w, resp, vault)
}

// complete screens a whole (non-streamed) answer. An answer that nothing
// changed goes to the client as the upstream wrote it; one that a
// restored redaction or a block changed is encoded again.
func (rq *request) complete(w http.ResponseWriter, resp *http.Response, vault *redactions) {
	raw, err := readBody(io.LimitReader(resp.Body, maxAnswerBytes), resp.ContentLength, maxAnswerBytes)
	upDone := rq.s.deps.Now()
	rq.out.Latencies.Upstream = upDone.Sub(rq.inputAt)
	if sp := rq.upSpan; sp != nil {
		sp.SetAttributes(attrBytes.Int(len(raw)))
		if err != nil {
			failSpan(sp, "upstream_error")
		}
		sp.End()
	}
	if err != nil {
		rq.fail(w, http.StatusBadGateway, "upstream answer was cut off: "+err.Error(), "upstream_error")
		return
	}
	// The choices' text is read without decoding the rest; the completion
	// is decoded whole only when its shape is unusual or the gateway has
	// to change it.
	var cc *openai.ChatCompletion
	decode := func() bool {
		if cc != nil {
			return true
		}
		cc = &openai.ChatCompletion{}
		if err := json.Unmarshal(raw, cc); err != nil {
			rq.fail(w, http.StatusBadGateway, "upstream answer is not a chat completion: "+err.Error(), "upstream_error")
			return false
		}
		return true
	}
	texts, err := openai.CompletionTexts(raw)
	switch {
	case errors.Is(err, openai.ErrChunkShape):
		if !decode() {
			return
		}
		texts = make([]string, len(cc.Choices))
		for i := range cc.Choices {
			texts[i] = cc.Choices[i].Message.Text()
		}
	case err != nil:
		rq.fail(w, http.StatusBadGateway, "upstream answer is not a chat completion: "+err.Error(), "upstream_error")
		return
	}
	var sp trace.Span
	if !rq.s.cfg.Passthrough {
		_, sp = rq.stage(rq.ctx, spanOutputScreen)
	}
	// What changes in which choice: restored redactions, or a refusal.
	type edit struct {
		i       int
		text    string
		clauses []string
	}
	var edits []edit
	for i, text := range texts {
		restored := false
		if vault != nil {
			if r := vault.restore(text); r != text {
				text, restored = r, true
			}
		}
		rq.out.OutputTexts = append(rq.out.OutputTexts, text)
		fs := rq.screenOutput(text, 0, 0, i)
		clauses := blockedClauses(rq.app.policy, fs)
		if len(clauses) > 0 {
			rq.escalate(policy.Block, clauses, w)
		}
		if restored || len(clauses) > 0 {
			edits = append(edits, edit{i, text, clauses})
		}
	}
	rq.out.Latencies.Output = rq.s.deps.Now().Sub(upDone)
	rq.out.Status = http.StatusOK
	if sp != nil {
		sp.SetAttributes(attrFindings.Int(len(rq.out.Output)), attrAction.String(string(rq.out.Action)))
		sp.End()
	}
	if len(edits) == 0 {
		writeRaw(w, http.StatusOK, raw)
		return
	}
	if !decode() {
		return
	}
	for _, e := range edits {
		ch := &cc.Choices[e.i]
		if len(e.clauses) > 0 {
			ch.Message.Content = openai.TextContent(refusalText(e.clauses, rq.s.deps.Spec.Version))
			ch.FinishReason = openai.FinishContentFilter
		} else {
			ch.Message.Content = openai.TextContent(e.text)
		}
	}
	writeJSON(w, http.StatusOK, cc)
}

// maxAnswerBytes bounds a non-streamed upstream answer.
const maxAnswerBytes = 64 << 20

// readBody reads r to the end into a buffer sized from the declared length
// (when there is one and it is within limit), so that a body of known size
// is read in one allocation.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	size := int64(512)
	if declared > 0 {
		size = min(declared, limit) + 1 // +1: the read that finds the end needs no growth
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// screenOutput runs the content screens on text, which starts at byte off
// of choice's answer, and keeps in the outcome the findings that end past
// from (text before from was screened already).
func (rq *request) screenOutput(text string, off, from, choice int) []detect.Finding {
	if rq.s.cfg.Passthrough {
		return nil
	}
	var fs []detect.Finding
	p := rq.app.policy
	for _, d := range rq.s.deps.Screens {
		found, failure := p.Screen(d, text)
		if failure != nil && !rq.failedBefore(failure.Detector, choice) {
			// A stream screens each window: a check that fails on every
			// one is recorded once per answer.
			failure.Message = &choice
			rq.out.OutputFailures = append(rq.out.OutputFailures, *failure)
		}
		for _, f := range found {
			f.Start, f.End = f.Start+off, f.End+off
			if f.End <= from {
				continue
			}
			f.Message = &choice
			f.Clause = p.Cite(f.Clause)
			fs = append(fs, f)
		}
	}
	rq.out.Output = append(rq.out.Output, fs...)
	return fs
}

// failedBefore reports whether the check det has failed already on
// choice's answer.
func (rq *request) failedBefore(det string, choice int) bool {
	return slices.ContainsFunc(rq.out.OutputFailures, func(f policy.CheckFailure) bool {
		return f.Detector == det && *f.Message == choice
	})
}

func blockedClauses(p *policy.Policy, fs []detect.Finding) []string {
	var out []string
	for _, f := range fs {
		if p.CheckAction(f.Category) == policy.Block && !slices.Contains(out, f.Clause) {
			out = append(out, f.Clause)
		}
	}
	slices.Sort(out)
	return out
}

// escalate raises the outcome's action and the response headers when the
// output screening blocks.
func (rq *request) escalate(a policy.Action, clauses []string, w http.ResponseWriter) {
	rq.out.Action = a
	if w != nil {
		w.Header().Set(HeaderAction, string(a))
		w.Header().Set(HeaderClauses, strings.Join(clauses, ","))
	}
}

// refusalText is the short message a blocked request or answer gets.
func refusalText(clauses []string, version string) string {
	cites := make([]string, len(clauses))
	for i, c := range clauses {
		cites[i] = "#" + c
	}
	return fmt.Sprintf("I can't help with that. (Blocked under %s of the Model Spec, version %s.)", strings.Join(cites, ", "), version)
}

// refuse answers a blocked request in the shape the client asked for: a
// chat completion, or a stream with the same content.
func (rq *request) refuse(w http.ResponseWriter, req *openai.ChatRequest, clauses []string) {
	rq.out.Status = http.StatusOK
	w.Header().Set(HeaderClauses, strings.Join(clauses, ","))
	text := refusalText(clauses, rq.s.deps.Spec.Version)
	id := "chatcmpl-modelspec-" + rq.out.ID
	created := rq.start.Unix()
	if !req.Stream {
		writeJSON(w, http.StatusOK, openai.ChatCompletion{ID: id, Object: openai.ObjectChatCompletion, Created: created, Model: req.Model,
			Choices: []openai.Choice{{Index: 0, Message: openai.Message{Role: openai.RoleAssistant, Content: openai.TextContent(text)}, FinishReason: openai.FinishContentFilter}},
			Usage:   &openai.Usage{}})
		return
	}
	sse := rq.newSSE(w)
	role, finish := openai.RoleAssistant, openai.FinishContentFilter
	sse.chunk(openai.ChatCompletionChunk{ID: id, Object: openai.ObjectChatCompletionChunk, Created: created, Model: req.Model,
		Choices: []openai.ChunkChoice{{Index: 0, Delta: openai.Delta{Role: role, Content: &text}}}})
	sse.chunk(openai.ChatCompletionChunk{ID: id, Object: openai.ObjectChatCompletionChunk, Created: created, Model: req.Model,
		Choices: []openai.ChunkChoice{{Index: 0, FinishReason: &finish}}})
	sse.done()
}

// recoverPanic turns a panic in the handling of the request (a bug) into
// an answer in OpenAI's shape, a 500 or, once a stream to the client has
// begun, an error event ending it, and into an outcome that records it
// (Fault, with the stack), where net/http would drop the connection and
// nothing would be recorded. Screens that panic are handled before this,
// by their fail mode (policy.Screen).
func (rq *request) recoverPanic(w http.ResponseWriter) {
	v := recover()
	if v == nil {
		return
	}
	rq.out.Fault = &policy.PanicError{Where: "the gateway", Value: v, Stack: debug.Stack()}
	const msg, code = "the gateway failed on this request; it was recorded", "internal_error"
	rq.out.Status, rq.out.Error = http.StatusInternalServerError, code
	if rq.sse != nil && rq.sse.started {
		rq.sse.errorEvent(http.StatusInternalServerError, msg, code)
		return
	}
	fail(w, http.StatusInternalServerError, msg, code)
}

// fail answers with an error and records its code (never the message,
// which may quote the request).
func (rq *request) fail(w http.ResponseWriter, status int, msg, code string) {
	rq.out.Status, rq.out.Error = status, code
	if code == "" {
		rq.out.Error = http.StatusText(status)
	}
	fail(w, status, msg, code)
}

// finish records the request once its answer has reached the client:
// the answer is flushed first, so that neither the metrics nor the
// decision log's queue add to the client's latency.
func (rq *request) finish(w http.ResponseWriter, ctx context.Context) {
	rq.out.Latencies.Total = rq.s.deps.Now().Sub(rq.start)
	_ = http.NewResponseController(w).Flush() // a client that left is recorded all the same
	_, sp := rq.stage(ctx, spanLog)
	rq.s.metrics.observe(rq.out)
	rq.s.deps.Record(context.WithoutCancel(ctx), rq.out)
	endSpan(sp)
	rq.endRequest()
}
