package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/modelspec/modelspec/internal/anthropic"
	"github.com/modelspec/modelspec/internal/openai"
)

// AnthropicPrefix starts a target spec that names Anthropic's Messages
// API: "anthropic:" alone for DefaultAnthropicURL, or "anthropic:" + a base
// URL without /v1 (a proxy, or the fake in tests).
const AnthropicPrefix = "anthropic:"

// DefaultAnthropicURL is the API's base URL.
const DefaultAnthropicURL = "https://api.anthropic.com"

// AnthropicKeyEnv names the environment variable holding the API key.
const AnthropicKeyEnv = "ANTHROPIC_API_KEY"

// AnthropicTarget asks Anthropic's Messages API: the case's messages as
// the HTTP target would send them, translated by anthropic.FromChat (system
// and developer turns become the system prompt; tool turns are user text
// marked with the tool's name, as for HTTPTarget), POST BaseURL +
// "/v1/messages" with x-api-key and anthropic-version. 429, 529
// (overloaded), other 5xx and transport errors are retried as HTTPTarget
// retries them, honouring retry-after.
type AnthropicTarget struct {
	BaseURL string
	Model   string
	APIKey  string
	// MaxTokens caps the answer (default anthropic.DefaultMaxTokens).
	MaxTokens int
	// Client defaults to http.DefaultClient.
	Client *http.Client
	// Retries, Backoff and MaxBackoff as for HTTPTarget (3, 500ms, 10s).
	Retries             int
	Backoff, MaxBackoff time.Duration
}

var (
	_ Target     = (*AnthropicTarget)(nil)
	_ CacheKeyer = (*AnthropicTarget)(nil)
)

// NewAnthropicTarget returns the target named by spec ("anthropic:" or
// "anthropic:URL").
func NewAnthropicTarget(spec, model, apiKey string, client *http.Client) (*AnthropicTarget, error) {
	base := strings.TrimPrefix(spec, AnthropicPrefix)
	if base == "" {
		base = DefaultAnthropicURL
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("target %s: want anthropic: or anthropic:https://HOST", spec)
	}
	if model == "" {
		return nil, fmt.Errorf("target %s: a model is needed (--model)", spec)
	}
	if apiKey == "" {
		return nil, fmt.Errorf("target %s: no API key (set %s)", spec, AnthropicKeyEnv)
	}
	base = strings.TrimSuffix(strings.TrimRight(base, "/"), "/v1")
	return &AnthropicTarget{BaseURL: base, Model: model, APIKey: apiKey, Client: client}, nil
}

// Name returns "anthropic:" + the base URL.
func (a *AnthropicTarget) Name() string { return AnthropicPrefix + a.BaseURL }

// requestBody is the Messages API body Answer sends for c.
func (a *AnthropicTarget) requestBody(c Case) ([]byte, error) {
	req := openai.ChatRequest{Model: a.Model, Messages: toOpenAI(c.Messages)}
	if a.MaxTokens > 0 {
		n := a.MaxTokens
		req.MaxTokens = &n
	}
	mr, err := anthropic.FromChat(&req)
	if err != nil {
		return nil, fmt.Errorf("translate case %s: %w", c.ID, err)
	}
	return json.Marshal(mr)
}

// CacheKey names the request Answer sends for c.
func (a *AnthropicTarget) CacheKey(c Case) (string, error) {
	body, err := a.requestBody(c)
	if err != nil {
		return "", err
	}
	return RequestKey(a.Name(), a.Model, body), nil
}

// Answer sends c and returns the text of the reply.
func (a *AnthropicTarget) Answer(ctx context.Context, c Case) (string, error) {
	body, err := a.requestBody(c)
	if err != nil {
		return "", err
	}
	p := retryPolicy{Retries: a.Retries, Backoff: a.Backoff, MaxBackoff: a.MaxBackoff}
	text, err := p.do(ctx, func() (string, error) { return a.once(ctx, body) })
	if err != nil {
		return "", fmt.Errorf("%s: %w", a.Name(), err)
	}
	return text, nil
}

func (a *AnthropicTarget) once(ctx context.Context, body []byte) (string, error) {
	header := http.Header{}
	header.Set(anthropic.HeaderAPIKey, a.APIKey)
	header.Set(anthropic.HeaderVersion, anthropic.Version)
	data, err := post(ctx, a.Client, a.BaseURL+anthropic.Path, body, header, func(data []byte) string {
		var er anthropic.ErrorResponse
		if json.Unmarshal(data, &er) == nil && er.Error.Message != "" {
			return er.Error.Type + ": " + er.Error.Message
		}
		return ""
	})
	if err != nil {
		return "", err
	}
	var mr anthropic.MessagesResponse
	if err := json.Unmarshal(data, &mr); err != nil {
		return "", fmt.Errorf("decode response: %w", err)
	}
	text := mr.Content.Text()
	if text == "" && mr.StopReason == anthropic.StopRefusal {
		return "", errors.New("the model stopped with stop_reason refusal and no text")
	}
	return text, nil
}

// retryPolicy retries a request on 429, 5xx (529 included) and transport
// errors with jittered exponential backoff, honouring the wait a
// statusError carries. HTTPTarget and AnthropicTarget share it.
type retryPolicy struct {
	// Retries after the first attempt (default 3; negative: none).
	Retries int
	// Backoff is the first wait (default 500ms), doubled each retry with
	// jitter, at most MaxBackoff (default 10s).
	Backoff, MaxBackoff time.Duration
}

func (p retryPolicy) do(ctx context.Context, once func() (string, error)) (string, error) {
	retries, backoff, maxBackoff := p.Retries, p.Backoff, p.MaxBackoff
	if retries == 0 {
		retries = 3
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	if maxBackoff <= 0 {
		maxBackoff = 10 * time.Second
	}
	for attempt := 0; ; attempt++ {
		text, err := once()
		if err == nil {
			return text, nil
		}
		var se *statusError
		retryable := ctx.Err() == nil && (!errors.As(err, &se) || se.status == http.StatusTooManyRequests || se.status >= 500)
		if !retryable || attempt >= retries {
			return "", err
		}
		wait := backoff << attempt
		wait = wait/2 + rand.N(wait/2+1) // jitter in [wait/2, wait]
		if se != nil && se.retry > 0 {
			wait = se.retry
		}
		wait = min(wait, maxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}
