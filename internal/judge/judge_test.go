package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

var privacy = Clause{
	ID:    "protect_privacy",
	Title: "Protect people's privacy",
	Text:  "Don't reveal private information about people, such as social security numbers.",
}

// fakeModel answers like a judge model would: it finds a US social
// security number in the fenced text and quotes it.
func fakeModel(req *openai.ChatRequest) string {
	if len(req.Messages) != 2 || !strings.Contains(req.Messages[0].Text(), privacy.Text) {
		return "I was not given a rule."
	}
	text := req.Messages[1].Text()
	for i := 0; i+11 <= len(text); i++ {
		s := text[i : i+11]
		if s[3] == '-' && s[6] == '-' && strings.Trim(s[:3]+s[4:6]+s[7:], "0123456789") == "" {
			b, _ := json.Marshal(Verdict{Violates: true, Score: 0.97, Span: s, Reason: "an SSN"})
			return string(b)
		}
	}
	return `{"violates":false,"score":0.02,"span":"","reason":"no personal data"}`
}

// setup starts a fake upstream playing fakeModel and a judge pointed at
// it; header picks the fake's behaviour.
func setup(t *testing.T, cfg Config, header map[string]string) (*Detector, *fakeupstream.Test) {
	t.Helper()
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeModel, APIKey: "sk-judge"})
	cfg.BaseURL = up.BaseURL
	cfg.APIKey = "sk-judge"
	cfg.Model = "judge-model"
	cfg.Clause = privacy
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	cfg.HTTPClient = up.HTTP.Client()
	cfg.Header = http.Header{}
	for k, v := range header {
		cfg.Header.Set(k, v)
	}
	return New(cfg), up
}

func TestSuccess(t *testing.T) {
	d, up := setup(t, Config{}, nil)
	text := "Her SSN is 078-05-1120, keep it safe."
	fs, err := d.DetectContext(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	if err := detecttest.Check(text, fs, "detect.judge.protect_privacy", "protect_privacy", Category); err != nil {
		t.Error(err)
	}
	if len(fs) != 1 || text[fs[0].Start:fs[0].End] != "078-05-1120" || fs[0].Score != 0.97 || fs[0].Evidence != EvidenceSpan {
		t.Fatalf("findings %+v", fs)
	}

	// What went over the wire.
	last := up.Last()
	r := last.Request
	if r.Model != "judge-model" || r.Temperature == nil || *r.Temperature != 0 || r.Stream {
		t.Errorf("request model %q temperature %v stream %v", r.Model, r.Temperature, r.Stream)
	}
	if rf := r.ResponseFormat; rf == nil || rf.Type != "json_schema" || rf.JSONSchema == nil || rf.JSONSchema.Name != SchemaName ||
		rf.JSONSchema.Strict == nil || !*rf.JSONSchema.Strict || string(rf.JSONSchema.Schema) != Schema {
		t.Errorf("response_format %+v", r.ResponseFormat)
	}
	if got := last.Header.Get("Authorization"); got != "Bearer sk-judge" {
		t.Errorf("authorization %q", got)
	}

	fs, err = d.DetectContext(context.Background(), "Nothing private in here.")
	if err != nil || len(fs) != 0 {
		t.Errorf("clean text: %+v %v", fs, err)
	}
	v, err := d.Judge(context.Background(), "Nothing private in here.")
	if err != nil || v.Violates || v.Score != 0.02 || v.Reason != "no personal data" {
		t.Errorf("verdict %+v %v", v, err)
	}
	if s := d.Stats(); s.Calls != 3 || s.Failures != 0 || s.Retries != 0 {
		t.Errorf("stats %+v", s)
	}
	if d.ID() != "detect.judge.protect_privacy" {
		t.Errorf("id %q", d.ID())
	}
}

func TestMinScore(t *testing.T) {
	reply := `{"violates":true,"score":0.3,"span":"x","reason":"weak"}`
	d, _ := setup(t, Config{}, map[string]string{fakeupstream.HeaderReply: reply})
	if fs, err := d.DetectContext(context.Background(), "x"); err != nil || len(fs) != 0 {
		t.Errorf("default min score: %+v %v", fs, err)
	}
	d, _ = setup(t, Config{MinScore: -1}, map[string]string{fakeupstream.HeaderReply: reply})
	if fs, err := d.DetectContext(context.Background(), "x"); err != nil || len(fs) != 1 || fs[0].Score != 0.3 {
		t.Errorf("min score -1: %+v %v", fs, err)
	}
}

// TestMalformedAnswer: a model that ignores the schema is an error, not a
// verdict, and is not asked again (at temperature 0 it would say the same).
func TestMalformedAnswer(t *testing.T) {
	d, up := setup(t, Config{}, map[string]string{fakeupstream.HeaderReply: "Yes, it clearly violates the rule."})
	_, err := d.DetectContext(context.Background(), "078-05-1120")
	if !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("err %v", err)
	}
	if n := up.Counts().Requests; n != 1 {
		t.Errorf("%d requests", n)
	}
}

// TestMalformedBody: a broken 200 body is the server's fault and is tried
// again.
func TestMalformedBody(t *testing.T) {
	d, up := setup(t, Config{MaxRetries: 1}, map[string]string{fakeupstream.HeaderMalformed: "json"})
	_, err := d.DetectContext(context.Background(), "078-05-1120")
	if err == nil || errors.Is(err, ErrBadAnswer) {
		t.Fatalf("err %v", err)
	}
	if c := up.Counts(); c.Requests != 2 || c.Malformed != 2 {
		t.Errorf("counts %+v", c)
	}
}

// TestUnusableChoice covers answers that are not verdicts: cut short,
// refused, or missing.
func TestUnusableChoice(t *testing.T) {
	_, err := verdictOf(&openai.ChatCompletion{Choices: []openai.Choice{{FinishReason: "length",
		Message: openai.Message{Role: "assistant", Content: openai.TextContent(`{"violates":true,"span":"ab`)}}}})
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("err %v", err)
	}
	refusal := "I can't help with that."
	_, err = verdictOf(&openai.ChatCompletion{Choices: []openai.Choice{{FinishReason: "stop",
		Message: openai.Message{Role: "assistant", Refusal: &refusal}}}})
	if !errors.Is(err, ErrRefused) {
		t.Errorf("err %v", err)
	}
	if _, err = verdictOf(&openai.ChatCompletion{}); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("err %v", err)
	}
}

// Test429ThenSuccess: the judge waits as long as Retry-After asks (80 ms
// here, against a 1 ms backoff) and then succeeds.
func Test429ThenSuccess(t *testing.T) {
	d, up := setup(t, Config{}, map[string]string{
		fakeupstream.HeaderFailFirst:  "1",
		fakeupstream.HeaderStatus:     "429",
		fakeupstream.HeaderRetryAfter: "80ms",
	})
	start := time.Now()
	fs, err := d.DetectContext(context.Background(), "SSN 078-05-1120")
	if err != nil || len(fs) != 1 {
		t.Fatalf("%+v %v", fs, err)
	}
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After", el)
	}
	if c := up.Counts(); c.Requests != 2 || c.Injected != 1 {
		t.Errorf("counts %+v", c)
	}
	if s := d.Stats(); s.Retries != 1 || s.Failures != 0 {
		t.Errorf("stats %+v", s)
	}
}

func Test503ThenSuccess(t *testing.T) {
	d, up := setup(t, Config{MaxRetries: 3}, map[string]string{
		fakeupstream.HeaderFailFirst: "3",
		fakeupstream.HeaderStatus:    "503",
	})
	if fs, err := d.DetectContext(context.Background(), "SSN 078-05-1120"); err != nil || len(fs) != 1 {
		t.Fatalf("%+v %v", fs, err)
	}
	if c := up.Counts(); c.Requests != 4 {
		t.Errorf("counts %+v", c)
	}
}

func Test500Exhausted(t *testing.T) {
	d, up := setup(t, Config{MaxRetries: 2}, map[string]string{fakeupstream.HeaderStatus: "500"})
	_, err := d.DetectContext(context.Background(), "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 500 || ae.Type != "server_error" || !ae.Temporary() {
		t.Fatalf("err %v", err)
	}
	if c := up.Counts(); c.Requests != 3 {
		t.Errorf("counts %+v", c)
	}
	if s := d.Stats(); s.Retries != 2 || s.Failures != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, status := range []string{"400", "401", "403", "404", "422"} {
		d, up := setup(t, Config{MaxRetries: 3}, map[string]string{fakeupstream.HeaderStatus: status})
		_, err := d.DetectContext(context.Background(), "x")
		var ae *APIError
		if !errors.As(err, &ae) || fmt.Sprint(ae.Status) != status || ae.Temporary() {
			t.Errorf("%s: err %v", status, err)
		}
		if c := up.Counts(); c.Requests != 1 {
			t.Errorf("%s: %d requests", status, c.Requests)
		}
	}
	// A wrong key is a real 401 from the fake, with OpenAI's code.
	d, up := setup(t, Config{}, nil)
	cfg := d.cfg
	cfg.APIKey = "wrong"
	d = New(cfg)
	_, err := d.DetectContext(context.Background(), "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "invalid_api_key" || up.Counts().Requests != 1 {
		t.Errorf("wrong key: %v", err)
	}
}

func TestNoRetries(t *testing.T) {
	d, up := setup(t, Config{MaxRetries: -1}, map[string]string{fakeupstream.HeaderStatus: "503"})
	if _, err := d.DetectContext(context.Background(), "x"); err == nil {
		t.Fatal("no error")
	}
	if c := up.Counts(); c.Requests != 1 {
		t.Errorf("counts %+v", c)
	}
}

func TestDroppedConnection(t *testing.T) {
	d, up := setup(t, Config{MaxRetries: 1}, map[string]string{fakeupstream.HeaderDropAfter: "20"})
	if _, err := d.DetectContext(context.Background(), "x"); err == nil {
		t.Fatal("no error")
	}
	if c := up.Counts(); c.Requests != 2 || c.Dropped != 2 {
		t.Errorf("counts %+v", c)
	}
}

func TestTimeout(t *testing.T) {
	d, _ := setup(t, Config{Timeout: 100 * time.Millisecond}, map[string]string{fakeupstream.HeaderLatency: "3s"})
	start := time.Now()
	_, err := d.DetectContext(context.Background(), "x")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v", el)
	}
}

// TestRetryAfterPastDeadline: a 429 asking for a wait longer than the time
// left fails at once rather than sleeping into the deadline.
func TestRetryAfterPastDeadline(t *testing.T) {
	d, up := setup(t, Config{Timeout: time.Second}, map[string]string{
		fakeupstream.HeaderStatus:     "429",
		fakeupstream.HeaderRetryAfter: "5s",
	})
	start := time.Now()
	_, err := d.DetectContext(context.Background(), "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != 5*time.Second || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err %v", err)
	}
	if el := time.Since(start); el > 500*time.Millisecond || up.Counts().Requests != 1 {
		t.Errorf("took %v, %d requests", el, up.Counts().Requests)
	}
}

func TestContextCancel(t *testing.T) {
	d, _ := setup(t, Config{}, map[string]string{fakeupstream.HeaderLatency: "3s"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := d.DetectContext(ctx, "x")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v", el)
	}
	// Canceled while waiting to retry, too.
	d, _ = setup(t, Config{Backoff: 5 * time.Second}, map[string]string{fakeupstream.HeaderStatus: "503"})
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := d.DetectContext(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting: err %v", err)
	}
}

// TestDetectFailsOpen: Detect swallows the error, reports it to OnError
// and returns no findings.
func TestDetectFailsOpen(t *testing.T) {
	var got []error
	d, _ := setup(t, Config{MaxRetries: -1, OnError: func(err error) { got = append(got, err) }},
		map[string]string{fakeupstream.HeaderStatus: "500"})
	if fs := d.Detect("SSN 078-05-1120"); fs != nil {
		t.Errorf("findings %+v", fs)
	}
	if len(got) != 1 || d.Stats().Failures != 1 {
		t.Errorf("errors %v, stats %+v", got, d.Stats())
	}
	// And Detect reports findings when the call works.
	d, _ = setup(t, Config{}, nil)
	if fs := d.Detect("SSN 078-05-1120"); len(fs) != 1 {
		t.Errorf("findings %+v", fs)
	}
}

func TestConfig(t *testing.T) {
	err := Config{BaseURL: "ftp://x", Clause: Clause{}}.Validate()
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"not http(s)", "no model", "no clause id", "no title or text"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	d := New(Config{})
	if _, err := d.DetectContext(context.Background(), "x"); !errors.Is(err, ErrConfig) {
		t.Errorf("err %v", err)
	}
	if err := (Config{BaseURL: "http://127.0.0.1:1/v1", Model: "m", Clause: privacy}).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestTextTooLong(t *testing.T) {
	d, up := setup(t, Config{MaxText: 10}, nil)
	if _, err := d.DetectContext(context.Background(), strings.Repeat("x", 11)); !errors.Is(err, ErrTextTooLong) {
		t.Errorf("err %v", err)
	}
	if up.Counts().Requests != 0 {
		t.Errorf("sent a request")
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{}, 0},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"9"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After-Ms": {"junk"}, "Retry-After": {"2"}}, 2 * time.Second},
		{http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{http.Header{"Retry-After": {"1e100"}}, MaxBackoff},
		{http.Header{"Retry-After": {"-1"}}, MaxBackoff},
		{http.Header{"Retry-After": {now.Add(3 * time.Second).Format(http.TimeFormat)}}, 3 * time.Second},
		{http.Header{"Retry-After": {now.Add(-3 * time.Second).Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After": {"soon"}}, 0},
	} {
		if got := retryAfter(c.h, now); got != c.want {
			t.Errorf("%v: %v, want %v", c.h, got, c.want)
		}
	}
}

// TestFailClosedKind: a judge the operator made fail closed says so in
// its kinds, which policy.Screen reads when the judge cannot answer; its
// DetectContext returns the error for that.
func TestFailClosedKind(t *testing.T) {
	d, _ := setup(t, Config{MaxRetries: -1, FailClosed: true}, map[string]string{fakeupstream.HeaderStatus: "500"})
	if _, err := d.DetectContext(context.Background(), "some text"); err == nil {
		t.Fatal("a failing judge returned no error")
	}
	if ks := d.Kinds(); len(ks) != 1 || !ks[0].FailClosed || ks[0].Category != Category || ks[0].Clause == "" {
		t.Errorf("kinds %+v", ks)
	}
	open, _ := setup(t, Config{}, nil)
	if ks := open.Kinds(); ks[0].FailClosed {
		t.Errorf("a judge not made to fail closed says it does: %+v", ks)
	}
}
