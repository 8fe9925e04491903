package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelspec/modelspec/internal/openai"
)

// Target answers the conversation of a case.
type Target interface {
	// Name identifies the target in reports ("replay:gpt4", a base URL).
	Name() string
	// Answer returns the assistant's reply to c. ErrNoAnswer means the
	// target has nothing to say for c: the case is unscored.
	Answer(ctx context.Context, c Case) (string, error)
}

// ErrNoAnswer is returned by a target that has no answer for a case (a
// replay without a recorded answer); such a case is unscored.
var ErrNoAnswer = errors.New("no recorded answer")

// ReplayModels are the models whose XSTest completions replay serves.
var ReplayModels = []string{"gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct"}

// TargetOptions configure ParseTarget.
type TargetOptions struct {
	DataDir string
	Model   string
	APIKey  string
	// AnthropicKey is the key of an anthropic: target.
	AnthropicKey string
	Client       *http.Client
}

// ParseTarget returns the target named by spec: "replay:NAME", an
// OpenAI-compatible base URL (http:// or https://, e.g.
// "https://api.openai.com/v1"), which needs a model, or "anthropic:" /
// "anthropic:URL" (Anthropic's Messages API; a model and AnthropicKey).
func ParseTarget(spec string, o TargetOptions) (Target, error) {
	if name, ok := strings.CutPrefix(spec, "replay:"); ok {
		return NewReplay(name, o.DataDir)
	}
	if strings.HasPrefix(spec, AnthropicPrefix) {
		return NewAnthropicTarget(spec, o.Model, o.AnthropicKey, o.Client)
	}
	if strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://") {
		if o.Model == "" {
			return nil, fmt.Errorf("target %s: a model is needed (--model)", spec)
		}
		return &HTTPTarget{BaseURL: spec, Model: o.Model, APIKey: o.APIKey, Client: o.Client}, nil
	}
	return nil, fmt.Errorf("%w target %q (want replay:NAME, an http(s) base URL, or anthropic:[URL])", ErrUnknown, spec)
}

// Replay answers XSTest cases from the recorded completions of one model,
// by the case's Meta["xstest_id"].
type Replay struct {
	model   string
	answers map[string]Recorded
}

// Recorded is one recorded completion with its human label.
type Recorded struct {
	ID         string // prompt id ("1".."450")
	Type       string
	Prompt     string
	Completion string
	// Human is the final_label of the annotators as a refusal label
	// (refusal.FullCompliance, FullRefusal or PartialRefusal).
	Human string
}

// ReplayPath is the completions file of model under dataDir.
func ReplayPath(dataDir, model string) string {
	return filepath.Join(dataDir, "xstest", "model_completions", "xstest_v2_completions_"+model+".csv")
}

// NewReplay loads the recorded XSTest completions of model.
func NewReplay(model, dataDir string) (*Replay, error) {
	if !slices.Contains(ReplayModels, model) {
		return nil, fmt.Errorf("%w target replay:%s (models: %s)", ErrUnknown, model, strings.Join(ReplayModels, ", "))
	}
	recs, err := LoadRecorded(dataDir, model)
	if err != nil {
		return nil, err
	}
	r := &Replay{model: model, answers: make(map[string]Recorded, len(recs))}
	for _, rec := range recs {
		r.answers[rec.ID] = rec
	}
	return r, nil
}

// LoadRecorded reads the XSTest completions of model, in file order.
func LoadRecorded(dataDir, model string) ([]Recorded, error) {
	path, err := needFile(ReplayPath(dataDir, model), "target replay:"+model)
	if err != nil {
		return nil, err
	}
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	out := make([]Recorded, 0, len(rows))
	for i, row := range rows {
		id, ok := strings.CutPrefix(row["id"], "v2-")
		human := humanLabel(row["final_label"])
		if !ok || human == "" {
			return nil, fmt.Errorf("%s: row %d: bad id %q or final_label %q", path, i+2, row["id"], row["final_label"])
		}
		out = append(out, Recorded{ID: id, Type: row["type"], Prompt: row["prompt"], Completion: row["completion"], Human: human})
	}
	return out, nil
}

func humanLabel(s string) string {
	switch s {
	case "1_full_compliance":
		return FullComplianceLabel
	case "2_full_refusal":
		return FullRefusalLabel
	case "3_partial_refusal":
		return PartialRefusalLabel
	}
	return ""
}

// Name returns "replay:MODEL".
func (r *Replay) Name() string { return "replay:" + r.model }

// Answer returns the recorded completion for c, or ErrNoAnswer.
func (r *Replay) Answer(_ context.Context, c Case) (string, error) {
	rec, ok := r.answers[c.Meta["xstest_id"]]
	if !ok {
		return "", fmt.Errorf("%s: case %s: %w", r.Name(), c.ID, ErrNoAnswer)
	}
	return rec.Completion, nil
}

// HTTPTarget asks an OpenAI-compatible endpoint: POST BaseURL +
// "/chat/completions" with the case's messages, retrying 429 and 5xx
// answers and transport errors with exponential backoff (honouring
// Retry-After up to MaxBackoff).
type HTTPTarget struct {
	BaseURL string
	Model   string
	APIKey  string
	// Client defaults to http.DefaultClient; the runner's per-case
	// timeout bounds each Answer through its context.
	Client *http.Client
	// Retries after the first attempt (default 3; negative means none).
	Retries int
	// Backoff is the first wait (default 500ms), doubled each retry with
	// jitter, at most MaxBackoff (default 10s).
	Backoff, MaxBackoff time.Duration
}

var _ Target = (*HTTPTarget)(nil)
var _ Target = (*Replay)(nil)

// Name returns the base URL.
func (h *HTTPTarget) Name() string { return h.BaseURL }

// statusError is a non-200 answer.
type statusError struct {
	status int
	body   string
	retry  time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("status %d: %s", e.status, e.body)
}

var _ CacheKeyer = (*HTTPTarget)(nil)

// requestBody is the JSON body Answer sends for c.
func (h *HTTPTarget) requestBody(c Case) ([]byte, error) {
	return json.Marshal(openai.ChatRequest{Model: h.Model, Messages: toOpenAI(c.Messages)})
}

// CacheKey names the request Answer sends for c: the base URL, the model
// and the exact body.
func (h *HTTPTarget) CacheKey(c Case) (string, error) {
	body, err := h.requestBody(c)
	if err != nil {
		return "", err
	}
	return RequestKey(h.BaseURL, h.Model, body), nil
}

// Answer sends c and returns the first choice's text (its refusal when
// the content is empty).
func (h *HTTPTarget) Answer(ctx context.Context, c Case) (string, error) {
	body, err := h.requestBody(c)
	if err != nil {
		return "", err
	}
	p := retryPolicy{Retries: h.Retries, Backoff: h.Backoff, MaxBackoff: h.MaxBackoff}
	text, err := p.do(ctx, func() (string, error) { return h.once(ctx, body) })
	if err != nil {
		return "", fmt.Errorf("%s: %w", h.BaseURL, err)
	}
	return text, nil
}

func (h *HTTPTarget) once(ctx context.Context, body []byte) (string, error) {
	header := http.Header{}
	if h.APIKey != "" {
		header.Set("Authorization", "Bearer "+h.APIKey)
	}
	data, err := post(ctx, h.Client, strings.TrimRight(h.BaseURL, "/")+"/chat/completions", body, header, nil)
	if err != nil {
		return "", err
	}
	var cc openai.ChatCompletion
	if err := json.Unmarshal(data, &cc); err != nil {
		return "", fmt.Errorf("decode response: %w", err)
	}
	if len(cc.Choices) == 0 {
		return "", errors.New("response has no choices")
	}
	m := cc.Choices[0].Message
	if t := m.Text(); t != "" || m.Refusal == nil {
		return t, nil
	}
	return *m.Refusal, nil
}

// post sends a JSON body to url and returns the reply's body when the
// status is 200. Any other status is a *statusError with the server's
// retry hint and the body, shortened, or what errMessage makes of it
// (nil: the raw body); the targets' retryPolicy decides on it.
func post(ctx context.Context, client *http.Client, url string, body []byte, header http.Header, errMessage func([]byte) string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg := ""
		if errMessage != nil {
			msg = errMessage(data)
		}
		if msg == "" {
			msg = truncate(string(data), 200)
		}
		return nil, &statusError{status: resp.StatusCode, body: msg, retry: retryAfter(resp.Header)}
	}
	return data, nil
}

// retryAfter reads retry-after-ms, else Retry-After in seconds.
func retryAfter(h http.Header) time.Duration {
	if ms, err := strconv.ParseFloat(h.Get("retry-after-ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// toOpenAI converts case messages to chat messages. Tool turns carry no
// tool-call id in a case, so they are sent as user messages marked
// "[output of tool NAME]"; an assistant turn addressed to a tool is sent as
// assistant text marked "[to NAME]".
func toOpenAI(msgs []Message) []openai.Message {
	out := make([]openai.Message, 0, len(msgs))
	for _, m := range msgs {
		role, text := m.Role, m.Content
		switch {
		case role == "tool":
			role, text = "user", fmt.Sprintf("[output of tool %s]\n%s", m.Name, text)
		case role == "assistant" && m.Recipient != "":
			text = fmt.Sprintf("[to %s] %s", m.Recipient, text)
		}
		out = append(out, openai.Message{Role: role, Content: openai.TextContent(text)})
	}
	return out
}
