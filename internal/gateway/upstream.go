package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/modelspec/modelspec/internal/anthropic"
	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/openai"
)

// upstream sends chat requests to one model server.
type upstream struct {
	cfg      config.Upstream
	client   *http.Client
	fallback *upstream
	// traced passes the caller's trace context on (traceparent).
	traced bool
}

// errUpstream is an upstream failure that the client should see as a
// well-formed OpenAI error with the given status.
type errUpstream struct {
	status int
	msg    string
	// body is the upstream's own error body, passed on when it is an
	// OpenAI-shaped error (4xx caused by the request, say).
	body []byte
	// retryAfter is the upstream's Retry-After, when it sent one in
	// seconds.
	retryAfter time.Duration
	// typ is the upstream's type, which decides the shape of body.
	typ string
}

func (e *errUpstream) Error() string { return e.msg }

// retryable reports whether a status is worth another try: rate limits
// and server errors, never a 4xx caused by the request.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// send posts body to the upstream (and its fallback) with retries and
// backoff, and returns the first response with a non-retryable status. A
// 2xx response's body is left open for the caller.
func (u *upstream) send(ctx context.Context, body payload, stream bool) (*http.Response, *upstream, error) {
	resp, err := u.sendWithRetries(ctx, body, stream)
	var ue *errUpstream
	if err != nil && u.fallback != nil && ctx.Err() == nil && (!errors.As(err, &ue) || retryable(ue.status)) {
		resp, used, ferr := u.fallback.send(ctx, body, stream)
		if ferr == nil {
			return resp, used, nil
		}
		return nil, nil, fmt.Errorf("%w (fallback %s: %v)", err, u.fallback.cfg.Name, ferr)
	}
	return resp, u, err
}

func (u *upstream) sendWithRetries(ctx context.Context, body payload, stream bool) (*http.Response, error) {
	var last error
	for attempt := 0; attempt <= u.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, backoff(attempt, last)); err != nil {
				return nil, last
			}
		}
		resp, err := u.once(ctx, body, stream)
		if err == nil && resp.StatusCode < 300 {
			return resp, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, &errUpstream{status: http.StatusGatewayTimeout, msg: "the request was cancelled or timed out: " + ctx.Err().Error()}
			}
			last = &errUpstream{status: http.StatusBadGateway, msg: fmt.Sprintf("upstream %s: %v", u.cfg.Name, err)}
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		ue := &errUpstream{status: resp.StatusCode, msg: fmt.Sprintf("upstream %s answered %s", u.cfg.Name, resp.Status), body: b, typ: u.cfg.Type}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
			ue.retryAfter = time.Duration(secs) * time.Second
		}
		last = ue
		if !retryable(resp.StatusCode) {
			return nil, last
		}
	}
	return nil, last
}

// backoff is exponential with full jitter, 100 ms base, capped at 4 s; a
// Retry-After of up to 10 s from the upstream wins when it is longer.
func backoff(attempt int, last error) time.Duration {
	d := min(100*time.Millisecond<<(attempt-1), 4*time.Second)
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	var ue *errUpstream
	if errors.As(last, &ue) && ue.retryAfter <= 10*time.Second {
		d = max(d, ue.retryAfter)
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once makes one request, shaped for the upstream's type.
func (u *upstream) once(ctx context.Context, body payload, stream bool) (*http.Response, error) {
	base := strings.TrimRight(u.cfg.BaseURL, "/")
	url := base + "/chat/completions"
	switch u.cfg.Type {
	case "azure":
		url += "?api-version=" + u.cfg.APIVersion
	case "anthropic":
		url = strings.TrimSuffix(base, "/v1") + anthropic.Path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body.reader())
	if err != nil {
		return nil, err
	}
	req.ContentLength = body.n
	req.GetBody = func() (io.ReadCloser, error) { return body.reader(), nil }
	req.Header.Set("Content-Type", "application/json")
	if u.traced {
		propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	switch {
	case u.cfg.Type == "anthropic":
		req.Header.Set(anthropic.HeaderVersion, anthropic.Version)
		if u.cfg.APIKey != "" {
			req.Header.Set(anthropic.HeaderAPIKey, u.cfg.APIKey)
		}
	case u.cfg.APIKey == "":
	case u.cfg.Type == "azure":
		req.Header.Set("api-key", u.cfg.APIKey)
	default:
		req.Header.Set("Authorization", "Bearer "+u.cfg.APIKey)
	}
	return u.client.Do(req)
}

// payload is a request body in parts, sent one after the other, so that a
// large part shared by many requests (the platform prompt) is never copied.
type payload struct {
	parts [3][]byte
	n     int64
}

func newPayload(parts ...[]byte) payload {
	var p payload
	for i, b := range parts {
		p.parts[i] = b
		p.n += int64(len(b))
	}
	return p
}

// reader returns a new reader of the whole body; each attempt gets its own.
func (p payload) reader() *payloadReader { return &payloadReader{parts: p.parts} }

type payloadReader struct {
	parts [3][]byte
	i     int
}

// Read fills b from as many parts as fit: the transport copies the body to
// the connection one Read at a time, and a Read per part made a write(2)
// per part, four TCP segments for one request.
func (r *payloadReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) && r.i < len(r.parts) {
		c := copy(b[n:], r.parts[r.i])
		r.parts[r.i] = r.parts[r.i][c:]
		n += c
		if len(r.parts[r.i]) == 0 {
			r.i++
		}
	}
	if n == 0 && len(b) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// WriteTo lets io.Copy (which the HTTP transport uses) write each part
// straight to the connection's buffer.
func (r *payloadReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for ; r.i < len(r.parts); r.i++ {
		if len(r.parts[r.i]) == 0 {
			continue
		}
		n, err := w.Write(r.parts[r.i])
		total += int64(n)
		r.parts[r.i] = r.parts[r.i][n:]
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (r *payloadReader) Close() error { return nil }

// upstreamError turns an upstream failure into the error the client gets.
// A 4xx caused by the request keeps the upstream's own OpenAI-shaped body;
// anything else becomes a 502 or 504 with the gateway's message.
func upstreamError(err error) (int, openai.ErrorResponse) {
	var ue *errUpstream
	if !errors.As(err, &ue) {
		return http.StatusBadGateway, openai.NewError(http.StatusBadGateway, "upstream failed: "+err.Error())
	}
	if ue.status >= 400 && ue.status < 500 && ue.status != http.StatusTooManyRequests {
		if ue.typ == "anthropic" {
			return anthropic.ErrorToOpenAI(ue.status, ue.body)
		}
		var body openai.ErrorResponse
		if json := ue.body; len(json) > 0 && decodeError(json, &body) {
			return ue.status, body
		}
		return ue.status, openai.NewError(ue.status, ue.msg)
	}
	status := http.StatusBadGateway
	switch {
	case ue.status == http.StatusTooManyRequests:
		status = http.StatusTooManyRequests
	case ue.status == http.StatusGatewayTimeout:
		status = http.StatusGatewayTimeout
	}
	return status, openai.NewError(status, ue.msg)
}
