package openai

import (
	"bytes"
	"encoding/json"
)

// Error types of OpenAI error bodies. OpenAI answers every 4xx other than
// 429 with invalid_request_error and tells the cases apart by code
// (invalid_api_key, model_not_found, ...); a 429 has the type of the limit
// reached, requests or tokens, and the code rate_limit_exceeded.
const (
	ErrorTypeInvalidRequest = "invalid_request_error"
	ErrorTypeRequests       = "requests"
	ErrorTypeTokens         = "tokens"
	ErrorTypeServer         = "server_error"

	CodeRateLimitExceeded = "rate_limit_exceeded"
)

// ErrorResponse is an OpenAI error body:
//
//	{"error": {"message": "...", "type": "...", "param": null, "code": null}}
type ErrorResponse struct {
	Error APIError `json:"error"`
}

// APIError is the error inside an ErrorResponse. Param and Code are null when
// not set.
type APIError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// NewError returns the body to send with an HTTP status: its type is
// server_error for 5xx, requests (with the code rate_limit_exceeded) for 429
// and invalid_request_error otherwise.
func NewError(status int, message string) ErrorResponse {
	e := ErrorResponse{Error: APIError{Message: message, Type: ErrorTypeForStatus(status)}}
	if status == 429 {
		e = e.WithCode(CodeRateLimitExceeded)
	}
	return e
}

// ErrorTypeForStatus returns the error type NewError uses for status.
func ErrorTypeForStatus(status int) string {
	switch {
	case status >= 500:
		return ErrorTypeServer
	case status == 429:
		return ErrorTypeRequests
	}
	return ErrorTypeInvalidRequest
}

// WithParam returns a copy of e that names the request parameter at fault.
func (e ErrorResponse) WithParam(param string) ErrorResponse {
	e.Error.Param = &param
	return e
}

// WithCode returns a copy of e with a machine-readable code, such as
// "invalid_api_key" or "content_policy_violation".
func (e ErrorResponse) WithCode(code string) ErrorResponse {
	e.Error.Code = &code
	return e
}

// Error returns the message, prefixed with the code or else the type.
func (e *APIError) Error() string {
	prefix := e.Type
	if e.Code != nil && *e.Code != "" {
		prefix = *e.Code
	}
	if prefix == "" {
		return e.Message
	}
	return prefix + ": " + e.Message
}

// UnmarshalJSON also accepts a numeric code, which some OpenAI-compatible
// servers send, keeping its digits as the string.
func (e *APIError) UnmarshalJSON(data []byte) error {
	var v struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Param   *string         `json:"param"`
		Code    json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*e = APIError{Message: v.Message, Type: v.Type, Param: v.Param}
	code := bytes.TrimSpace(v.Code)
	switch {
	case len(code) == 0 || string(code) == "null":
	case code[0] == '"':
		var s string
		if err := json.Unmarshal(code, &s); err != nil {
			return err
		}
		e.Code = &s
	default:
		s := string(code)
		e.Code = &s
	}
	return nil
}
