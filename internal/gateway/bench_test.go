package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/testutil/cputime"
)

// The handler benchmarks measure the gateway's own cost per request, with
// no network and no upstream work: the upstream is an http.RoundTripper
// that drains the request body and answers with canned bytes shaped like
// the bench harness's fake upstream (../shared/bench/fakeupstream). Beside
// the gateway runs the floor, a minimal proxy handler doing what the
// harness's minproxy does (decode and re-encode the request and the reply
// as generic JSON, forward over the same client), so each run carries its
// own baseline:
//
//	go test -run '^$' -bench 'Handler' -benchmem -count 6 ./internal/gateway/ | benchstat -
//
// Bodies: "filler" is the load driver's 2 KB request (a short system
// message and "Benchmark request. xxx..."), "prose" a 2 KB request of
// English text, which the detectors find harder than a run of x.

const benchReply = "Sure. Here is a short, deterministic answer from the fake upstream."

// cannedUpstream answers every chat completion with the same bytes.
type cannedUpstream struct {
	json   []byte
	stream []byte
}

func newCannedUpstream(chunks int) *cannedUpstream {
	c := &cannedUpstream{}
	c.json, _ = json.Marshal(map[string]any{
		"id": "chatcmpl-fake-0001", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": benchReply},
			"logprobs": nil, "finish_reason": "stop"}},
		"usage":              map[string]int{"prompt_tokens": 512, "completion_tokens": 11, "total_tokens": 523},
		"system_fingerprint": "fp_fake",
	})
	var sb bytes.Buffer
	emit := func(delta map[string]any, finish any) {
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-fake-0001", "object": "chat.completion.chunk", "created": 1700000000,
			"model": "gpt-4o-mini", "choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}})
		fmt.Fprintf(&sb, "data: %s\n\n", b)
	}
	emit(map[string]any{"role": "assistant", "content": ""}, nil)
	r := []rune(benchReply)
	for i := range chunks {
		emit(map[string]any{"content": string(r[i*len(r)/chunks : (i+1)*len(r)/chunks])}, nil)
	}
	emit(map[string]any{}, "stop")
	sb.WriteString("data: [DONE]\n\n")
	c.stream = sb.Bytes()
	return c
}

func (c *cannedUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	// The body is drained, not decoded: the upstream's own work is not
	// what is measured. Both the gateway and the baseline ask for a stream
	// with Accept.
	_, err := io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	out, ct := c.json, "application/json"
	if r.Header.Get("Accept") == "text/event-stream" {
		out, ct = c.stream, "text/event-stream"
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {ct}},
		Body:          io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)), Request: r}, nil
}

// minProxy is the baseline: the least a Go gateway that inspects traffic
// does, as the harness's minproxy (generic JSON decode and re-encode of
// both bodies; a stream copied through).
func minProxy(client *http.Client, upstream string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			http.Error(w, `{"error":{"message":"invalid JSON"}}`, http.StatusBadRequest)
			return
		}
		body, _ = json.Marshal(v)
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if a := r.Header.Get("Accept"); a != "" {
			req.Header.Set("Accept", a)
		}
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, `{"error":{"message":"upstream unreachable"}}`, http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		w.Header().Set("Content-Type", ct)
		if strings.HasPrefix(ct, "text/event-stream") {
			w.WriteHeader(resp.StatusCode)
			buf := make([]byte, 32<<10)
			for {
				n, err := resp.Body.Read(buf)
				if n > 0 {
					w.Write(buf[:n])
					w.(http.Flusher).Flush()
				}
				if err != nil {
					return
				}
			}
		}
		out, _ := io.ReadAll(resp.Body)
		var rv map[string]any
		if json.Unmarshal(out, &rv) == nil {
			out, _ = json.Marshal(rv)
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(out)
	})
}

// benchBodies are 2 KB chat requests.
func benchBodies(stream bool) map[string]string {
	mk := func(system, user string) string {
		m := map[string]any{"model": "gpt-4o-mini", "max_tokens": 64, "temperature": 0,
			"messages": []any{map[string]string{"role": "system", "content": system}, map[string]string{"role": "user", "content": user}}}
		if stream {
			m["stream"] = true
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	pad := func(system, unit string) string {
		base := len(mk(system, ""))
		return mk(system, strings.Repeat(unit, 2048)[:2048-base])
	}
	return map[string]string{
		"filler": pad("You are a helpful assistant.", "x"),
		"prose":  pad("You are a helpful analyst.", "Please summarise the quarterly report and list the three main risks for the board. "),
	}
}

type benchTarget struct {
	name string
	h    http.Handler
}

// benchTargets builds the baseline and the gateway in passthrough and with
// the full built-in spec (all default screens, the platform prompt), all
// over the same canned upstream.
func benchTargets(b *testing.B, tracer trace.Tracer) []benchTarget {
	up := newCannedUpstream(16)
	client := &http.Client{Transport: up}
	res, err := specload.Load("")
	if err != nil {
		b.Fatal(err)
	}
	chain, err := builtin.ChainOfCommand()
	if err != nil {
		b.Fatal(err)
	}
	screens, err := builtin.Content(builtin.Options{})
	if err != nil {
		b.Fatal(err)
	}
	targets := []benchTarget{{"minproxy", minProxy(client, "http://upstream.test")}}
	for _, pass := range []bool{true, false} {
		cfg := config.Default()
		cfg.Passthrough = pass
		cfg.Upstreams = []config.Upstream{{Name: "fake", Type: "openai", BaseURL: "http://upstream.test/v1", Timeout: config.Duration(10 * time.Second)}}
		srv, err := gateway.New(cfg, gateway.Deps{Spec: res.Spec, Screens: screens, Injection: chain.Injection, RoleSpoof: chain.RoleSpoof, Client: client, Tracer: tracer})
		if err != nil {
			b.Fatal(err)
		}
		name := "full"
		if pass {
			name = "passthrough"
		}
		targets = append(targets, benchTarget{name, srv.Handler()})
	}
	return targets
}

func runHandler(b *testing.B, h http.Handler, body, want string) {
	stream := strings.Contains(body, `"stream":true`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := cputime.Process()
	defer reportCPU(b, cpu)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if stream {
			req.Header.Set("Accept", "text/event-stream")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkHandler is one non-streamed chat completion through each
// target.
func BenchmarkHandler(b *testing.B) {
	bodies := benchBodies(false)
	for _, t := range benchTargets(b, nil) {
		for _, name := range []string{"filler", "prose"} {
			b.Run(t.name+"/"+name, func(b *testing.B) { runHandler(b, t.h, bodies[name], "deterministic answer") })
		}
	}
}

// BenchmarkHandlerStream is one streamed chat completion (16 content
// chunks) through each target.
func BenchmarkHandlerStream(b *testing.B) {
	bodies := benchBodies(true)
	for _, t := range benchTargets(b, nil) {
		b.Run(t.name+"/prose", func(b *testing.B) { runHandler(b, t.h, bodies["prose"], "[DONE]") })
	}
}

// BenchmarkHandlerTracing is the full pipeline with tracing off (no
// tracer: what every other benchmark here runs), with every request
// traced (spans batched to an exporter that drops them, so that the
// figure is the gateway's cost, not a collector's), and with a tracer
// that samples nothing.
func BenchmarkHandlerTracing(b *testing.B) {
	body := benchBodies(false)["prose"]
	for _, mode := range []string{"off", "on", "sampled-out"} {
		var tracer trace.Tracer
		if mode != "off" {
			ratio := 1.0
			if mode == "sampled-out" {
				ratio = 0
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}), sdktrace.WithSampler(sdktrace.TraceIDRatioBased(ratio)))
			defer tp.Shutdown(context.Background())
			tracer = tp.Tracer("bench")
		}
		for _, t := range benchTargets(b, tracer)[1:] {
			b.Run(t.name+"/"+mode, func(b *testing.B) { runHandler(b, t.h, body, "deterministic answer") })
		}
	}
}

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }
