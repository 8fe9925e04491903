package label

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every validation error of a task or a label.
var ErrInvalid = errors.New("invalid")

// Limits of a task.
const (
	MinResponses = 2
	MaxResponses = 9 // the workbench binds keys 1-9 to responses
	MaxIDLength  = 128
)

// Roles a task's conversation may hold.
var Roles = []string{"system", "developer", "user", "assistant", "tool"}

// Message is one turn of a task's conversation, in the chat shape of every
// OpenAI-compatible API.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Name is the tool's name for a tool turn.
	Name string `json:"name,omitempty"`
}

// Response is one candidate answer to a task's conversation.
type Response struct {
	// ID names the response within its task ("a", "b", ... by default).
	ID      string `json:"id"`
	Content string `json:"content"`
	// Model is where the response came from (a model, a target, an eval
	// run), for the lead's reports; trainers do not see it.
	Model string `json:"model,omitempty"`
}

// Task is a conversation and the candidate responses a trainer compares.
type Task struct {
	ID        string     `json:"id"`
	Project   string     `json:"project,omitempty"`
	Messages  []Message  `json:"messages"`
	Responses []Response `json:"responses"`
	// Clauses are the spec clauses that apply (Applicable), shown beside
	// the responses.
	Clauses []string `json:"clauses"`
	// Expect is what a compliant answer does when it is known (comply,
	// refuse, ignore_injection: the evaluator's expectations); the
	// auto-grader needs it to grade refusals.
	Expect      string            `json:"expect,omitempty"`
	SpecVersion string            `json:"spec_version,omitempty"`
	Source      string            `json:"source,omitempty"` // e.g. "import:tasks.jsonl", "eval:RUN-ID"
	Meta        map[string]string `json:"meta,omitempty"`
}

// Response returns the response with the given id.
func (t Task) Response(id string) (Response, bool) {
	for _, r := range t.Responses {
		if r.ID == id {
			return r, true
		}
	}
	return Response{}, false
}

// ResponseIDs returns the ids of t's responses in order.
func (t Task) ResponseIDs() []string {
	ids := make([]string, len(t.Responses))
	for i, r := range t.Responses {
		ids[i] = r.ID
	}
	return ids
}

// Prompt is the text of the last user message ("" when there is none).
func (t Task) Prompt() string {
	for i := len(t.Messages) - 1; i >= 0; i-- {
		if t.Messages[i].Role == "user" {
			return t.Messages[i].Content
		}
	}
	return ""
}

// Expectations a task may carry (the evaluator's).
var Expectations = []string{"comply", "refuse", "ignore_injection", "clarify"}

// Validate reports the first problem of t, wrapping ErrInvalid, with the
// field at fault.
func (t Task) Validate() error {
	if err := ValidID(t.ID); err != nil {
		return fmt.Errorf("%w: id: %v", ErrInvalid, err)
	}
	if len(t.Messages) == 0 {
		return fmt.Errorf("%w: messages: a task needs a conversation", ErrInvalid)
	}
	hasUser := false
	for i, m := range t.Messages {
		if !slices.Contains(Roles, m.Role) {
			return fmt.Errorf("%w: messages[%d].role %q: want one of %s", ErrInvalid, i, m.Role, strings.Join(Roles, ", "))
		}
		if !utf8.ValidString(m.Content) {
			return fmt.Errorf("%w: messages[%d].content: not UTF-8", ErrInvalid, i)
		}
		hasUser = hasUser || m.Role == "user"
	}
	if !hasUser {
		return fmt.Errorf("%w: messages: no user message", ErrInvalid)
	}
	if n := len(t.Responses); n < MinResponses || n > MaxResponses {
		return fmt.Errorf("%w: responses: %d, want %d to %d", ErrInvalid, n, MinResponses, MaxResponses)
	}
	seen := map[string]bool{}
	for i, r := range t.Responses {
		if err := ValidID(r.ID); err != nil {
			return fmt.Errorf("%w: responses[%d].id: %v", ErrInvalid, i, err)
		}
		if seen[r.ID] {
			return fmt.Errorf("%w: responses[%d].id %q: repeated", ErrInvalid, i, r.ID)
		}
		seen[r.ID] = true
		if strings.TrimSpace(r.Content) == "" {
			return fmt.Errorf("%w: responses[%d].content: empty", ErrInvalid, i)
		}
		if !utf8.ValidString(r.Content) {
			return fmt.Errorf("%w: responses[%d].content: not UTF-8", ErrInvalid, i)
		}
	}
	for i, c := range t.Clauses {
		if err := ValidID(c); err != nil {
			return fmt.Errorf("%w: clauses[%d]: %v", ErrInvalid, i, err)
		}
	}
	if t.Expect != "" && !slices.Contains(Expectations, t.Expect) {
		return fmt.Errorf("%w: expect %q: want %s or nothing", ErrInvalid, t.Expect, strings.Join(Expectations, ", "))
	}
	return nil
}

// ValidID checks an id: 1 to MaxIDLength bytes of letters, digits and
// . _ - : / (ids appear in URLs, file names and form fields).
func ValidID(id string) error {
	if id == "" {
		return errors.New("empty")
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("%d bytes, at most %d", len(id), MaxIDLength)
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '.', r == '_', r == '-', r == ':', r == '/':
		default:
			return fmt.Errorf("%q: character %q (use letters, digits and . _ - : /)", id, r)
		}
	}
	return nil
}

// ContentID returns a stable id for a task without one: "t-" and the first
// 16 hex digits of the SHA-256 of its messages and responses, so that
// importing the same file twice names the same tasks.
func ContentID(msgs []Message, responses []Response) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	enc.Encode(msgs)
	for _, r := range responses {
		enc.Encode(r.Content)
	}
	return "t-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// DefaultResponseID is the id of the i-th response when none is given:
// "a", "b", ... .
func DefaultResponseID(i int) string { return string(rune('a' + i)) }
