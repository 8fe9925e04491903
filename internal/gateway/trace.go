package gateway

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/modelspec/modelspec/internal/detect"
)

// Tracing (Deps.Tracer): a span per request, and a child span per stage.
// With no tracer every helper here returns at its first line, so a gateway
// without tracing pays a nil check per stage and allocates nothing.
//
// Spans carry ids, names, counts, sizes and outcomes, never message text:
// what reaches a collector is what reaches the decision log.
const (
	spanAuth         = "modelspec.auth"          // key and rate limit
	spanDecode       = "modelspec.decode"        // read and validate the body
	spanChain        = "modelspec.chain"         // policy.Decide: chain of command and input screening
	spanInputScreen  = "modelspec.input_screen"  // the content screens on one message (child of chain)
	spanUpstream     = "modelspec.upstream"      // the upstream call, until its last byte
	spanOutputScreen = "modelspec.output_screen" // screening a whole answer
	spanLog          = "modelspec.log"           // metrics and the decision log's queue
)

// Attribute keys of the gateway's spans.
const (
	attrDecision    = attribute.Key("modelspec.decision_id")
	attrApp         = attribute.Key("modelspec.app")
	attrSpecVersion = attribute.Key("modelspec.spec_version")
	attrAction      = attribute.Key("modelspec.action")
	attrClauses     = attribute.Key("modelspec.clauses")
	attrFindings    = attribute.Key("modelspec.findings")
	attrError       = attribute.Key("modelspec.error")
	attrUpstream    = attribute.Key("modelspec.upstream")
	attrStream      = attribute.Key("modelspec.stream")
	attrBytes       = attribute.Key("modelspec.bytes")
	attrMessages    = attribute.Key("modelspec.messages")
	attrChunks      = attribute.Key("modelspec.stream.chunks")
	attrScreens     = attribute.Key("modelspec.stream.screens")
	attrScreenTime  = attribute.Key("modelspec.stream.screen_ms")
	attrModel       = attribute.Key("gen_ai.request.model")
	attrMethod      = attribute.Key("http.request.method")
	attrRoute       = attribute.Key("http.route")
	attrStatus      = attribute.Key("http.response.status_code")
)

// propagator reads a caller's W3C trace context and passes it upstream.
var propagator = propagation.TraceContext{}

// startRequest starts the span of a request on route and returns the
// request carrying it. The span joins the caller's trace when the caller
// sent one; inside another route of this gateway (the Responses API runs
// the chat pipeline) it is an internal child span.
func (s *Server) startRequest(r *http.Request, route string) (*http.Request, trace.Span) {
	if s.tracer == nil {
		return r, nil
	}
	ctx, kind := r.Context(), trace.SpanKindServer
	if trace.SpanContextFromContext(ctx).IsValid() && trace.SpanFromContext(ctx).IsRecording() {
		kind = trace.SpanKindInternal
	} else {
		ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	ctx, span := s.tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(kind),
		trace.WithAttributes(attrMethod.String(r.Method), attrRoute.String(route)))
	if !span.IsRecording() {
		// Sampled out: the context still says so to the upstream, and the
		// stages cost nothing.
		return r.WithContext(ctx), nil
	}
	return r.WithContext(ctx), span
}

// stage starts a stage's span under the request's; nil when tracing is
// off or the request is not traced.
func (rq *request) stage(ctx context.Context, name string) (context.Context, trace.Span) {
	if rq.span == nil {
		return ctx, nil
	}
	return rq.s.tracer.Start(ctx, name)
}

// endSpan ends a span that may be nil.
func endSpan(sp trace.Span) {
	if sp != nil {
		sp.End()
	}
}

// failSpan marks a span that may be nil as failed with an error code.
func failSpan(sp trace.Span, code string) {
	if sp != nil {
		sp.SetAttributes(attrError.String(code))
		sp.SetStatus(codes.Error, code)
	}
}

// endRequest ends the request's span with the outcome.
func (rq *request) endRequest() {
	sp := rq.span
	if sp == nil {
		return
	}
	o := &rq.out
	sp.SetAttributes(attrDecision.String(o.ID), attrApp.String(o.App), attrSpecVersion.String(rq.s.deps.Spec.Version),
		attrModel.String(o.Model), attrStream.Bool(o.Stream), attrAction.String(string(o.Action)), attrStatus.Int(o.Status))
	if o.Upstream != "" {
		sp.SetAttributes(attrUpstream.String(o.Upstream))
	}
	if o.Decision != nil && len(o.Decision.Citations) > 0 {
		sp.SetAttributes(attrClauses.StringSlice(o.Decision.Citations))
	}
	if o.Error != "" {
		sp.SetAttributes(attrError.String(o.Error))
	}
	if o.Status >= 500 {
		sp.SetStatus(codes.Error, o.Error)
	}
	sp.End()
}

// tracedScreen is an input screen that opens a span for the content
// screens of each message: policy.Decide runs them one after the other
// on a message, so the first opens the span and the last closes it.
type tracedScreen struct {
	det   detect.Detector
	first bool
	last  bool
	t     *screenTrace
}

// screenTrace is the span of the message being screened.
type screenTrace struct {
	tracer   trace.Tracer
	ctx      context.Context
	span     trace.Span
	findings int
}

func (t *screenTrace) end() {
	if t.span != nil {
		t.span.SetAttributes(attrFindings.Int(t.findings))
		t.span.End()
		t.span = nil
	}
}

var _ detect.Detector = (*tracedScreen)(nil)

func (s *tracedScreen) ID() string { return s.det.ID() }

// Kinds and DetectContext pass the screen's own on, so that the decision
// core applies its fail mode (policy.Screen).
func (s *tracedScreen) Kinds() []detect.Kind { return detect.KindsOf(s.det) }

func (s *tracedScreen) DetectContext(ctx context.Context, text string) ([]detect.Finding, error) {
	t := s.t
	if s.first || t.span == nil {
		t.end()
		_, t.span = t.tracer.Start(t.ctx, spanInputScreen, trace.WithAttributes(attrBytes.Int(len(text))))
		t.findings = 0
	}
	fs, err := detect.Run(ctx, s.det, text)
	t.findings += len(fs)
	if s.last {
		t.end()
	}
	return fs, err
}

func (s *tracedScreen) Detect(text string) []detect.Finding {
	fs, _ := s.DetectContext(context.Background(), text)
	return fs
}

// traceScreens wraps the input screens so that each message's screening
// is a span under ctx; the returned function ends a span left open.
func (rq *request) traceScreens(ctx context.Context, screens []detect.Detector) ([]detect.Detector, func()) {
	if rq.span == nil || len(screens) == 0 {
		return screens, func() {}
	}
	t := &screenTrace{tracer: rq.s.tracer, ctx: ctx}
	wrapped := make([]tracedScreen, len(screens))
	out := make([]detect.Detector, len(screens))
	for i, d := range screens {
		wrapped[i] = tracedScreen{det: d, first: i == 0, last: i == len(screens)-1, t: t}
		out[i] = &wrapped[i]
	}
	return out, t.end
}

// streamTrace counts, for the upstream span of a streamed answer, the
// chunks relayed and the windows screened (the time spent screening them
// is the outcome's output latency).
type streamTrace struct {
	chunks, screens int
}
