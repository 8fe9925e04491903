package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/modelspec/modelspec/internal/openai"
)

// writeError is the one place that writes an error: every route answers
// with an OpenAI-shaped body, so a client SDK raises its usual exception.
func writeError(w http.ResponseWriter, status int, body openai.ErrorResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// fail writes a gateway error with a status, a message and optionally a
// code such as invalid_api_key.
func fail(w http.ResponseWriter, status int, msg, code string) {
	e := openai.NewError(status, msg)
	if code != "" {
		e = e.WithCode(code)
	}
	writeError(w, status, e)
}

func decodeError(b []byte, into *openai.ErrorResponse) bool {
	return json.Unmarshal(b, into) == nil && into.Error.Message != ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
