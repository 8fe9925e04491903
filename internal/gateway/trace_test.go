package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// tracedGateway is a gateway whose spans end in an in-memory exporter, in
// front of the fake upstream; it records the traceparent each upstream
// request carried.
type tracedGateway struct {
	gw          *httptest.Server
	exp         *tracetest.InMemoryExporter
	mu          sync.Mutex
	traceparent []string
}

func startTraced(t *testing.T, ratio float64) *tracedGateway {
	t.Helper()
	tg := &tracedGateway{exp: tracetest.NewInMemoryExporter()}
	fake := fakeupstream.New(fakeupstream.Options{Reply: fakeupstream.Fixed("An answer.")})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.traceparent = append(tg.traceparent, r.Header.Get("Traceparent"))
		tg.mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	res, err := specload.Load("")
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tg.exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	cfg := config.Default()
	cfg.Upstreams = []config.Upstream{{Name: "fake", Type: "openai", BaseURL: up.URL + "/v1", Timeout: config.Duration(5 * time.Second)}}
	sum := sha256.Sum256([]byte(appKey))
	cfg.Apps = []config.App{{Name: "acme", KeySHA256: hex.EncodeToString(sum[:])}}
	srv, err := gateway.New(cfg, gateway.Deps{Spec: res.Spec, Screens: []detect.Detector{keyword{"NERVEAGENT", "hazard", "no_information_hazards"}},
		Tracer: tp.Tracer("test")})
	if err != nil {
		t.Fatal(err)
	}
	tg.gw = httptest.NewServer(srv.Handler())
	t.Cleanup(tg.gw.Close)
	return tg
}

func (tg *tracedGateway) post(t *testing.T, path, key, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, tg.gw.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// spans returns the ended spans by name, waiting briefly for the request
// span, which ends after the answer has been flushed to the client.
func (tg *tracedGateway) spans(t *testing.T, root string) map[string][]tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := map[string][]tracetest.SpanStub{}
		for _, s := range tg.exp.GetSpans() {
			out[s.Name] = append(out[s.Name], s)
		}
		if len(out[root]) > 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func attr(s tracetest.SpanStub, key string) attribute.Value {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

// TestTraceBlockedAndRefused: a request blocked at the input has no
// upstream span and says why on its chain span; a bad key ends in an auth
// span marked as failed; neither quotes the request.
func TestTraceBlockedAndRefused(t *testing.T) {
	tg := startTraced(t, 1)
	resp := tg.post(t, "/v1/chat/completions", appKey, `{"model":"m","messages":[{"role":"user","content":"how to make NERVEAGENT"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	spans := tg.spans(t, "POST /v1/chat/completions")
	if len(spans["modelspec.upstream"]) != 0 {
		t.Error("a blocked request has an upstream span")
	}
	if c := spans["modelspec.chain"]; len(c) != 1 || attr(c[0], "modelspec.action").AsString() != "block" {
		t.Errorf("chain spans %+v", c)
	}
	root := spans["POST /v1/chat/completions"][0]
	if attr(root, "modelspec.action").AsString() != "block" || !strings.Contains(strings.Join(attr(root, "modelspec.clauses").AsStringSlice(), ","), "no_information_hazards") {
		t.Errorf("request span attributes %v", root.Attributes)
	}
	tg.exp.Reset()

	resp = tg.post(t, "/v1/chat/completions", "sk-wrong", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 401 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	spans = tg.spans(t, "POST /v1/chat/completions")
	if a := spans["modelspec.auth"]; len(a) != 1 || a[0].Status.Code != codes.Error || attr(a[0], "modelspec.error").AsString() != "invalid_api_key" {
		t.Errorf("auth spans %+v", a)
	}
	for _, s := range tg.exp.GetSpans() {
		for _, a := range s.Attributes {
			if strings.Contains(a.Value.Emit(), "NERVEAGENT") || strings.Contains(a.Value.Emit(), "sk-wrong") {
				t.Errorf("span %s attribute %s quotes the request: %s", s.Name, a.Key, a.Value.Emit())
			}
		}
	}
}

// TestTraceResponses: the Responses API's span holds the chat pipeline's
// as an internal child.
func TestTraceResponses(t *testing.T) {
	tg := startTraced(t, 1)
	if resp := tg.post(t, "/v1/responses", appKey, `{"model":"m","input":"hello"}`); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	spans := tg.spans(t, "POST /v1/responses")
	outer, inner := spans["POST /v1/responses"], spans["POST /v1/chat/completions"]
	if len(outer) != 1 || len(inner) != 1 {
		t.Fatalf("spans %v", spans)
	}
	if inner[0].Parent.SpanID() != outer[0].SpanContext.SpanID() || inner[0].SpanKind.String() != "internal" || outer[0].SpanKind.String() != "server" {
		t.Errorf("chat span %v (parent %s), responses span %v (%s)", inner[0].SpanKind, inner[0].Parent.SpanID(), outer[0].SpanKind, outer[0].SpanContext.SpanID())
	}
}

// TestTraceSampledOut: with nothing sampled no span is recorded, and the
// upstream is told so in the trace context it gets.
func TestTraceSampledOut(t *testing.T) {
	tg := startTraced(t, 0)
	if resp := tg.post(t, "/v1/chat/completions", appKey, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(tg.exp.GetSpans()); n != 0 {
		t.Errorf("%d spans recorded with a sample ratio of 0", n)
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if len(tg.traceparent) != 1 || !strings.HasSuffix(tg.traceparent[0], "-00") {
		t.Errorf("upstream traceparent %q, want one that is not sampled", tg.traceparent)
	}
}
