// Package judge is a detector that asks a language model, through any
// OpenAI-compatible chat completions endpoint, whether a text violates one
// clause of the spec: the LLM-judge detector, "detect.judge.<clause>".
//
// Boundary. Unlike every other detector under internal/detect, this one is at
// the edge: Detect makes an HTTP request (net/http, no SDK), so its answer
// depends on a remote model and on the network, it is slow (a model's
// latency, not microseconds) and it can fail. It must never be called from
// internal/spec or internal/policy, and it must never download anything: it
// talks only to the BaseURL it is given. Everything that can be pure is:
// the prompt (Prompt), the request body (Request), the parsing of the
// model's answer (ParseVerdict) and the mapping of the quoted span back to
// byte offsets (Locate) do no I/O and are tested and fuzzed on their own.
//
// Failure. The detect.Detector interface has no error, so Detect returns no
// findings when the call fails: that is fail-open. A caller that must fail
// closed (block when the judge cannot answer) calls DetectContext, which
// returns the error, and decides; the gateway should record in its decision
// which policy it applied. Detect records each error it swallows: Config.OnError
// is called with it, and Stats counts it.
//
// Lifecycle: New(cfg) → (optionally cfg.Validate() first, to fail at
// start-up) → Detect / DetectContext / Judge from any number of goroutines.
package judge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/openai"
)

// Category is the category of every finding.
const Category = "judge"

// IDPrefix starts every detector id: IDPrefix + clause id.
const IDPrefix = "detect.judge."

// Defaults applied by New to zero fields of Config.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxRetries = 2
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMinScore   = 0.5
	DefaultMaxText    = 64 << 10
	// MaxBackoff caps the wait between two attempts, Retry-After included.
	MaxBackoff = time.Minute
	// MaxResponse is the most bytes of a response body read.
	MaxResponse = 4 << 20
)

// Clause is the rule the judge applies: its id in the spec, its title and
// its text, which goes into the system prompt as written.
type Clause struct {
	ID    string
	Title string
	Text  string
}

// Config configures a Detector. Zero fields take the defaults above.
type Config struct {
	// BaseURL is the endpoint's base, ending in /v1 for most servers:
	// requests go to BaseURL + "/chat/completions".
	BaseURL string
	// APIKey, when set, is sent as "Authorization: Bearer <APIKey>".
	APIKey string
	// Model is the model to ask.
	Model  string
	Clause Clause
	// Timeout bounds a whole call: every attempt and every wait between
	// attempts (DefaultTimeout when 0).
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is tried again, on a
	// 408, 429 or 5xx status or a network error, never on another 4xx
	// (DefaultMaxRetries when 0; negative means no retry).
	MaxRetries int
	// Backoff is the wait before the first retry, doubled before each next
	// one, unless the server asks for another with Retry-After
	// (DefaultBackoff when 0).
	Backoff time.Duration
	// MinScore is the lowest score of a violation reported as a finding
	// (DefaultMinScore when 0; negative reports every violation).
	MinScore float64
	// MaxText is the longest text judged, in bytes; a longer text is an
	// error (ErrTextTooLong), not silently cut (DefaultMaxText when 0).
	MaxText int
	// Header is added to every request (e.g. organization headers, or the
	// X-Fake-* headers of the fake upstream in tests).
	Header http.Header
	// HTTPClient sends the requests (http.DefaultClient when nil).
	HTTPClient *http.Client
	// OnError, when set, is called with each error that Detect swallows.
	OnError func(error)
	// FailClosed makes a failure of this judge block whatever the app's
	// policy says (its Kinds carry it to policy.Screen).
	FailClosed bool
}

// Errors. An HTTP error status comes as an *APIError; a failed call wraps
// the last attempt's error.
var (
	ErrConfig      = errors.New("judge: invalid config")
	ErrTextTooLong = errors.New("judge: text too long")
	ErrBadAnswer   = errors.New("judge: model answer is not a verdict")
	ErrRefused     = errors.New("judge: model refused to judge")
	ErrTruncated   = errors.New("judge: model answer cut short")
)

// APIError is an error status from the endpoint, with OpenAI's error body
// when it sent one.
type APIError struct {
	Status     int
	Type, Code string
	Message    string
	// RetryAfter is the wait the server asked for (Retry-After or
	// retry-after-ms); 0 when it asked none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "judge: status %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	} else if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Temporary reports whether the request may succeed if tried again.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if c.BaseURL == "" {
		bad("no base URL")
	} else if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		bad("base URL %q is not http(s)", c.BaseURL)
	}
	if c.Model == "" {
		bad("no model")
	}
	if c.Clause.ID == "" {
		bad("no clause id")
	}
	if strings.TrimSpace(c.Clause.Text) == "" && strings.TrimSpace(c.Clause.Title) == "" {
		bad("clause %q has no title or text", c.Clause.ID)
	}
	if c.Timeout < 0 || c.Backoff < 0 || c.MaxText < 0 {
		bad("negative timeout, backoff or max text")
	}
	return errors.Join(errs...)
}

// Detector asks a model whether texts violate one clause. It is safe for
// concurrent use.
type Detector struct {
	cfg      Config
	cfgErr   error
	client   *Client
	minScore float64

	calls, failures, retries atomic.Int64
}

var _ detect.Detector = (*Detector)(nil)

// New returns a judge for cfg with defaults filled in. A config that fails
// Validate gives a detector whose every call fails with that error.
func New(cfg Config) *Detector {
	d := &Detector{cfg: cfg, cfgErr: cfg.Validate()}
	c := &d.cfg
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxText == 0 {
		c.MaxText = DefaultMaxText
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	d.minScore = c.MinScore
	if d.minScore == 0 {
		d.minScore = DefaultMinScore
	}
	retries := c.MaxRetries // normalized above: 0 means none, which the client spells -1
	if retries == 0 {
		retries = -1
	}
	d.client = NewClient(ClientConfig{BaseURL: c.BaseURL, APIKey: c.APIKey, Header: c.Header, HTTPClient: c.HTTPClient,
		Timeout: c.Timeout, MaxRetries: retries, Backoff: c.Backoff})
	d.client.OnRetry = func() { d.retries.Add(1) }
	return d
}

// ID returns "detect.judge." + the clause id.
func (d *Detector) ID() string { return IDPrefix + d.cfg.Clause.ID }

// Kinds returns the one kind of finding it reports.
func (d *Detector) Kinds() []detect.Kind {
	return []detect.Kind{{Category: Category, Clause: d.cfg.Clause.ID, FailClosed: d.cfg.FailClosed}}
}

// Stats counts a detector's calls.
type Stats struct {
	Calls    int64 // Judge calls (Detect and DetectContext included)
	Failures int64 // calls that returned an error
	Retries  int64 // attempts after the first, over all calls
}

// Stats returns the detector's counts so far.
func (d *Detector) Stats() Stats {
	return Stats{Calls: d.calls.Load(), Failures: d.failures.Load(), Retries: d.retries.Load()}
}

// Detect judges text and returns a finding when the model says it violates
// the clause with at least MinScore. When the call fails it returns no
// findings — it fails open — after passing the error to Config.OnError; use
// DetectContext to see the error and fail closed.
func (d *Detector) Detect(text string) []detect.Finding {
	fs, err := d.DetectContext(context.Background(), text)
	if err != nil {
		if d.cfg.OnError != nil {
			d.cfg.OnError(err)
		}
		return nil
	}
	return fs
}

// DetectContext is Detect with a context, returning the error of a failed
// call instead of swallowing it.
func (d *Detector) DetectContext(ctx context.Context, text string) ([]detect.Finding, error) {
	v, err := d.Judge(ctx, text)
	if err != nil {
		return nil, err
	}
	return d.findings(text, v), nil
}

func (d *Detector) findings(text string, v Verdict) []detect.Finding {
	if !v.Violates || v.Score < d.minScore {
		return nil
	}
	start, end, how := Locate(text, v.Span)
	return []detect.Finding{{
		Detector: d.ID(),
		Clause:   d.cfg.Clause.ID,
		Category: Category,
		Score:    v.Score,
		Start:    start,
		End:      end,
		Evidence: how,
	}}
}

// Judge asks the model for its verdict on text, retrying as Config says.
func (d *Detector) Judge(ctx context.Context, text string) (Verdict, error) {
	d.calls.Add(1)
	v, err := d.judge(ctx, text)
	if err != nil {
		d.failures.Add(1)
	}
	return v, err
}

func (d *Detector) judge(ctx context.Context, text string) (Verdict, error) {
	if d.cfgErr != nil {
		return Verdict{}, d.cfgErr
	}
	if len(text) > d.cfg.MaxText {
		return Verdict{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTextTooLong, len(text), d.cfg.MaxText)
	}
	c, err := d.client.Complete(ctx, Request(d.cfg.Model, d.cfg.Clause, text))
	if err != nil {
		return Verdict{}, fmt.Errorf("judge %s: %w", d.cfg.Clause.ID, err)
	}
	return verdictOf(c)
}

// verdictOf reads the verdict from the first choice of a completion.
func verdictOf(c *openai.ChatCompletion) (Verdict, error) {
	text, err := ReplyText(c)
	if err != nil {
		return Verdict{}, err
	}
	return ParseVerdict(text)
}
