package config

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseFull(t *testing.T) {
	f, err := os.Open("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Parse("full.yaml", f, env(map[string]string{
		"TEST_UPSTREAM_KEY": "sk-upstream-secret", "TEST_AZURE_KEY": "azure-secret", "TEST_PG_DSN": "postgres://u:pw@localhost/db",
	}))
	if err != nil {
		t.Fatal(err)
	}
	u := c.Upstreams[0]
	if u.APIKey != "sk-upstream-secret" || u.Type != "openai" || time.Duration(u.Timeout) != 30*time.Second || u.MaxRetries != 2 {
		t.Errorf("upstream = %+v", u)
	}
	if !u.Serves("gpt-4o-mini") || !u.Serves("o3") || u.Serves("claude-3") {
		t.Error("model routing patterns")
	}
	if c.Upstreams[1].Timeout == 0 || c.DecisionLog.DSN == "" || c.Stream.Window != 128 || c.MaxBodyBytes != 4<<20 {
		t.Errorf("defaults not applied: %+v", c)
	}
	red, err := json.Marshal(c.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"sk-upstream-secret", "azure-secret", "pw@", "9f86d081"} {
		if strings.Contains(string(red), secret) {
			t.Errorf("redacted view shows %q: %s", secret, red)
		}
	}
	if !strings.Contains(string(red), "TEST_UPSTREAM_KEY") || !strings.Contains(string(red), `"timeout":"30s"`) {
		t.Errorf("redacted view lost harmless fields: %s", red)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown field names its line", "listen: 127.0.0.1:1\nupstream:\n  - name: x\n", `x.yaml:2:1: unknown field "upstream"`},
		{"nested unknown field", "upstreams:\n  - name: a\n    base_url: http://x\n    modle: gpt\n", "x.yaml:4:5"},
		{"bad duration", "upstreams:\n  - name: a\n    base_url: http://x\n    timeout: soon\n", "write it like 30s"},
		{"missing env", "upstreams:\n  - name: a\n    base_url: http://x\n    api_key_env: NOPE\n", "environment variable NOPE is not set"},
		{"bad url and type together", "upstreams:\n  - name: a\n    type: bedrock\n    base_url: ftp://x\n", "want openai, azure or anthropic"},
		{"bad key hash", "apps:\n  - name: a\n    key_sha256: sk-plaintext\n", "64-hex-digit SHA-256"},
		{"fallback to itself", "upstreams:\n  - name: a\n    base_url: http://x\n    fallback: a\n", "name another upstream"},
		{"stream mode", "stream: {mode: fast}\n", `stream.mode "fast"`},
		{"postgres without dsn", "decision_log: {driver: postgres}\n", "dsn_env is required"},
		{"negative commit window", "decision_log: {commit_window: -1s}\n", "decision_log.commit_window -1s"},
		{"synchronous off", "decision_log: {synchronous: off}\n", `decision_log.synchronous "off": want full or normal`},
		{"synchronous for postgres", "decision_log: {driver: postgres, dsn_env: PG, synchronous: normal}\n", "applies to sqlite only"},
		{"negative max_concurrent", "max_concurrent: -1\n", "max_concurrent -1: want 0 (no bound) or more"},
		{"unknown prompt", "prompt: short\n", `prompt "short": want rules, brief, full or none`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", strings.NewReader(c.yaml), env(nil))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
	_, err := Parse("x.yaml", strings.NewReader("stream: {mode: fast}\nprompt: some\n"), env(nil))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "prompt") || !strings.Contains(err.Error(), "stream.mode") {
		t.Errorf("want every problem at once: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse("empty.yaml", strings.NewReader(""), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Spec != "default" || c.DecisionLog.Driver != "sqlite" || c.Stream.Mode != "window" {
		t.Errorf("defaults = %+v", c)
	}
	if time.Duration(c.DecisionLog.CommitWindow) != 50*time.Millisecond || c.DecisionLog.Synchronous != "full" {
		t.Errorf("decision log defaults = %+v", c.DecisionLog)
	}
	c, err = Parse("log.yaml", strings.NewReader("decision_log:\n  path: x.db\n  commit_window: 0s\n  synchronous: normal\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DecisionLog.CommitWindow != 0 || c.DecisionLog.Synchronous != "normal" || c.DecisionLog.Driver != "sqlite" {
		t.Errorf("decision log = %+v", c.DecisionLog)
	}
}

func TestParseTracing(t *testing.T) {
	c, err := Parse("t.yaml", strings.NewReader("tracing:\n  endpoint: http://127.0.0.1:4318\n  headers_env: OTEL_HDRS\n  sample_ratio: 0.25\n"),
		env(map[string]string{"OTEL_HDRS": "x-api-key=secret-otel-key, x-team = gw"}))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Tracing
	if !tr.Enabled() || tr.Endpoint != "http://127.0.0.1:4318/v1/traces" || tr.SampleRatio != 0.25 || tr.ServiceName != "modelspec" ||
		time.Duration(tr.Timeout) != 10*time.Second || tr.Headers["x-api-key"] != "secret-otel-key" || tr.Headers["x-team"] != "gw" {
		t.Errorf("tracing = %+v", tr)
	}
	red, _ := json.Marshal(c.Redacted())
	if strings.Contains(string(red), "secret-otel-key") || !strings.Contains(string(red), "OTEL_HDRS") {
		t.Errorf("redacted view: %s", red)
	}
	if d, _ := Parse("d.yaml", strings.NewReader(""), env(nil)); d.Tracing.Enabled() {
		t.Error("tracing is on by default")
	}
	// An endpoint with its own path keeps it.
	if c, err := Parse("p.yaml", strings.NewReader("tracing: {endpoint: 'https://otel.example/otlp/traces'}\n"), env(nil)); err != nil || c.Tracing.Endpoint != "https://otel.example/otlp/traces" {
		t.Errorf("endpoint %q, %v", c.Tracing.Endpoint, err)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"tracing: {endpoint: 'grpc://x:4317'}\n", "tracing.endpoint"},
		{"tracing: {endpoint: 'http://x', sample_ratio: 2}\n", "tracing.sample_ratio"},
		{"tracing: {endpoint: 'http://x', headers_env: NOPE}\n", "NOPE is not set"},
		{"tracing: {endpoint: 'http://x', headers_env: H}\n", "pair 1 of H is not key=value"},
		{"tracing: {endpoint: 'http://x', service_name: ''}\n", "service_name"},
		{"tracing: {endpont: 'http://x'}\n", `unknown field "endpont"`},
	} {
		_, err := Parse("x.yaml", strings.NewReader(bad.yaml), env(map[string]string{"H": "novalue-secret"}))
		if err == nil || !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "novalue-secret") {
			t.Errorf("%q: error %v, want %q", bad.yaml, err, bad.want)
		}
	}
}
