package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// fakeCollector is an OTLP/HTTP traces endpoint: it decodes each export
// request (protobuf, gzipped or not) and keeps the spans.
type fakeCollector struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	service  string
	requests int
	keys     []string     // the x-collector-key header of each request
	raw      bytes.Buffer // every body, to check that no content leaked
}

func (c *fakeCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces with application/x-protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.requests++
	c.keys = append(c.keys, r.Header.Get("X-Collector-Key"))
	c.raw.Write(b)
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				c.service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func attrs(s *tracepb.Span) map[string]*commonpb.AnyValue {
	m := map[string]*commonpb.AnyValue{}
	for _, a := range s.Attributes {
		m[a.Key] = a.Value
	}
	return m
}

// TestServeTracing runs modelspec serve with tracing: in its config, in
// front of the fake upstream and a fake OTLP collector, and checks the
// spans that reach the collector: one per request and per stage, with
// the decision's ids and outcomes and no message text, in the caller's
// trace, whose context also reaches the upstream.
func TestServeTracing(t *testing.T) {
	var upMu sync.Mutex
	var upTraceparents []string
	fake := fakeupstream.New(fakeupstream.Options{Reply: fakeupstream.Fixed("A short and harmless answer for the trace test.")})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upMu.Lock()
		upTraceparents = append(upTraceparents, r.Header.Get("Traceparent"))
		upMu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	defer up.Close()
	col := &fakeCollector{}
	colSrv := httptest.NewServer(col)
	defer colSrv.Close()

	dir := t.TempDir()
	addr := freeAddr(t)
	cfgPath := filepath.Join(dir, "serve.yaml")
	cfgText := fmt.Sprintf(`listen: %s
upstreams:
  - name: fake
    base_url: %s/v1
decision_log: {driver: none}
tracing:
  endpoint: %s
  service_name: modelspec-test
  headers_env: TEST_OTEL_HEADERS
`, addr, up.URL, colSrv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_OTEL_HEADERS", "x-collector-key=test-collector-key")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve", "--config", cfgPath}, &bytes.Buffer{}, &stderr) }()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	url := "http://" + addr + "/v1/chat/completions"
	post := func(body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
		return mustDo(t, req)
	}
	var resp *http.Response
	for range 100 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
		if r, err := http.DefaultClient.Do(req); err == nil {
			r.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp = post(`{"model":"fake-model","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"write to jane.doe@example.com about the invoice"}]}`)
	resp.Body.Close()
	decision := resp.Header.Get("X-Modelspec-Decision")
	if resp.StatusCode != 200 || decision == "" {
		t.Fatalf("status %d, headers %v\n%s", resp.StatusCode, resp.Header, stderr.String())
	}
	sresp := post(`{"model":"fake-model","stream":true,"messages":[{"role":"user","content":"tell me a short story"}]}`)
	io.Copy(io.Discard, sresp.Body)
	sresp.Body.Close()
	cancel() // shutting down exports the spans still queued
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	if col.service != "modelspec-test" {
		t.Errorf("service.name = %q", col.service)
	}
	for _, k := range col.keys {
		if k != "test-collector-key" {
			t.Errorf("collector request with key %q: the headers from headers_env were not sent", k)
		}
	}
	byName := map[string][]*tracepb.Span{}
	for _, s := range col.spans {
		byName[s.Name] = append(byName[s.Name], s)
	}
	roots := byName["POST /v1/chat/completions"]
	if len(roots) != 2 {
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		t.Fatalf("%d request spans; spans received: %v\n%s", len(roots), names, stderr.String())
	}
	var root *tracepb.Span
	for _, r := range roots {
		if a := attrs(r); a["modelspec.decision_id"].GetStringValue() == decision {
			root = r
		}
	}
	if root == nil {
		t.Fatalf("no request span has decision id %s", decision)
	}
	if got := fmt.Sprintf("%x", root.TraceId); got != traceID {
		t.Errorf("trace id %s, want the caller's %s", got, traceID)
	}
	if got := fmt.Sprintf("%x", root.ParentSpanId); got != parentID || root.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("parent %s kind %v, want the caller's span %s and a server span", got, root.Kind, parentID)
	}
	ra := attrs(root)
	if ra["modelspec.app"].GetStringValue() != "default" || ra["http.response.status_code"].GetIntValue() != 200 ||
		ra["modelspec.action"].GetStringValue() != "annotate" || ra["gen_ai.request.model"].GetStringValue() != "fake-model" ||
		ra["modelspec.spec_version"].GetStringValue() == "" || len(ra["modelspec.clauses"].GetArrayValue().GetValues()) == 0 {
		t.Errorf("request span attributes: %v", root.Attributes)
	}
	// Every stage, as a child of the request span (an input screen span
	// per screened message, under the chain span).
	var chain *tracepb.Span
	for _, name := range []string{"modelspec.auth", "modelspec.decode", "modelspec.chain", "modelspec.upstream", "modelspec.output_screen", "modelspec.log"} {
		var found *tracepb.Span
		for _, s := range byName[name] {
			if bytes.Equal(s.ParentSpanId, root.SpanId) {
				found = s
			}
		}
		if found == nil {
			t.Errorf("no %s span under the request span", name)
			continue
		}
		switch name {
		case "modelspec.chain":
			chain = found
			if a := attrs(found); a["modelspec.findings"].GetIntValue() == 0 || a["modelspec.action"].GetStringValue() != "annotate" {
				t.Errorf("chain attributes: %v", found.Attributes)
			}
		case "modelspec.decode":
			if a := attrs(found); a["modelspec.messages"].GetIntValue() != 2 || a["modelspec.bytes"].GetIntValue() == 0 {
				t.Errorf("decode attributes: %v", found.Attributes)
			}
		case "modelspec.upstream":
			if a := attrs(found); a["modelspec.upstream"].GetStringValue() != "fake" || a["http.response.status_code"].GetIntValue() != 200 {
				t.Errorf("upstream attributes: %v", found.Attributes)
			}
		}
	}
	if chain != nil {
		n := 0
		for _, s := range byName["modelspec.input_screen"] {
			if bytes.Equal(s.ParentSpanId, chain.SpanId) {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d input screen spans under the chain span, want one per message (2)", n)
		}
	}
	// The streamed request's upstream span counts its chunks.
	chunks := false
	for _, s := range byName["modelspec.upstream"] {
		if attrs(s)["modelspec.stream.chunks"].GetIntValue() > 0 {
			chunks = true
		}
	}
	if !chunks {
		t.Error("no upstream span counts stream chunks")
	}
	// The upstream call carries the trace on.
	upMu.Lock()
	defer upMu.Unlock()
	if len(upTraceparents) != 2 || !strings.Contains(upTraceparents[0], traceID) || strings.Contains(upTraceparents[0], parentID) {
		t.Errorf("upstream traceparent headers %q: want the caller's trace with the gateway's span", upTraceparents)
	}
	for _, leak := range []string{"jane.doe", "example.com", "invoice", "short story", "harmless answer", "test-collector-key"} {
		if bytes.Contains(col.raw.Bytes(), []byte(leak)) {
			t.Errorf("%q reached the collector", leak)
		}
	}
}

func mustDo(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
