package policy

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/modelspec/modelspec/internal/detect"
)

// defaultFailClosed are the categories whose check blocks the request when
// it cannot run, unless the developer policy sets checks.<category>.fail:
// the same rules that block by default, for the same reason (a miss costs
// more than an over-block). Every other check fails open.
var defaultFailClosed = map[string]bool{"hazard": true, "sexual_minors": true}

// FailClosed reports whether a check of category that cannot run blocks
// the request ("closed") rather than letting it through ("open").
func (p *Policy) FailClosed(category string) bool {
	if p.Developer != nil {
		if c, ok := p.Developer.Checks[category]; ok && c.Fail != "" {
			return c.Fail == "closed"
		}
	}
	return defaultFailClosed[category]
}

// CheckFailure is a check that could not run on a text.
type CheckFailure struct {
	Detector string `json:"detector"`
	// Message is the index of the message screened, for a conversation.
	Message *int `json:"message,omitempty"`
	// Closed is true when the failure blocked (a check_failed finding).
	Closed bool `json:"closed"`
	// Error is Err's message; a panic's never holds the panic's value
	// (see PanicError).
	Error string `json:"error"`
	Err   error  `json:"-"`
}

// Mode is "closed" when the failure blocked, else "open".
func (f CheckFailure) Mode() string {
	if f.Closed {
		return "closed"
	}
	return "open"
}

// PanicError is the error of a detector (or of the gateway's handling of
// a request) that panicked: a bug. Its message holds the panic's runtime
// error or the type of its value, never the value itself, which could
// quote the text screened; Stack is where it happened, for the log.
type PanicError struct {
	Where string // a detector's id, or what else panicked
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	if re, ok := e.Value.(runtime.Error); ok {
		return fmt.Sprintf("%s panicked: %v", e.Where, re)
	}
	return fmt.Sprintf("%s panicked with a %T", e.Where, e.Value)
}

// Screen runs the check d on text under the policy. A check that fails to
// run (it panics, or being detect.Fallible returns an error) reports, for
// each kind of finding it declares (detect.Declarer) whose category fails
// closed (or that the operator made fail closed), a finding of
// CategoryCheckFailed spanning the text and citing the kind's clause,
// which blocks by default; a check that fails open reports
// nothing. The failure is returned either way, for the caller to log: a
// request is never let through on a failed check without a trace.
func (p *Policy) Screen(d detect.Detector, text string) (fs []detect.Finding, failure *CheckFailure) {
	defer func() {
		if v := recover(); v != nil {
			fs, failure = p.failed(d, text, &PanicError{Where: d.ID(), Value: v, Stack: debug.Stack()})
		}
	}()
	fs, err := detect.Run(context.Background(), d, text)
	if err != nil {
		return p.failed(d, text, err)
	}
	return fs, nil
}

func (p *Policy) failed(d detect.Detector, text string, err error) ([]detect.Finding, *CheckFailure) {
	var fs []detect.Finding
	for _, k := range detect.KindsOf(d) {
		if k.FailClosed || p.FailClosed(k.Category) {
			fs = append(fs, detect.Finding{Detector: d.ID(), Clause: k.Clause, Category: CategoryCheckFailed,
				Score: 1, Start: 0, End: len(text), Evidence: k.Category})
		}
	}
	return fs, &CheckFailure{Detector: d.ID(), Closed: len(fs) > 0, Error: err.Error(), Err: err}
}
