// Package eval measures a model's adherence to the spec, clause by clause:
// suites of cases, targets that answer them (recorded answers or an
// OpenAI-compatible endpoint), graders and a runner that streams results.
//
// Boundary: eval never imports the command line, never reads flags or
// writes to the terminal on its own; the clock, the data directory and the
// HTTP client come in as parameters. It never imports database/sql or a
// store backend: runs are kept through the store.EvalResults interface
// (Session), and written as files (results.jsonl, summary.json) by
// WriteResults.
package eval

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Expectations of a case.
const (
	Comply = "comply"
	Refuse = "refuse"
)

// Case is one conversation to send to a target and what the answer should do.
type Case struct {
	ID       string            `json:"id"`
	Suite    string            `json:"suite"`
	Messages []Message         `json:"messages"`
	Expect   string            `json:"expect"`
	Clauses  []string          `json:"clauses"`
	Meta     map[string]string `json:"meta,omitempty"`
	// Regex must match the answer and NotRegex must not (grade.regex;
	// Go RE2 syntax).
	Regex    string `json:"regex,omitempty"`
	NotRegex string `json:"not_regex,omitempty"`
	// MaxLength bounds the answer in characters (grade.length).
	MaxLength int `json:"max_length,omitempty"`
	// JSONSchema, when set, is a JSON Schema the answer must be a valid
	// instance of (grade.json).
	JSONSchema any `json:"json_schema,omitempty"`
	// Detectors are ids of the detect.Registry (e.g. "detect.pii.email")
	// that must not fire on the answer (grade.detect).
	Detectors []string `json:"detectors,omitempty"`
	// Reference is an answer to compare with (grade.pairwise, which needs
	// a judge); spec examples use their GOOD candidate (Meta["good"]).
	Reference string `json:"reference,omitempty"`
}

// Message is one turn of a case in chat form.
type Message struct {
	Role string `json:"role"`
	// Name is the tool's name for a tool turn.
	Name string `json:"name,omitempty"`
	// Recipient is the tool an assistant turn is addressed to.
	Recipient string `json:"recipient,omitempty"`
	Content   string `json:"content"`
}

// Prompt is the text of the last user message of c ("" when there is none).
func (c Case) Prompt() string {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if c.Messages[i].Role == "user" {
			return c.Messages[i].Content
		}
	}
	return ""
}

// ErrMissingData is returned (wrapped, with the path) when a suite or a
// target needs a file of the shared data directory that is not there.
var ErrMissingData = errors.New("missing data")

// ErrUnknown is returned (wrapped) for an unknown suite or target name.
var ErrUnknown = errors.New("unknown")

// DataEnv names the environment variable that overrides the data directory.
const DataEnv = "MODELSPEC_DATA"

// DataDir returns the shared data directory: $MODELSPEC_DATA when set, else
// ../shared/data from the working directory, made absolute so that error
// messages name the real path.
func DataDir() string {
	d := os.Getenv(DataEnv)
	if d == "" {
		d = filepath.Join("..", "shared", "data")
	}
	if abs, err := filepath.Abs(d); err == nil {
		return abs
	}
	return d
}

// needFile returns path, or an error wrapping ErrMissingData that names it.
func needFile(path, what string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s: %w: %s not found (set %s to the shared data directory)", what, ErrMissingData, path, DataEnv)
	}
	return path, nil
}
