package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelspec/modelspec/internal/openai"
)

// Client posts chat requests to one OpenAI-compatible endpoint, retrying
// as Config says (408, 429, 5xx, network errors and broken 200 bodies; not
// other 4xx). The clause detector and the evaluator's judge graders share
// it, so that every model-backed judgement retries and fails the same way.
// It is safe for concurrent use.
type Client struct {
	url        string
	apiKey     string
	header     http.Header
	httpClient *http.Client
	timeout    time.Duration
	maxRetries int
	backoff    time.Duration
	// OnRetry, when set, is called before each attempt after the first.
	OnRetry func()
}

// ClientConfig is the part of Config a Client uses. Zero fields take the
// package defaults (DefaultTimeout, DefaultMaxRetries, DefaultBackoff,
// http.DefaultClient).
type ClientConfig struct {
	BaseURL    string
	APIKey     string
	Header     http.Header
	HTTPClient *http.Client
	Timeout    time.Duration
	// MaxRetries: 0 means DefaultMaxRetries, negative means none.
	MaxRetries int
	Backoff    time.Duration
}

// NewClient returns a client for cfg with defaults filled in. It does not
// validate the base URL; a bad one fails each call.
func NewClient(cfg ClientConfig) *Client {
	c := &Client{
		url:        strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions",
		apiKey:     cfg.APIKey,
		header:     cfg.Header,
		httpClient: cfg.HTTPClient,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		backoff:    cfg.Backoff,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.backoff == 0 {
		c.backoff = DefaultBackoff
	}
	if c.httpClient == nil {
		c.httpClient = http.DefaultClient
	}
	return c
}

// Complete sends req and returns the decoded completion. Timeout bounds
// the whole call, attempts and waits; a Retry-After that would pass the
// deadline fails at once rather than sleeping into it. A failed call wraps
// the last attempt's error (an *APIError for an error status).
func (c *Client) Complete(ctx context.Context, req openai.ChatRequest) (*openai.ChatCompletion, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return c.CompleteBody(ctx, body)
}

// CompleteBody is Complete for an already encoded request body.
func (c *Client) CompleteBody(ctx context.Context, body []byte) (*openai.ChatCompletion, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		cc, err := c.post(ctx, body)
		if err == nil {
			return cc, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("attempt %d: %w", attempt+1, context.Cause(ctx))
		}
		var ae *APIError
		retryable := !errors.As(err, &ae) || ae.Temporary()
		if !retryable || attempt >= c.maxRetries {
			return nil, fmt.Errorf("attempt %d: %w", attempt+1, err)
		}
		delay := wait
		if ae != nil && ae.RetryAfter > 0 {
			delay = ae.RetryAfter
		}
		delay = min(delay, MaxBackoff)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return nil, fmt.Errorf("attempt %d: %w (next try in %v would pass the deadline)", attempt+1, err, delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting to retry: %w (after %w)", context.Cause(ctx), err)
		case <-t.C:
		}
		wait = min(2*wait, MaxBackoff)
		if c.OnRetry != nil {
			c.OnRetry()
		}
	}
}

// post sends one attempt and decodes a 200 as a completion.
func (c *Client) post(ctx context.Context, body []byte) (*openai.ChatCompletion, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	for k, vs := range c.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	res, err := c.httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, apiError(res, b)
	}
	if len(b) > MaxResponse {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrBadAnswer, MaxResponse)
	}
	var cc openai.ChatCompletion
	if err := json.Unmarshal(b, &cc); err != nil {
		// A 200 with a broken body: the server or the connection is at
		// fault, not the model, so it is worth another try.
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return &cc, nil
}

func apiError(res *http.Response, body []byte) *APIError {
	e := &APIError{Status: res.StatusCode, RetryAfter: retryAfter(res.Header, time.Now())}
	var er openai.ErrorResponse
	if json.Unmarshal(body, &er) == nil && er.Error.Message != "" {
		e.Type, e.Message = er.Error.Type, er.Error.Message
		if er.Error.Code != nil {
			e.Code = *er.Error.Code
		}
	} else {
		e.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	return e
}

// retryAfter reads the wait a response asks for: retry-after-ms (OpenAI's,
// in milliseconds), else Retry-After in seconds or as an HTTP date. It
// returns 0 when there is none or it cannot be read.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < float64(MaxBackoff/time.Millisecond) {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || math.IsNaN(s) || s > MaxBackoff.Seconds() {
			return MaxBackoff
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// ReplyText returns the text of a completion's first choice: an error
// wrapping ErrBadAnswer when there is none, ErrRefused for a refusal,
// ErrTruncated when the answer was cut at the token limit.
func ReplyText(c *openai.ChatCompletion) (string, error) {
	if len(c.Choices) == 0 {
		return "", fmt.Errorf("%w: no choices", ErrBadAnswer)
	}
	ch := c.Choices[0]
	if ch.Message.Refusal != nil && *ch.Message.Refusal != "" {
		return "", fmt.Errorf("%w: %s", ErrRefused, *ch.Message.Refusal)
	}
	if ch.FinishReason == openai.FinishLength {
		return "", ErrTruncated
	}
	return ch.Message.Text(), nil
}
