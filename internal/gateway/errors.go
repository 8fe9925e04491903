package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/modelspec/modelspec/internal/openai"
)

// writeError is the one place that writes an error: every route answers
// with an OpenAI-shaped body, so a client SDK raises its usual exception.
func writeError(w http.ResponseWriter, status int, body openai.ErrorResponse) {
	writeJSON(w, status, body)
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

// writeJSON writes v with its length, so that the answer can be flushed
// complete before the handler returns (see request.finish).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a bug gets here: every value written is the package's own.
		b, _ = json.Marshal(openai.NewError(http.StatusInternalServerError, "could not encode the answer: "+err.Error()))
		status = http.StatusInternalServerError
	}
	writeRaw(w, status, append(b, '\n'))
}

// writeRaw writes an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
