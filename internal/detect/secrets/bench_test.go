package secrets

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// benchText returns about n bytes of mixed text — chat prose, Python, a
// YAML config, a shell session, API documentation — with the words that
// trigger the rules ("key", "token", "secret", "password", "auth", "api")
// throughout and one fake GitHub token every 8 KB or so, cut on a rune
// boundary.
func benchText(n int) string {
	const para = "Thanks for the quick reply! I tried the steps from the docs but the API still answers 401 when I call it from the worker. " +
		"My guess is that the access token expires before the job runs; the monkey-patched client caches it for an hour.\n" +
		"```python\nimport os, requests\n\nAPI_URL = \"https://api.example.com/v2\"\napi_key = os.environ[\"EXAMPLE_API_KEY\"]\n" +
		"def fetch(path, token=None):\n    headers = {\"Authorization\": f\"Bearer {token or api_key}\"}\n    return requests.get(API_URL + path, headers=headers, timeout=10)\n```\n" +
		"config.yaml:\n```yaml\nservice:\n  name: billing\n  replicas: 3\n  auth:\n    provider: oidc\n    secret_ref: billing-oauth\n    password_file: /run/secrets/db\n```\n" +
		"$ kubectl get pods -n billing\nNAME                       READY   STATUS    RESTARTS   AGE\nbilling-7d9f8c6b5-x2lkq   1/1     Running   0          3d\n" +
		"The key point of the design is that credentials never reach the model: a keyboard shortcut opens the vault and the secret stays on the device. " +
		"They say the survey results were obvious to anyone who asks the desk; the cats slept on the keys. Café, naïve — 東京 and emojis 🙂 too.\n" +
		"| field | type | notes |\n|---|---|---|\n| api_version | string | e.g. 2024-06-01 |\n| token_ttl | int | seconds, default 3600 |\n\n"
	const secret = "By the way, the old token was ghp_Qx7Lm2Vt9Kp4Rz8Wn3Bc6Hd1Fj5Gs0Ay2EkT (already revoked).\n"
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(para)
		if b.Len()%8192 < len(para) {
			b.WriteString(secret)
		}
	}
	s := b.String()[:n]
	for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 {
		s = s[:len(s)-1]
	}
	return s
}

func benchmarkDetect(b *testing.B, text string) {
	d := New()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(text)
	}
}

func BenchmarkDetect1KB(b *testing.B)   { benchmarkDetect(b, benchText(1<<10)) }
func BenchmarkDetect100KB(b *testing.B) { benchmarkDetect(b, benchText(100<<10)) }

// awsRule is gitleaks' aws-access-token regex: the baseline is one rule's
// regex run over the whole text (no match, so the whole text is read).
var awsRule = regexp.MustCompile(`\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`)

func benchmarkBaselineRegexp(b *testing.B, text string) {
	if awsRule.MatchString(text) {
		b.Fatal("baseline text must not match")
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		awsRule.MatchString(text)
	}
}

func BenchmarkBaselineOneRegexp1KB(b *testing.B)   { benchmarkBaselineRegexp(b, benchText(1<<10)) }
func BenchmarkBaselineOneRegexp100KB(b *testing.B) { benchmarkBaselineRegexp(b, benchText(100<<10)) }

// The gitleaks way: each rule one of whose keywords occurs anywhere in the
// text runs over the whole text (reference_test.go).
func benchmarkBaselineWholeText(b *testing.B, text string) {
	d := New()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		reference(d, text)
	}
}

func BenchmarkBaselineWholeText1KB(b *testing.B)   { benchmarkBaselineWholeText(b, benchText(1<<10)) }
func BenchmarkBaselineWholeText100KB(b *testing.B) { benchmarkBaselineWholeText(b, benchText(100<<10)) }

// BenchmarkKeywords is the Aho-Corasick pass alone, the floor of Detect.
func BenchmarkKeywords100KB(b *testing.B) {
	text := benchText(100 << 10)
	rs := New().set()
	var hits []hit
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		hits = rs.kw.find(text, hits[:0])
	}
}

// BenchmarkParseConfig builds the embedded rule set, what the first New
// pays: B/op counts every byte allocated, live-B what stays in use once the
// set is built (the heap after a collection, before and after the build).
//
//	go test ./internal/detect/secrets -run '^$' -bench ParseConfig -benchmem -benchtime 20x
func BenchmarkParseConfig(b *testing.B) {
	var m0, m1 runtime.MemStats
	var live uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&m0)
		b.StartTimer()
		rs, err := parseConfig(defaultConfig)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		runtime.KeepAlive(rs)
		live = m1.HeapAlloc - m0.HeapAlloc
		b.StartTimer()
	}
	b.ReportMetric(float64(live), "live-B")
}

// BenchmarkDetectModelSpec runs on real prose with some code and markup:
// the OpenAI Model Spec in ../shared/data (skipped when it is not there).
func BenchmarkDetectModelSpec(b *testing.B) {
	text, err := os.ReadFile(filepath.Join(detecttest.DataDir(), "openai-model-spec", "model_spec.md"))
	if err != nil {
		b.Skip(err)
	}
	benchmarkDetect(b, string(text))
}

func BenchmarkBaselineOneRegexpModelSpec(b *testing.B) {
	text, err := os.ReadFile(filepath.Join(detecttest.DataDir(), "openai-model-spec", "model_spec.md"))
	if err != nil {
		b.Skip(err)
	}
	benchmarkBaselineRegexp(b, string(text))
}
