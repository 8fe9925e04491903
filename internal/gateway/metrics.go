package gateway

import (
	"net/http"
	"strconv"

	"github.com/modelspec/modelspec/internal/policy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the gateway's Prometheus series, in a registry of its own so
// that two gateways in one process (tests) do not collide.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	// overloaded counts requests turned away at max_concurrent.
	overloaded prometheus.Counter
	findings   *prometheus.CounterVec
	// failures counts checks that could not run, by fail mode.
	failures *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// The stage histograms, looked up once rather than per request.
	input, upstream, output, total prometheus.Observer
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelspec_requests_total", Help: "Chat completion requests by app, action and HTTP status.",
		}, []string{"app", "action", "status"}),
		overloaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "modelspec_overloaded_total", Help: "Requests turned away with a 503 because max_concurrent were in flight.",
		}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelspec_findings_total", Help: "Detector findings by detector, category and stage (input or output).",
		}, []string{"detector", "category", "stage"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelspec_check_failures_total", Help: "Checks that could not run (an error or a panic), by detector, stage and fail mode (open or closed).",
		}, []string{"detector", "stage", "fail"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "modelspec_stage_seconds", Help: "Time spent per request stage.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"stage"}),
	}
	m.reg.MustRegister(m.requests, m.overloaded, m.findings, m.failures, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.input, m.upstream = m.latency.WithLabelValues("input"), m.latency.WithLabelValues("upstream")
	m.output, m.total = m.latency.WithLabelValues("output"), m.latency.WithLabelValues("total")
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observe(o Outcome) {
	m.requests.WithLabelValues(o.App, string(o.Action), strconv.Itoa(o.Status)).Inc()
	if o.Decision != nil {
		for _, f := range o.Decision.Findings {
			m.findings.WithLabelValues(f.Detector, f.Category, "input").Inc()
		}
		m.countFailures(o.Decision.Failures, "input")
	}
	for _, f := range o.Output {
		m.findings.WithLabelValues(f.Detector, f.Category, "output").Inc()
	}
	m.countFailures(o.OutputFailures, "output")
	m.input.Observe(o.Latencies.Input.Seconds())
	m.upstream.Observe(o.Latencies.Upstream.Seconds())
	m.output.Observe(o.Latencies.Output.Seconds())
	m.total.Observe(o.Latencies.Total.Seconds())
}

func (m *metrics) countFailures(fs []policy.CheckFailure, stage string) {
	for _, f := range fs {
		m.failures.WithLabelValues(f.Detector, stage, f.Mode()).Inc()
	}
}
