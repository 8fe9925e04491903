package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/openai"
)

// Error types of Anthropic error bodies and error events, with the status
// each comes with. The API may use invalid_request_error for 4xx statuses
// not listed, and may add types.
const (
	ErrorTypeInvalidRequest  = "invalid_request_error" // 400
	ErrorTypeAuthentication  = "authentication_error"  // 401
	ErrorTypeBilling         = "billing_error"         // 402
	ErrorTypePermission      = "permission_error"      // 403
	ErrorTypeNotFound        = "not_found_error"       // 404
	ErrorTypeRequestTooLarge = "request_too_large"     // 413
	ErrorTypeRateLimit       = "rate_limit_error"      // 429
	ErrorTypeAPI             = "api_error"             // 500
	ErrorTypeTimeout         = "timeout_error"         // 504
	ErrorTypeOverloaded      = "overloaded_error"      // 529
)

// StatusOverloaded is the non-standard status of overloaded_error.
const StatusOverloaded = 529

var errorStatus = map[string]int{
	ErrorTypeInvalidRequest:  400,
	ErrorTypeAuthentication:  401,
	ErrorTypeBilling:         402,
	ErrorTypePermission:      403,
	ErrorTypeNotFound:        404,
	ErrorTypeRequestTooLarge: 413,
	ErrorTypeRateLimit:       429,
	ErrorTypeAPI:             500,
	ErrorTypeTimeout:         504,
	ErrorTypeOverloaded:      StatusOverloaded,
}

// ErrorResponse is an Anthropic error body:
//
//	{"type": "error", "error": {"type": "not_found_error", "message": "..."}, "request_id": "req_..."}
type ErrorResponse struct {
	Type      string `json:"type"` // "error"
	Error     Error  `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// NewErrorResponse returns the body the API sends with status.
func NewErrorResponse(status int, message string) ErrorResponse {
	return ErrorResponse{Type: "error", Error: Error{Type: ErrorTypeForStatus(status), Message: message}}
}

// ErrorTypeForStatus returns the error type the API documents for status:
// invalid_request_error for an unlisted 4xx, api_error for an unlisted 5xx
// or anything else.
func ErrorTypeForStatus(status int) string {
	for typ, s := range errorStatus {
		if s == status {
			return typ
		}
	}
	if status >= 400 && status < 500 {
		return ErrorTypeInvalidRequest
	}
	return ErrorTypeAPI
}

// Error is the error of an error body or of an error event in a stream.
// The stream translator returns it as an error value.
type Error struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Error returns "anthropic <type>: <message>".
func (e *Error) Error() string {
	return "anthropic " + e.Type + ": " + e.Message
}

// Status returns the HTTP status the API documents for the error's type,
// 500 for a type it does not list.
func (e *Error) Status() int {
	if s, ok := errorStatus[e.Type]; ok {
		return s
	}
	return 500
}

// ToOpenAI returns the status and OpenAI error body that a client of the
// gateway gets for this error, as ErrorToOpenAI does for an error body; use
// it for an error event in a stream, which has no status of its own.
func (e *Error) ToOpenAI() (int, openai.ErrorResponse) {
	return e.toOpenAI(0)
}

// ErrorToOpenAI translates an Anthropic error response into the status and
// body an OpenAI client expects:
//
//   - The status is kept, except 529 (overloaded_error), which becomes 503,
//     a status OpenAI clients know to retry. A status outside 400-599 is
//     replaced by the one the error type documents.
//   - The OpenAI type follows the status, as openai.NewError sets it
//     (invalid_request_error, requests for 429, server_error for 5xx).
//   - The code is the Anthropic error type, except invalid_api_key for
//     authentication_error and rate_limit_exceeded for rate_limit_error, the
//     codes OpenAI uses for those.
//   - The message is Anthropic's, unchanged.
//
// A body that is not in Anthropic's shape (a proxy's HTML page, say) gives
// a message naming the status and quoting the start of the body.
//
// A 401 or 403 from the upstream means the gateway's own key was refused;
// whether a client should see it as such is the gateway's decision.
func ErrorToOpenAI(status int, body []byte) (int, openai.ErrorResponse) {
	var r ErrorResponse
	if err := json.Unmarshal(body, &r); err == nil && (r.Error.Type != "" || r.Error.Message != "") {
		if r.Error.Type == "" {
			r.Error.Type = ErrorTypeForStatus(status)
		}
		return r.Error.toOpenAI(status)
	}
	e := &Error{Type: ErrorTypeForStatus(status), Message: fmt.Sprintf("anthropic upstream answered status %d", status)}
	if s := snippet(body); s != "" {
		e.Message += ": " + s
	}
	return e.toOpenAI(status)
}

func (e *Error) toOpenAI(status int) (int, openai.ErrorResponse) {
	if status < 400 || status > 599 {
		status = e.Status()
	}
	if status == StatusOverloaded {
		status = 503
	}
	msg := e.Message
	if msg == "" {
		msg = "anthropic upstream error: " + e.Type
	}
	body := openai.NewError(status, msg)
	switch e.Type {
	case ErrorTypeAuthentication:
		body = body.WithCode("invalid_api_key")
	case ErrorTypeRateLimit:
		body = body.WithCode(openai.CodeRateLimitExceeded)
	case "":
	default:
		body = body.WithCode(e.Type)
	}
	return status, body
}

// snippet returns the start of a body that is printable text, trimmed to a
// line of at most 200 bytes, and "" for anything else.
func snippet(body []byte) string {
	body = bytes.TrimSpace(body)
	if i := bytes.IndexAny(body, "\r\n"); i >= 0 {
		body = body[:i]
	}
	if len(body) > 200 {
		body = body[:200]
		for len(body) > 0 && !utf8.Valid(body) {
			body = body[:len(body)-1]
		}
	}
	s := string(body)
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return ""
	}
	return s
}
