// Package gateway is the HTTP edge of modelspec serve: OpenAI-compatible
// routes in front of any model server, applying the spec on the way in and
// on the way out. Handlers decode, call the decision core (policy, detect)
// and encode; they hold no policy logic of their own, and every error they
// write goes through writeError in the OpenAI shape.
package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
)

// Outcome is what the gateway reports about each request, for the
// decision log. It carries the message texts so that the recorder can
// hash the findings' content; a recorder must never store them.
type Outcome struct {
	ID       string
	Time     time.Time
	App      string
	Model    string
	Upstream string
	Stream   bool
	Decision *policy.Decision
	Output   []detect.Finding // findings in the answer, Message = choice index
	// OutputFailures are the output checks that could not run, Message =
	// choice index (the input's are Decision.Failures).
	OutputFailures []policy.CheckFailure
	// Fault is a panic in the handling of the request (a bug), with its
	// stack; the client got a 500 or a stream's error event.
	Fault       *policy.PanicError
	Action      policy.Action
	Status      int
	Error       string
	Latencies   Latencies
	Texts       []string // message texts, for hashing only
	OutputTexts []string // choice texts, for hashing only
}

// Latencies are the time spent in each stage of a request.
type Latencies struct {
	Input    time.Duration `json:"input"`    // decode, chain of command, input screening
	Upstream time.Duration `json:"upstream"` // until the upstream's last byte
	Output   time.Duration `json:"output"`   // output screening
	Total    time.Duration `json:"total"`
}

// Deps are what the gateway needs besides its configuration.
type Deps struct {
	Spec *spec.Spec
	// Policies holds each app's developer policy by app name; an app
	// without one uses the spec as it is.
	Policies map[string]*policy.Developer
	// Screens are the content detectors run on input and output.
	Screens []detect.Detector
	// InputScreens run on the input only: checks too costly to run on
	// every stream window, such as LLM judges.
	InputScreens []detect.Detector
	// Injection and RoleSpoof are the chain-of-command screens.
	Injection, RoleSpoof detect.Detector
	// Record receives every outcome; it must not block for long.
	Record func(context.Context, Outcome)
	// NewID returns a decision id; Now the time (injected for replay).
	NewID func() string
	Now   func() time.Time
	// Client is the HTTP client for upstreams (a default one if nil).
	Client *http.Client
	// Tracer makes a span per request and per stage (trace.go); nil
	// turns tracing off.
	Tracer trace.Tracer
}

// Server is the gateway.
type Server struct {
	cfg          config.Config
	inputScreens []detect.Detector // Screens and InputScreens
	deps         Deps
	apps         map[[32]byte]*app
	open         *app // the app used when no apps are configured
	upstreams    []*upstream
	metrics      *metrics
	mux          *http.ServeMux
	tracer       trace.Tracer // nil: tracing off
	// slots holds a token per completion or response request in flight,
	// up to cfg.MaxConcurrent; nil when unbounded.
	slots chan struct{}
}

type app struct {
	name   string
	policy *policy.Policy
	// prompt is the platform's system message, encoded once: it is the
	// same for every request of the app, and encoding ~24 KB of text per
	// request would cost more than all the screening. promptComma is the
	// same followed by a comma, to go before the client's messages.
	prompt, promptComma []byte
	limiter             *rate.Limiter
	// screens remembers the content screens' findings on the app's own
	// system and developer messages (screencache.go).
	screens *screenCache
}

// New builds a gateway. It fails if an app's policy names a problem the
// spec forbids only in the sense that the policy cannot be used at all;
// refused overrides are kept and cited per request.
func New(cfg config.Config, deps Deps) (*Server, error) {
	if deps.Spec == nil {
		return nil, fmt.Errorf("gateway: no spec")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Record == nil {
		deps.Record = func(context.Context, Outcome) {}
	}
	if deps.Client == nil {
		deps.Client = &http.Client{Transport: newTransport()}
	}
	s := &Server{cfg: cfg, deps: deps, apps: map[[32]byte]*app{}, metrics: newMetrics(), tracer: deps.Tracer,
		inputScreens: append(append([]detect.Detector{}, deps.Screens...), deps.InputScreens...)}
	byName := map[string]*upstream{}
	for _, uc := range cfg.Upstreams {
		client := *deps.Client
		client.Timeout = 0 // per-request deadlines come from the context
		u := &upstream{cfg: uc, client: &client, traced: deps.Tracer != nil}
		s.upstreams = append(s.upstreams, u)
		byName[uc.Name] = u
	}
	for _, u := range s.upstreams {
		if u.cfg.Fallback != "" {
			u.fallback = byName[u.cfg.Fallback]
		}
	}
	for _, ac := range cfg.Apps {
		a := s.newApp(ac.Name, deps.Policies[ac.Name], ac.RateLimit)
		var key [32]byte
		if _, err := hex.Decode(key[:], []byte(ac.KeySHA256)); err != nil {
			return nil, fmt.Errorf("gateway: app %s: key_sha256: %w", ac.Name, err)
		}
		s.apps[key] = a
	}
	if len(cfg.Apps) == 0 {
		s.open = s.newApp("default", nil, config.RateLimit{})
	}
	if cfg.MaxConcurrent > 0 {
		s.slots = make(chan struct{}, cfg.MaxConcurrent)
	}
	s.routes()
	return s, nil
}

func (s *Server) newApp(name string, dev *policy.Developer, rl config.RateLimit) *app {
	p := policy.Effective(s.deps.Spec, dev, nil)
	a := &app{name: name, policy: p, screens: newScreenCache()}
	if text := platformPrompt(s.deps.Spec, p, s.cfg.Prompt); text != "" {
		a.prompt, _ = json.Marshal(openai.Message{Role: openai.RoleSystem, Content: openai.TextContent(text)})
		a.promptComma = append(a.prompt[:len(a.prompt):len(a.prompt)], ',')
	}
	if rl.RequestsPerSecond > 0 {
		burst := rl.Burst
		if burst == 0 {
			burst = max(1, int(rl.RequestsPerSecond))
		}
		a.limiter = rate.NewLimiter(rate.Limit(rl.RequestsPerSecond), burst)
	}
	return a
}

// Handler returns the gateway's routes.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", s.bounded(s.chatCompletions))
	s.mux.HandleFunc("POST /v1/responses", s.bounded(s.responses))
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.HandleFunc("GET /v1/config", s.config)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "spec_version": s.deps.Spec.Version})
	})
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, fmt.Sprintf("no route %s %s: the gateway serves POST /v1/chat/completions, POST /v1/responses and GET /v1/models", r.Method, r.URL.Path), "not_found")
	})
}

// bounded turns a request away with a 503 when cfg.MaxConcurrent are
// already in flight. Each request holds its goroutines, buffers and
// upstream connection until it ends (about 120 KB with the full spec), so
// without a bound an overload, or an upstream that slows down, grows
// memory without end; with one, clients get an error their SDK retries.
// The request reached no decision, so it is counted in /metrics
// (modelspec_overloaded_total), not recorded in the decision log.
func (s *Server) bounded(h http.HandlerFunc) http.HandlerFunc {
	if s.slots == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
			h(w, r)
		default:
			s.metrics.overloaded.Inc()
			w.Header().Set("Retry-After", "1")
			fail(w, http.StatusServiceUnavailable, fmt.Sprintf("the gateway has %d requests in flight, its limit (max_concurrent); retry shortly", cap(s.slots)), "overloaded")
		}
	}
}

// authenticate finds the app of a request's bearer key. Keys are compared
// by their SHA-256, so the gateway never holds a key in memory for longer
// than the request.
func (s *Server) authenticate(r *http.Request) (*app, bool) {
	if s.open != nil {
		return s.open, true
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || key == "" {
		return nil, false
	}
	sum := sha256.Sum256([]byte(key))
	a, ok := s.apps[sum]
	return a, ok
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(r); !ok {
		fail(w, http.StatusUnauthorized, "missing or unknown API key: send Authorization: Bearer <key>", "invalid_api_key")
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	seen := map[string]bool{}
	for _, u := range s.upstreams {
		for _, m := range u.cfg.Models {
			if !seen[m] && !strings.ContainsAny(m, "*?[") {
				seen[m] = true
				out.Data = append(out.Data, model{ID: m, Object: "model", OwnedBy: u.cfg.Name})
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(key))
	want, err := hex.DecodeString(s.cfg.AdminKeySHA256)
	if s.cfg.AdminKeySHA256 == "" || err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		fail(w, http.StatusForbidden, "the configuration is shown to the admin key only (admin_key_sha256)", "forbidden")
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.Redacted())
}

// route picks the upstream for a model: the first that serves it.
func (s *Server) route(model string) *upstream {
	for _, u := range s.upstreams {
		if u.cfg.Serves(model) {
			return u
		}
	}
	return nil
}
