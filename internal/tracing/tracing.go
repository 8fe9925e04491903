// Package tracing sets up OpenTelemetry tracing for modelspec serve: a
// tracer provider whose spans go, in batches and off the request path, to
// the OTLP/HTTP collector the configuration names. The gateway makes the
// spans; this package only decides where they go.
//
// It never starts anything when tracing is off, and it never puts message
// content in a span: that is the gateway's rule, which the tests check.
package tracing

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/modelspec/modelspec/internal/config"
)

// Name is the instrumentation scope of the gateway's spans.
const Name = "github.com/modelspec/modelspec/internal/gateway"

// Provider exports the gateway's spans.
type Provider struct {
	tp *sdktrace.TracerProvider
}

// New returns a provider exporting to cfg.Endpoint, or nil when tracing is
// off. Nothing is sent until the first spans end; a collector that is down
// costs dropped spans and a call of onError (the SDK's error handler,
// which is process-wide), never a failed request.
func New(cfg config.Tracing, onError func(error)) (*Provider, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(cfg.Endpoint),
		otlptracehttp.WithHeaders(cfg.Headers),
		otlptracehttp.WithTimeout(time.Duration(cfg.Timeout)),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: time.Second, MaxInterval: 5 * time.Second, MaxElapsedTime: 30 * time.Second}),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter for %s: %w", cfg.Endpoint, err)
	}
	// Schemaless, so that the merge with the SDK's default resource (which
	// carries its own schema version) cannot conflict.
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", cfg.ServiceName), attribute.String("service.version", version())))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		// A caller that traces decides for its own requests; the ratio
		// applies to the rest.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	if onError != nil {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(onError))
	}
	return &Provider{tp: tp}, nil
}

// version is the module version of the running binary ("(devel)" for a
// build from a work tree).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// Tracer is the gateway's tracer; nil for a nil provider, which the
// gateway takes as tracing off.
func (p *Provider) Tracer() trace.Tracer {
	if p == nil {
		return nil
	}
	return p.tp.Tracer(Name)
}

// Shutdown exports the spans still queued and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	return p.tp.Shutdown(ctx)
}
