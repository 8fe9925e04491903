// Package config reads the gateway's configuration: one YAML file, applied
// over the defaults, strict (an unknown field is an error naming its line),
// with secrets taken from environment variables and never stored in the
// file. Redacted gives the view that may be shown to admins.
//
// The package reads from an io.Reader and an environment lookup function;
// it never opens files or reads the process environment itself.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/modelspec/modelspec/internal/spec"
)

// Config is the whole gateway configuration.
type Config struct {
	// Listen is the address the gateway listens on.
	Listen string `yaml:"listen" json:"listen"`
	// Spec is the spec file, or "default" for the built-in one.
	Spec string `yaml:"spec" json:"spec"`
	// Prompt is how much of the spec the gateway puts in front of the
	// conversation as the platform's system message: "rules" (rules and
	// the effective defaults, no examples), "brief" (only the first
	// paragraph of each, about half as long), "full" (with examples) or
	// "none".
	Prompt string `yaml:"prompt" json:"prompt"`
	// Upstreams are the model servers, tried in order for a model that
	// several of them serve.
	Upstreams []Upstream `yaml:"upstreams" json:"upstreams"`
	// Apps map API keys to developer policies. With no apps the gateway
	// needs no key and listens on loopback only.
	Apps []App `yaml:"apps" json:"apps"`
	// AdminKeySHA256 is the hex SHA-256 of the key that may read
	// /v1/config.
	AdminKeySHA256 string `yaml:"admin_key_sha256" json:"admin_key_sha256,omitempty"`
	// DecisionLog says where decisions are recorded.
	DecisionLog DecisionLog `yaml:"decision_log" json:"decision_log"`
	// Stream configures output screening of streamed answers.
	Stream Stream `yaml:"stream" json:"stream"`
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes" json:"max_body_bytes"`
	// MaxConcurrent bounds the completion and response requests in flight;
	// those over it get a 503 at once. 0 means no bound.
	MaxConcurrent int `yaml:"max_concurrent" json:"max_concurrent"`
	// Passthrough turns the spec off: requests are authenticated,
	// decoded, forwarded and logged, but not screened and given no
	// platform prompt. For measuring the gateway's own overhead, and for
	// switching enforcement off without taking the gateway out.
	Passthrough bool `yaml:"passthrough" json:"passthrough"`
	// Judges are LLM-judge checks: each asks a model whether a request
	// violates one clause. They screen the input only (one call per
	// message), since a call per stream window would cost too much.
	Judges []Judge `yaml:"judges" json:"judges,omitempty"`
	// Classifiers are user-supplied ONNX text classifiers, each from a
	// local folder (model.onnx, tokenizer.json, config.json). Like the
	// judges they screen the input only.
	Classifiers []Classifier `yaml:"classifiers" json:"classifiers,omitempty"`
	// ProtectedTexts is a folder of .txt and .md files whose verbatim
	// reproduction the creators'-rights screen reports (relative to the
	// config file).
	ProtectedTexts string `yaml:"protected_texts" json:"protected_texts,omitempty"`
	// Label serves the labeling workbench at /label and the reward API at
	// POST /v1/grade.
	Label Label `yaml:"label" json:"label"`
	// Feedback configures the public spec site at /spec: published
	// versions, feedback, votes, changelog (internal/web/specsite).
	Feedback Feedback `yaml:"feedback" json:"feedback"`
	// Tracing exports OpenTelemetry spans; off unless an endpoint is set.
	Tracing Tracing `yaml:"tracing" json:"tracing"`
}

// Tracing configures OpenTelemetry tracing of the gateway: a span per
// request and per stage, exported by OTLP/HTTP.
type Tracing struct {
	// Endpoint is the collector's OTLP/HTTP traces URL, such as
	// http://127.0.0.1:4318/v1/traces; a URL without a path gets
	// /v1/traces. Empty turns tracing off.
	Endpoint string `yaml:"endpoint" json:"endpoint,omitempty"`
	// ServiceName is the service.name of the spans (default modelspec).
	ServiceName string `yaml:"service_name" json:"service_name"`
	// SampleRatio is the share of requests traced when the caller sent no
	// trace context (0 to 1, default 1); a caller's own decision is kept.
	SampleRatio float64 `yaml:"sample_ratio" json:"sample_ratio"`
	// HeadersEnv names the environment variable holding headers for the
	// collector, as key=value pairs separated by commas (an API key, say).
	HeadersEnv string            `yaml:"headers_env" json:"headers_env,omitempty"`
	Headers    map[string]string `yaml:"-" json:"-"`
	// Timeout bounds one export (default 10s).
	Timeout Duration `yaml:"timeout" json:"timeout"`
}

// Enabled reports whether spans are exported.
func (t Tracing) Enabled() bool { return t.Endpoint != "" }

// Feedback configures the spec site and its store.
type Feedback struct {
	// Enabled serves /spec (default true).
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Database is where feedback is kept; an unset SQLite path is the
	// decision log's file, and with no SQLite decision log and no path
	// the site is off rather than writing a file nobody asked for.
	Database `yaml:",inline"`
	// BaseURL is the site's address as people reach it, for the links in
	// confirmation emails; default http:// and the listen address.
	BaseURL  string `yaml:"base_url" json:"base_url,omitempty"`
	SiteName string `yaml:"site_name" json:"site_name,omitempty"`
	// Web: without session_key_env the site's session key is made once
	// and kept in the store, so sessions survive a restart.
	Web `yaml:",inline"`
	// EmailKeyEnv names the variable holding the key that hashes email
	// addresses (at least 32 bytes); without it one is made once and kept
	// in the store.
	EmailKeyEnv string `yaml:"email_key_env" json:"email_key_env,omitempty"`
	EmailKey    string `yaml:"-" json:"-"`
	// WritesPerMinute and Burst limit submissions per client address and
	// per participant.
	WritesPerMinute float64 `yaml:"writes_per_minute" json:"writes_per_minute"`
	Burst           int     `yaml:"burst" json:"burst"`
}

// Web holds what every signed-in page needs: the session key, the cookie
// flag and whether to trust a proxy's X-Forwarded-For (for rate limits
// per client address).
type Web struct {
	// SessionKeyEnv names the environment variable holding the key that
	// signs session cookies (32 bytes or more; give replicas the same).
	SessionKeyEnv string `yaml:"session_key_env" json:"session_key_env,omitempty"`
	SessionKey    string `yaml:"-" json:"-"`
	// SecureCookies sends the session cookie over HTTPS only.
	SecureCookies bool `yaml:"secure_cookies" json:"secure_cookies"`
	// TrustForwarded takes client addresses from X-Forwarded-For, behind a
	// proxy that sets it.
	TrustForwarded bool `yaml:"trust_forwarded" json:"trust_forwarded"`
}

// Label configures the labeling workbench and the reward API.
type Label struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Database is where labels are kept; an unset SQLite path is the
	// decision log's file.
	Database `yaml:",inline"`
	// Web: without session_key_env a random key is made at start, so
	// sessions end on restart.
	Web `yaml:",inline"`
	// MaxBatch bounds the pairs of one POST /v1/grade.
	MaxBatch int `yaml:"max_batch" json:"max_batch"`
}

// Upstream is one model server.
type Upstream struct {
	Name string `yaml:"name" json:"name"`
	// Type is openai (any OpenAI-compatible server: OpenAI, vLLM, Ollama,
	// llama.cpp), azure, or anthropic.
	Type    string `yaml:"type" json:"type"`
	BaseURL string `yaml:"base_url" json:"base_url"`
	// APIKeyEnv names the environment variable holding the key.
	APIKeyEnv string `yaml:"api_key_env" json:"api_key_env,omitempty"`
	// APIKey is filled from APIKeyEnv at load time, never from the file.
	APIKey string `yaml:"-" json:"-"`
	// APIVersion is Azure's api-version query parameter.
	APIVersion string `yaml:"api_version" json:"api_version,omitempty"`
	// Models are the model names (path.Match patterns) this upstream
	// serves; empty means any.
	Models     []string `yaml:"models" json:"models,omitempty"`
	Timeout    Duration `yaml:"timeout" json:"timeout"`
	MaxRetries int      `yaml:"max_retries" json:"max_retries"`
	// Fallback names the upstream to try when this one fails with a
	// retryable error after its retries.
	Fallback string `yaml:"fallback" json:"fallback,omitempty"`
}

// Serves reports whether the upstream serves model.
func (u Upstream) Serves(model string) bool {
	if len(u.Models) == 0 {
		return true
	}
	for _, p := range u.Models {
		if ok, _ := path.Match(p, model); ok {
			return true
		}
	}
	return false
}

// App is one application: its hashed key and its developer policy.
type App struct {
	Name string `yaml:"name" json:"name"`
	// KeySHA256 is the hex SHA-256 of the app's API key. The key itself
	// is never stored.
	KeySHA256 string `yaml:"key_sha256" json:"-"`
	// Policy is the developer policy file (YAML).
	Policy    string    `yaml:"policy" json:"policy,omitempty"`
	RateLimit RateLimit `yaml:"rate_limit" json:"rate_limit"`
}

// Judge is one LLM-judge check.
type Judge struct {
	// Clause is the spec clause the judge checks; its text is the rubric.
	Clause  string `yaml:"clause" json:"clause"`
	BaseURL string `yaml:"base_url" json:"base_url"`
	Model   string `yaml:"model" json:"model"`
	// APIKeyEnv names the environment variable holding the key.
	APIKeyEnv string   `yaml:"api_key_env" json:"api_key_env,omitempty"`
	APIKey    string   `yaml:"-" json:"-"`
	Timeout   Duration `yaml:"timeout" json:"timeout"`
	// Fail is what happens when the judge cannot answer (error, timeout):
	// closed (the default) blocks the request, open lets it through. The
	// decision log records the failure either way.
	Fail string `yaml:"fail" json:"fail"`
}

// Classifier is one ONNX text classifier.
type Classifier struct {
	// Dir is the model's folder (relative to the config file).
	Dir       string `yaml:"dir" json:"dir"`
	ModelFile string `yaml:"model_file" json:"model_file,omitempty"`
	// Name makes the detector id, detect.onnx.<name>.
	Name string `yaml:"name" json:"name"`
	// Clause and Category are what its findings cite and which action
	// they take (the policy's checks).
	Clause   string   `yaml:"clause" json:"clause"`
	Category string   `yaml:"category" json:"category,omitempty"`
	Flag     []string `yaml:"flag" json:"flag,omitempty"`
	MinScore float64  `yaml:"min_score" json:"min_score,omitempty"`
	// Timeout bounds the classification of one message (none when 0);
	// past it the check has failed and its category's fail mode applies.
	Timeout Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// RateLimit is a token bucket per key.
type RateLimit struct {
	RequestsPerSecond float64 `yaml:"requests_per_second" json:"requests_per_second"`
	Burst             int     `yaml:"burst" json:"burst"`
}

// DecisionLog configures the decision store.
type DecisionLog struct {
	// Database is where records go; its driver may also be none (no log).
	Database `yaml:",inline"`
	// HashKeyEnv names the environment variable holding the key for the
	// keyed hashes of redacted content.
	HashKeyEnv string `yaml:"hash_key_env" json:"hash_key_env,omitempty"`
	HashKey    string `yaml:"-" json:"-"`
	// CommitWindow is how long the log gathers records into one commit
	// after the first arrives. Records are written after the answer has
	// gone out, so the window costs clients nothing; it saves a commit per
	// record when requests come one at a time (about two thirds of the
	// log's CPU at 500 requests/s), and a killed process can lose the
	// records of the window it was in (a clean stop writes them).
	CommitWindow Duration `yaml:"commit_window" json:"commit_window"`
	// Synchronous is SQLite's synchronous setting: full (the default:
	// each commit is fsynced, so a committed record survives a power loss)
	// or normal (a committed record survives a killed process but maybe
	// not a power loss; a third less CPU per commit).
	Synchronous string `yaml:"synchronous" json:"synchronous,omitempty"`
}

// Database says where a store keeps its data. The decision log, labels
// and feedback each have one; by default the labels and feedback share
// the decision log's SQLite file (each store has its own tables).
type Database struct {
	// Driver is sqlite or postgres.
	Driver string `yaml:"driver" json:"driver"`
	// Path is the SQLite file.
	Path string `yaml:"path" json:"path,omitempty"`
	// DSNEnv names the environment variable holding the PostgreSQL DSN
	// (it holds a password, so it never sits in the file).
	DSNEnv string `yaml:"dsn_env" json:"dsn_env,omitempty"`
	DSN    string `yaml:"-" json:"-"`
}

// resolve checks d for the config section named section and reads the DSN.
func (d *Database) resolve(section string, env func(string) (string, bool), bad func(string, ...any)) {
	switch d.Driver {
	case "sqlite":
		if d.Path == "" {
			bad("%s.path is required for sqlite", section)
		}
	case "postgres":
		if d.DSNEnv == "" {
			bad("%s.dsn_env is required for postgres (the DSN holds a password, so it comes from the environment)", section)
		} else if v, ok := env(d.DSNEnv); !ok {
			bad("%s.dsn_env: environment variable %s is not set", section, d.DSNEnv)
		} else {
			d.DSN = v
		}
	default:
		bad("%s.driver %q: want sqlite or postgres", section, d.Driver)
	}
}

// orDecisionLog fills an unset SQLite path with the decision log's file.
// It reports false when there is no such file to share.
func (d *Database) orDecisionLog(dl DecisionLog) bool {
	if d.Driver != "sqlite" || d.Path != "" {
		return true
	}
	if dl.Driver != "sqlite" || dl.Path == "" {
		return false
	}
	d.Path = dl.Path
	return true
}

// secret reads the key named by the environment variable name (when set)
// into *dst; keys that sign or hash must be at least 32 bytes.
func secret(field, name string, dst *string, env func(string) (string, bool), bad func(string, ...any)) {
	if name == "" {
		return
	}
	v, ok := env(name)
	switch {
	case !ok:
		bad("%s: environment variable %s is not set", field, name)
	case len(v) < 32:
		bad("%s: %s holds %d bytes, want at least 32 (modelspec keys new makes one)", field, name, len(v))
	}
	*dst = v
}

// Stream configures output screening of streamed answers.
type Stream struct {
	// Mode is window (hold back Window characters so that nothing is sent
	// before it was screened) or passthrough (screen after sending).
	Mode   string `yaml:"mode" json:"mode"`
	Window int    `yaml:"window" json:"window"`
}

// Duration is a time.Duration written as "30s" in YAML and JSON.
type Duration time.Duration

// UnmarshalYAML reads "30s", "2m", ...
func (d *Duration) UnmarshalYAML(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w (write it like 30s or 2m)", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// Default returns the configuration before any file is applied.
func Default() Config {
	return Config{
		Listen:       "127.0.0.1:8080",
		Spec:         "default",
		Prompt:       "rules",
		DecisionLog:  DecisionLog{Database: Database{Driver: "sqlite", Path: "modelspec.db"}, CommitWindow: Duration(50 * time.Millisecond), Synchronous: "full"},
		Stream:       Stream{Mode: "window", Window: 256},
		MaxBodyBytes: 4 << 20,
		// Envoy's default for a cluster's requests in flight: far above what
		// a healthy gateway holds (a few dozen at 2,000 req/s), far below
		// what an overload piles up.
		MaxConcurrent: 1024,
		Label:         Label{Database: Database{Driver: "sqlite"}, MaxBatch: 256},
		Feedback:      Feedback{Enabled: true, Database: Database{Driver: "sqlite"}, WritesPerMinute: 6, Burst: 10},
		Tracing:       Tracing{ServiceName: "modelspec", SampleRatio: 1, Timeout: Duration(10 * time.Second)},
	}
}

// upstreamDefaults fills what an upstream entry left out.
func upstreamDefaults(u *Upstream) {
	if u.Type == "" {
		u.Type = "openai"
	}
	if u.Timeout == 0 {
		u.Timeout = Duration(60 * time.Second)
	}
	if u.MaxRetries == 0 {
		u.MaxRetries = 2
	}
	if u.MaxRetries < 0 {
		u.MaxRetries = 0
	}
}

// ErrInvalid marks a configuration that parsed but is not usable.
var ErrInvalid = errors.New("invalid configuration")

// Parse reads a configuration from r over the defaults. name is used in
// messages; env looks up environment variables (os.LookupEnv in main).
func Parse(name string, r io.Reader, env func(string) (string, bool)) (Config, error) {
	c := Default()
	src, err := io.ReadAll(r)
	if err != nil {
		return c, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(src)) > 0 {
		if err := yaml.UnmarshalWithOptions(src, &c, yaml.Strict()); err != nil {
			line, col, msg := spec.YAMLPos(err)
			return c, fmt.Errorf("%s:%d:%d: %s", name, line, col, msg)
		}
	}
	if err := c.resolve(name, env); err != nil {
		return c, err
	}
	return c, nil
}

// resolve applies per-entry defaults, reads secrets from the environment
// and validates the whole configuration, reporting every problem at once.
func (c *Config) resolve(name string, env func(string) (string, bool)) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen %q: want host:port", c.Listen)
	}
	switch c.Prompt {
	case "rules", "brief", "full", "none":
	default:
		bad("prompt %q: want rules, brief, full or none", c.Prompt)
	}
	names := map[string]bool{}
	for i := range c.Upstreams {
		u := &c.Upstreams[i]
		upstreamDefaults(u)
		where := fmt.Sprintf("upstreams[%d]", i)
		if u.Name == "" {
			bad("%s.name is required", where)
		} else if names[u.Name] {
			bad("%s.name %q is used twice", where, u.Name)
		}
		names[u.Name] = true
		switch u.Type {
		case "openai", "azure", "anthropic":
		default:
			bad("%s.type %q: want openai, azure or anthropic", where, u.Type)
		}
		if !httpURL(u.BaseURL) {
			bad("%s.base_url %q: want an http or https URL", where, u.BaseURL)
		}
		if u.APIKeyEnv != "" {
			v, ok := env(u.APIKeyEnv)
			if !ok {
				bad("%s.api_key_env: environment variable %s is not set", where, u.APIKeyEnv)
			}
			u.APIKey = v
		}
		if u.Type == "azure" && u.APIVersion == "" {
			bad("%s.api_version is required for azure", where)
		}
	}
	types := map[string]string{}
	for _, u := range c.Upstreams {
		types[u.Name] = u.Type
	}
	for i, u := range c.Upstreams {
		switch {
		case u.Fallback == "":
		case !names[u.Fallback] || u.Fallback == u.Name:
			bad("upstreams[%d].fallback %q: name another upstream", i, u.Fallback)
		case (types[u.Fallback] == "anthropic") != (u.Type == "anthropic"):
			// The request body is translated once, for the first upstream.
			bad("upstreams[%d].fallback %q: an anthropic upstream can only fall back to another anthropic upstream, and the others only to non-anthropic ones", i, u.Fallback)
		}
	}
	for i := range c.Judges {
		j := &c.Judges[i]
		where := fmt.Sprintf("judges[%d]", i)
		if j.Clause == "" || j.Model == "" {
			bad("%s: clause and model are required", where)
		}
		if !httpURL(j.BaseURL) {
			bad("%s.base_url %q: want an http or https URL", where, j.BaseURL)
		}
		if j.Fail == "" {
			j.Fail = "closed"
		}
		if j.Fail != "open" && j.Fail != "closed" {
			bad("%s.fail %q: want open or closed", where, j.Fail)
		}
		if j.Timeout == 0 {
			j.Timeout = Duration(10 * time.Second)
		}
		if j.APIKeyEnv != "" {
			v, ok := env(j.APIKeyEnv)
			if !ok {
				bad("%s.api_key_env: environment variable %s is not set", where, j.APIKeyEnv)
			}
			j.APIKey = v
		}
	}
	for i, c := range c.Classifiers {
		if c.Dir == "" || c.Name == "" || c.Clause == "" {
			bad("classifiers[%d]: dir, name and clause are required", i)
		}
		if c.Timeout < 0 {
			bad("classifiers[%d].timeout: want a positive duration, such as 2s, or none", i)
		}
	}
	keys := map[string]bool{}
	for i, a := range c.Apps {
		where := fmt.Sprintf("apps[%d]", i)
		if a.Name == "" {
			bad("%s.name is required", where)
		}
		if !isHexSHA256(a.KeySHA256) {
			bad("%s.key_sha256: want the 64-hex-digit SHA-256 of the key (modelspec keys hash)", where)
		} else if keys[a.KeySHA256] {
			bad("%s.key_sha256: the same key is given to two apps", where)
		}
		keys[a.KeySHA256] = true
		if a.RateLimit.RequestsPerSecond < 0 || a.RateLimit.Burst < 0 {
			bad("%s.rate_limit: values must not be negative", where)
		}
	}
	if c.AdminKeySHA256 != "" && !isHexSHA256(c.AdminKeySHA256) {
		bad("admin_key_sha256: want a 64-hex-digit SHA-256")
	}
	switch c.DecisionLog.Driver {
	case "none":
	case "sqlite", "postgres":
		c.DecisionLog.resolve("decision_log", env, bad)
	default:
		bad("decision_log.driver %q: want sqlite, postgres or none", c.DecisionLog.Driver)
	}
	if k := c.DecisionLog.HashKeyEnv; k != "" {
		v, ok := env(k)
		if !ok {
			bad("decision_log.hash_key_env: environment variable %s is not set", k)
		}
		c.DecisionLog.HashKey = v
	}
	if w := time.Duration(c.DecisionLog.CommitWindow); w < 0 || w > 10*time.Second {
		bad("decision_log.commit_window %v: want 0 to 10s", w)
	}
	switch c.DecisionLog.Synchronous {
	case "full", "normal":
		if c.DecisionLog.Driver != "sqlite" && c.DecisionLog.Synchronous != "full" {
			bad("decision_log.synchronous applies to sqlite only (PostgreSQL's is synchronous_commit, set on the server)")
		}
	default:
		bad("decision_log.synchronous %q: want full or normal", c.DecisionLog.Synchronous)
	}
	switch c.Stream.Mode {
	case "window", "passthrough":
	default:
		bad("stream.mode %q: want window or passthrough", c.Stream.Mode)
	}
	if c.Stream.Window < 1 || c.Stream.Window > 1<<16 {
		bad("stream.window %d: want 1 to 65536 characters", c.Stream.Window)
	}
	if c.MaxBodyBytes < 1<<10 {
		bad("max_body_bytes %d: want at least 1024", c.MaxBodyBytes)
	}
	if c.MaxConcurrent < 0 {
		bad("max_concurrent %d: want 0 (no bound) or more", c.MaxConcurrent)
	}
	if !c.Feedback.orDecisionLog(c.DecisionLog) {
		c.Feedback.Enabled = false
	}
	if c.Label.Enabled && !c.Label.orDecisionLog(c.DecisionLog) {
		bad("label.path is required: the decision log is not in a SQLite file to share")
	}
	c.Feedback.resolve(bad, env)
	c.Label.resolve(env, bad)
	c.Tracing.resolve(env, bad)
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w:\n  %s", name, ErrInvalid, strings.Join(problems, "\n  "))
	}
	return nil
}

// resolve checks the tracing section and reads the collector's headers.
func (t *Tracing) resolve(env func(string) (string, bool), bad func(string, ...any)) {
	if t.Endpoint != "" {
		if u, err := url.Parse(t.Endpoint); err != nil || !httpURL(t.Endpoint) {
			bad("tracing.endpoint %q: want an http or https URL, such as http://127.0.0.1:4318/v1/traces", t.Endpoint)
		} else if u.Path == "" || u.Path == "/" {
			u.Path = "/v1/traces"
			t.Endpoint = u.String()
		}
	}
	if t.ServiceName == "" {
		bad("tracing.service_name must not be empty")
	}
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		bad("tracing.sample_ratio %v: want 0 to 1", t.SampleRatio)
	}
	if t.Timeout <= 0 {
		bad("tracing.timeout: want a positive duration, such as 10s")
	}
	if t.HeadersEnv == "" {
		return
	}
	v, ok := env(t.HeadersEnv)
	if !ok {
		bad("tracing.headers_env: environment variable %s is not set", t.HeadersEnv)
		return
	}
	t.Headers = map[string]string{}
	for i, pair := range strings.Split(v, ",") {
		k, val, found := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !found || k == "" {
			// The value is a secret: name the pair, never show it.
			bad("tracing.headers_env: pair %d of %s is not key=value", i+1, t.HeadersEnv)
			continue
		}
		t.Headers[k] = strings.TrimSpace(val)
	}
}

func (l *Label) resolve(env func(string) (string, bool), bad func(string, ...any)) {
	if !l.Enabled {
		return
	}
	l.Database.resolve("label", env, bad)
	secret("label.session_key_env", l.SessionKeyEnv, &l.SessionKey, env, bad)
	if l.MaxBatch < 1 || l.MaxBatch > 4096 {
		bad("label.max_batch %d: want 1 to 4096", l.MaxBatch)
	}
}

// resolve checks the feedback section and reads its secrets.
func (f *Feedback) resolve(bad func(string, ...any), env func(string) (string, bool)) {
	if !f.Enabled {
		return
	}
	f.Database.resolve("feedback", env, bad)
	if f.BaseURL != "" && !httpURL(f.BaseURL) {
		bad("feedback.base_url %q: want an http or https URL", f.BaseURL)
	}
	secret("feedback.session_key_env", f.SessionKeyEnv, &f.SessionKey, env, bad)
	secret("feedback.email_key_env", f.EmailKeyEnv, &f.EmailKey, env, bad)
	if f.WritesPerMinute <= 0 || f.Burst < 1 {
		bad("feedback: writes_per_minute and burst must be positive")
	}
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Redacted returns a copy safe to show: no keys, no key hashes, no DSN.
// (The fields holding secrets are tagged json:"-"; this also clears them
// so that a caller encoding it another way leaks nothing.)
func (c Config) Redacted() Config {
	r := c
	r.Upstreams = append([]Upstream(nil), c.Upstreams...)
	for i := range r.Upstreams {
		r.Upstreams[i].APIKey = ""
	}
	r.Apps = append([]App(nil), c.Apps...)
	for i := range r.Apps {
		r.Apps[i].KeySHA256 = ""
	}
	r.Judges = append([]Judge(nil), c.Judges...)
	for i := range r.Judges {
		r.Judges[i].APIKey = ""
	}
	r.AdminKeySHA256 = ""
	r.DecisionLog.DSN, r.DecisionLog.HashKey = "", ""
	r.Feedback.DSN, r.Feedback.SessionKey, r.Feedback.EmailKey = "", "", ""
	r.Label.DSN, r.Label.SessionKey = "", ""
	r.Tracing.Headers = nil
	return r
}
