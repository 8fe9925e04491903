// Package reward serves POST /v1/grade: a training loop sends a batch of
// (conversation, response) pairs and gets back, for each, a scalar reward
// with the clause-level breakdown behind it, from the same auto-grader
// that labels tasks (internal/label/autograde).
//
// Boundary: the HTTP edge only. It decodes, bounds and authorizes a
// request, grades the pairs concurrently and encodes the answer; every
// verdict comes from autograde, every error body is OpenAI's shape
// (internal/openai). It keeps no state between requests.
package reward

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/label/autograde"
	"github.com/modelspec/modelspec/internal/openai"
)

// Defaults of Options.
const (
	DefaultMaxBatch     = 256
	DefaultMaxBodyBytes = 16 << 20
)

// Options configure a Server.
type Options struct {
	// MaxBatch bounds the pairs of one request (default DefaultMaxBatch).
	MaxBatch int
	// MaxBodyBytes bounds a request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Workers bounds the pairs graded at once across all requests
	// (default GOMAXPROCS): grading is CPU work, so more would only queue.
	Workers int
	// Authorize decides whether a request may be served; nil serves
	// everyone (serve then listens on loopback only). See BearerKeys.
	Authorize func(*http.Request) bool
	// SpecVersion is reported with every answer.
	SpecVersion string
}

// Server answers POST /v1/grade.
type Server struct {
	g    *autograde.Grader
	o    Options
	slot chan struct{} // one token per pair being graded
}

// New returns a Server grading with g.
func New(g *autograde.Grader, o Options) *Server {
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return &Server{g: g, o: o, slot: make(chan struct{}, o.Workers)}
}

// Path is where the Server answers.
const Path = "/v1/grade"

// Handler returns the handler of POST /v1/grade.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, s.grade)
	mux.HandleFunc(Path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		fail(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: use POST", r.Method, Path), "", "method_not_allowed")
	})
	return mux
}

// Request is the body of POST /v1/grade.
type Request struct {
	Items []Item `json:"items"`
}

// Item is one pair to grade.
type Item struct {
	// Messages is the conversation in OpenAI chat form, without the
	// response.
	Messages json.RawMessage `json:"messages"`
	// Response is the assistant's answer to grade.
	Response string `json:"response"`
	// Expect is what a compliant answer does (comply, refuse,
	// ignore_injection, clarify); empty to infer it from the
	// conversation's screening.
	Expect string `json:"expect,omitempty"`
	// Clauses are the clauses the expectation serves, if known.
	Clauses []string `json:"clauses,omitempty"`
}

// Result is the grade of one item.
type Result struct {
	Index  int    `json:"index"`
	Object string `json:"object"` // "grade"
	autograde.Grade
}

// Response is the body of a successful answer.
type Response struct {
	Object      string   `json:"object"` // "list"
	SpecVersion string   `json:"spec_version"`
	Data        []Result `json:"data"`
}

func fail(w http.ResponseWriter, status int, msg, param, code string) {
	body := openai.NewError(status, msg)
	if param != "" {
		body = body.WithParam(param)
	}
	if code != "" {
		body = body.WithCode(code)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// input is a decoded, validated item.
type input struct {
	in       autograde.Input
	response string
}

func (s *Server) grade(w http.ResponseWriter, r *http.Request) {
	if s.o.Authorize != nil && !s.o.Authorize(r) {
		fail(w, http.StatusUnauthorized, "missing or unknown API key: send Authorization: Bearer <key>", "", "invalid_api_key")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes: send fewer or shorter items", s.o.MaxBodyBytes), "", "")
			return
		}
		fail(w, http.StatusBadRequest, "read body: "+err.Error(), "", "")
		return
	}
	ins, status, msg, param := s.decode(body)
	if status != 0 {
		fail(w, status, msg, param, "")
		return
	}
	results, err := s.gradeAll(r.Context(), ins)
	if err != nil {
		// The client went away; nobody reads this.
		fail(w, http.StatusServiceUnavailable, "grading cancelled: "+err.Error(), "", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(Response{Object: "list", SpecVersion: s.o.SpecVersion, Data: results})
}

// decode checks the request; a non-zero status says what is wrong with it
// and param names the field.
func (s *Server) decode(body []byte) (ins []input, status int, msg, param string) {
	var req Request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, http.StatusBadRequest, fmt.Sprintf("%s: want %s", te.Field, te.Type), te.Field
		}
		return nil, http.StatusBadRequest, "body is not a grade request: " + strings.TrimPrefix(err.Error(), "json: ") + ` (want {"items": [{"messages": [...], "response": "..."}]})`, ""
	}
	switch n := len(req.Items); {
	case n == 0:
		return nil, http.StatusBadRequest, "items: give at least one (conversation, response) pair", "items"
	case n > s.o.MaxBatch:
		return nil, http.StatusBadRequest, fmt.Sprintf("items: %d pairs, at most %d per request", n, s.o.MaxBatch), "items"
	}
	for i, it := range req.Items {
		p := fmt.Sprintf("items[%d]", i)
		if len(it.Messages) == 0 {
			return nil, http.StatusBadRequest, p + ".messages: required", p + ".messages"
		}
		conv, err := openai.DecodeConversation(it.Messages)
		if err != nil {
			var de *openai.DecodeError
			if errors.As(err, &de) && de.Path != "" {
				return nil, http.StatusBadRequest, fmt.Sprintf("%s.%s: %s", p, de.Path, de.Msg), p + "." + de.Path
			}
			return nil, http.StatusBadRequest, fmt.Sprintf("%s.messages: %v", p, err), p + ".messages"
		}
		msgs := make([]label.Message, 0, len(conv.Messages))
		for _, m := range conv.Messages {
			role := m.Role
			if role == "function" {
				role = "tool"
			}
			msgs = append(msgs, label.Message{Role: role, Name: m.Name, Content: m.Text()})
		}
		if it.Expect != "" && !slices.Contains(label.Expectations, it.Expect) {
			return nil, http.StatusBadRequest, fmt.Sprintf("%s.expect %q: want %s or nothing", p, it.Expect, strings.Join(label.Expectations, ", ")), p + ".expect"
		}
		for j, c := range it.Clauses {
			if err := label.ValidID(c); err != nil {
				return nil, http.StatusBadRequest, fmt.Sprintf("%s.clauses[%d]: %v", p, j, err), fmt.Sprintf("%s.clauses[%d]", p, j)
			}
		}
		ins = append(ins, input{in: autograde.Input{Messages: msgs, Expect: it.Expect, Clauses: it.Clauses}, response: it.Response})
	}
	return ins, 0, "", ""
}

// gradeAll grades ins concurrently, at most Workers pairs at once across
// the server; results are in request order.
func (s *Server) gradeAll(ctx context.Context, ins []input) ([]Result, error) {
	out := make([]Result, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		select {
		case s.slot <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-s.slot }()
			gr := s.g.Grade(ctx, s.g.Prepare(in.in), in.response)
			out[i] = Result{Index: i, Object: "grade", Grade: gr}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// BearerKeys returns an Authorize function that admits a request whose
// bearer key has one of the given hex SHA-256 hashes (the config's apps'
// key_sha256). No hashes admits every request.
func BearerKeys(sha256Hex []string) (func(*http.Request) bool, error) {
	if len(sha256Hex) == 0 {
		return nil, nil
	}
	want := make([][]byte, len(sha256Hex))
	for i, h := range sha256Hex {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("key hash %d: want 64 hex digits", i)
		}
		want[i] = b
	}
	return func(r *http.Request) bool {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			return false
		}
		sum := sha256.Sum256([]byte(key))
		found := 0
		for _, w := range want {
			found |= subtle.ConstantTimeCompare(sum[:], w)
		}
		return found == 1
	}, nil
}
