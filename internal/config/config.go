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
	// the effective defaults, no examples), "full" (with examples) or
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
}

// RateLimit is a token bucket per key.
type RateLimit struct {
	RequestsPerSecond float64 `yaml:"requests_per_second" json:"requests_per_second"`
	Burst             int     `yaml:"burst" json:"burst"`
}

// DecisionLog configures the decision store.
type DecisionLog struct {
	// Driver is sqlite or postgres.
	Driver string `yaml:"driver" json:"driver"`
	// Path is the SQLite file.
	Path string `yaml:"path" json:"path,omitempty"`
	// DSNEnv names the environment variable holding the PostgreSQL DSN.
	DSNEnv string `yaml:"dsn_env" json:"dsn_env,omitempty"`
	DSN    string `yaml:"-" json:"-"`
	// HashKeyEnv names the environment variable holding the key for the
	// keyed hashes of redacted content.
	HashKeyEnv string `yaml:"hash_key_env" json:"hash_key_env,omitempty"`
	HashKey    string `yaml:"-" json:"-"`
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
		DecisionLog:  DecisionLog{Driver: "sqlite", Path: "modelspec.db"},
		Stream:       Stream{Mode: "window", Window: 256},
		MaxBodyBytes: 4 << 20,
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
	case "rules", "full", "none":
	default:
		bad("prompt %q: want rules, full or none", c.Prompt)
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
	case "sqlite":
		if c.DecisionLog.Path == "" {
			bad("decision_log.path is required for sqlite")
		}
	case "postgres":
		if c.DecisionLog.DSNEnv == "" {
			bad("decision_log.dsn_env is required for postgres (the DSN holds a password, so it comes from the environment)")
		} else if v, ok := env(c.DecisionLog.DSNEnv); !ok {
			bad("decision_log.dsn_env: environment variable %s is not set", c.DecisionLog.DSNEnv)
		} else {
			c.DecisionLog.DSN = v
		}
	case "none":
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
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w:\n  %s", name, ErrInvalid, strings.Join(problems, "\n  "))
	}
	return nil
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
	return r
}
