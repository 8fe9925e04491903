package label

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelspec/modelspec/internal/fileerr"
)

// MaxLineBytes bounds one line of a tasks file.
const MaxLineBytes = 16 << 20

// MaxErrors bounds how many problems a decoder reports before it stops.
const MaxErrors = 100

// taskLine is a task as a tasks file writes it; unknown fields are errors.
type taskLine struct {
	ID        string            `json:"id"`
	Messages  []Message         `json:"messages"`
	Responses []json.RawMessage `json:"responses"`
	Clauses   []string          `json:"clauses"`
	Expect    string            `json:"expect"`
	Meta      map[string]string `json:"meta"`
}

// DecodeOptions configure DecodeTasks.
type DecodeOptions struct {
	// KnownClause reports whether the spec has a clause; nil accepts any.
	KnownClause func(id string) bool
}

// DecodeTasks reads tasks from JSONL, one a line (blank lines and lines
// starting with # are skipped):
//
//	{"id": "t1", "messages": [{"role": "user", "content": "..."}],
//	 "responses": ["text", {"id": "b", "content": "...", "model": "m"}],
//	 "clauses": ["protect_privacy"], "expect": "refuse", "meta": {"k": "v"}}
//
// id is optional (ContentID); a response is a string or an object (id
// optional: "a", "b", ...). Decoding is strict: an unknown field, a
// repeated task id, an unknown clause or an invalid task is an error naming
// the file, the line and the field. Every problem is reported at once
// (fileerr.Errors, up to MaxErrors); no task is returned if there is any.
func DecodeTasks(r io.Reader, file string, o DecodeOptions) ([]Task, error) {
	var tasks []Task
	var errs fileerr.Errors
	ids := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		t, err := decodeTask(b, o)
		if err == nil {
			if first, ok := ids[t.ID]; ok {
				err = fmt.Errorf("id %q: repeated (first on line %d)", t.ID, first)
			} else {
				ids[t.ID] = line
			}
		}
		if err != nil {
			errs = append(errs, fileerr.Error{Path: file, Line: line, Message: err.Error()})
			if len(errs) >= MaxErrors {
				errs = append(errs, fileerr.Error{Path: file, Message: "too many problems; stopped"})
				return nil, errs
			}
			continue
		}
		tasks = append(tasks, t)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line is longer than %d bytes", MaxLineBytes)
		}
		errs = append(errs, fileerr.Error{Path: file, Line: line + 1, Message: err.Error()})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return tasks, nil
}

func decodeTask(b []byte, o DecodeOptions) (Task, error) {
	var tl taskLine
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tl); err != nil {
		return Task{}, jsonError(err)
	}
	if dec.More() {
		return Task{}, errors.New("more than one JSON value on the line")
	}
	t := Task{ID: tl.ID, Messages: tl.Messages, Clauses: tl.Clauses, Expect: tl.Expect, Meta: tl.Meta}
	for i, raw := range tl.Responses {
		r, err := decodeResponse(raw, i)
		if err != nil {
			return Task{}, fmt.Errorf("responses[%d]: %w", i, err)
		}
		t.Responses = append(t.Responses, r)
	}
	if t.ID == "" {
		t.ID = ContentID(t.Messages, t.Responses)
	}
	if t.Clauses == nil {
		t.Clauses = []string{}
	}
	if err := t.Validate(); err != nil {
		return Task{}, err
	}
	if o.KnownClause != nil {
		for i, c := range t.Clauses {
			if !o.KnownClause(c) {
				return Task{}, fmt.Errorf("clauses[%d] %q: the spec has no such clause (see 'modelspec spec show')", i, c)
			}
		}
	}
	return t, nil
}

func decodeResponse(raw json.RawMessage, i int) (Response, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Response{}, err
		}
		return Response{ID: DefaultResponseID(i), Content: s}, nil
	}
	var r Response
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Response{}, fmt.Errorf("want a string or {id, content, model}: %w", jsonError(err))
	}
	if r.ID == "" {
		r.ID = DefaultResponseID(i)
	}
	return r, nil
}

// jsonError names the field of a JSON type error.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %s: want %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not JSON: %v (at byte %d)", se, se.Offset)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return fmt.Errorf("%s (fields: id, messages, responses, clauses, expect, meta)", strings.TrimPrefix(err.Error(), "json: "))
	}
	return err
}
