// Package decisionlog defines the decision log record: one versioned record
// per gateway request that says what was decided, under which spec version,
// citing which clauses, and how long each stage took.
//
// The boundary: a Record never holds message content, an API key or any
// other text a client sent. A finding keeps where it was (message, byte
// offsets) and what it was (detector, clause, category, score), and its
// content only as a Redacted length and hash. FromDecision is the one way
// the gateway turns a policy.Decision into a Record, and it redacts every
// finding. This package is pure: it must never import database/sql or
// net/http, read the clock or draw randomness; the caller passes the time
// and the entropy source (NewID), so that records can be replayed and
// tested exactly. Storage lives in internal/store.
package decisionlog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"time"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/policy"
)

// SchemaVersion is the version of the Record layout that this package
// writes. A change that renames or re-types a field bumps it; adding a field
// does not.
const SchemaVersion = 1

// Record is one decision: what the gateway did with one request.
//
// Times are in UTC; stores keep them to the microsecond (store.TimePrecision).
type Record struct {
	Version     int       `json:"version"`      // SchemaVersion when written
	ID          string    `json:"id"`           // decision id, NewID: sorts by time
	Time        time.Time `json:"time"`         // when the request arrived
	App         string    `json:"app"`          // the app (API key owner) by name, never the key
	SpecName    string    `json:"spec_name"`    // spec the policy came from
	SpecVersion string    `json:"spec_version"` // its version
	Model       string    `json:"model"`        // model the client asked for
	Upstream    string    `json:"upstream"`     // upstream by name, as configured
	Stream      bool      `json:"stream"`       // stream: true was asked for
	Action      string    `json:"action"`       // allow, annotate, redact, block
	// Clauses are the cited clause ids, sorted (Decision.Citations).
	Clauses []string `json:"clauses"`
	// Findings are the input screening's: Message is the index of the
	// request message, offsets within it.
	Findings []Finding `json:"findings"`
	// Output are the output screening's: Message is the index of the
	// choice, offsets within its answer.
	Output []Finding `json:"output"`
	// FindingsDropped and OutputDropped count the findings left out of
	// Findings and Output past MaxFindings (see Redactor.Findings).
	FindingsDropped int        `json:"findings_dropped,omitempty"`
	OutputDropped   int        `json:"output_dropped,omitempty"`
	Overrides       []Override `json:"overrides"`
	Latencies       Latencies  `json:"latencies"`
	Status          int        `json:"status"` // HTTP status sent to the client
	// Error is the gateway's own short description of a failure (an error
	// code or a message it wrote). It must never carry an upstream body or
	// any text taken from the request.
	Error string `json:"error,omitempty"`
}

// Latencies are the durations of the gateway's stages, in nanoseconds in
// JSON. A stage that did not run is zero. For a streamed answer,
// OutputScreen is the time spent screening its windows, which overlaps
// Upstream (the answer is screened while it arrives).
type Latencies struct {
	Auth         time.Duration `json:"auth"`
	Chain        time.Duration `json:"chain"`
	InputScreen  time.Duration `json:"input_screen"`
	Upstream     time.Duration `json:"upstream"`
	OutputScreen time.Duration `json:"output_screen"`
	Total        time.Duration `json:"total"`
}

// Finding is a detect.Finding with its content redacted: the span is kept
// as offsets, length and hash, never as text.
type Finding struct {
	Detector string  `json:"detector"`
	Clause   string  `json:"clause"`
	Category string  `json:"category"`
	Score    float64 `json:"score"`
	// Message is the index of the message the span is in; nil when the
	// finding is not about a message of the request (Decision findings
	// always have one).
	Message *int `json:"message,omitempty"`
	Start   int  `json:"start"` // byte offsets within the message
	End     int  `json:"end"`
	// Evidence is the detector's name for the pattern that matched
	// (detect.Finding.Evidence): a fixed name, never matched text.
	Evidence string   `json:"evidence,omitempty"`
	Content  Redacted `json:"content"`
}

// Redacted stands for a piece of text that must not be logged.
type Redacted struct {
	Length int `json:"length"` // in bytes
	// Hash is "sha256:<hex>" or, when the Redactor has a key,
	// "hmac-sha256:<hex>". Equal texts have equal hashes under one key, so
	// repeats can be counted without the text. Empty when the text was not
	// available (a span outside its message).
	Hash string `json:"hash"`
}

// Override is a change of a default that a developer or user asked for,
// and whether the spec allowed it (policy.Override).
type Override struct {
	Clause   string `json:"clause"`
	By       string `json:"by"`               // developer or user
	Action   string `json:"action,omitempty"` // off, set or lock
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason"` // written by the policy engine, not by the overrider
}

// Hash prefixes of Redacted.Hash.
const (
	HashSHA256     = "sha256:"
	HashHMACSHA256 = "hmac-sha256:"
)

// A Redactor turns text into a Redacted. With a key it uses HMAC-SHA-256,
// so that short values (a phone number, a 4-digit PIN, a known e-mail
// address) cannot be recovered by hashing guesses; without one it uses
// plain SHA-256, which anyone can recompute. Configure a key in production:
// when one is set, keyed hashing is what every record gets, and the hash
// prefix ("hmac-sha256:") says so in each record.
//
// The nil *Redactor is valid and hashes without a key. A Redactor is safe
// for concurrent use.
type Redactor struct {
	key []byte
}

// NewRedactor returns a Redactor keyed with key, or an unkeyed one when key
// is empty. The key is copied.
func NewRedactor(key []byte) *Redactor {
	return &Redactor{key: append([]byte(nil), key...)}
}

// Keyed reports whether r hashes with a key.
func (r *Redactor) Keyed() bool { return r != nil && len(r.key) > 0 }

// Redact returns the length and hash of s.
func (r *Redactor) Redact(s string) Redacted {
	var h hash.Hash
	prefix := HashSHA256
	if r.Keyed() {
		h, prefix = hmac.New(sha256.New, r.key), HashHMACSHA256
	} else {
		h = sha256.New()
	}
	h.Write([]byte(s))
	var sum [sha256.Size]byte
	return Redacted{Length: len(s), Hash: prefix + hex.EncodeToString(h.Sum(sum[:0]))}
}

// Finding returns f with its content redacted; text is the text f's offsets
// point into (the message, or the response for output screening). When the
// offsets do not fit text, the content keeps the span's length and no hash.
func (r *Redactor) Finding(f detect.Finding, text string) Finding {
	out := Finding{
		Detector: f.Detector, Clause: f.Clause, Category: f.Category, Score: f.Score,
		Start: f.Start, End: f.End, Evidence: f.Evidence,
	}
	if f.Message != nil {
		m := *f.Message
		out.Message = &m
	}
	if 0 <= f.Start && f.Start <= f.End && f.End <= len(text) {
		out.Content = r.Redact(text[f.Start:f.End])
	} else {
		out.Content = Redacted{Length: max(0, f.End-f.Start)}
	}
	return out
}

// MaxFindings bounds the findings a record keeps in each of its two
// lists. A text full of what the detectors look for (a 4 MB document of
// names and phone numbers has 150,000 findings) would otherwise make a
// record of 40 MB, ten times the request, and hold it in memory until it is
// stored. What is left out is counted (Record.FindingsDropped,
// OutputDropped); the clauses cited are all kept (Record.Clauses).
const MaxFindings = 100

// Findings returns fs with their content redacted, at most MaxFindings of
// them, and how many were left out. Past MaxFindings it keeps the first
// finding of each detector, category and clause, so that a record shows
// every kind of finding its request had (and store queries by category
// find it), then the earliest of the others, in their order. texts are
// what the findings' Message indexes (the messages, or the answers); a
// finding with no message or out of range is redacted against "".
func (r *Redactor) Findings(fs []detect.Finding, texts []string) ([]Finding, int) {
	keep := keepFindings(fs)
	out := make([]Finding, 0, min(len(fs), MaxFindings))
	for i, f := range fs {
		if keep != nil && !keep[i] {
			continue
		}
		var text string
		if f.Message != nil && 0 <= *f.Message && *f.Message < len(texts) {
			text = texts[*f.Message]
		}
		out = append(out, r.Finding(f, text))
	}
	return out, len(fs) - len(out)
}

// keepFindings marks the findings of fs a record keeps; nil keeps all.
func keepFindings(fs []detect.Finding) []bool {
	if len(fs) <= MaxFindings {
		return nil
	}
	type kind struct{ detector, category, clause string }
	keep := make([]bool, len(fs))
	seen := map[kind]bool{}
	n := 0
	for i, f := range fs {
		if k := (kind{f.Detector, f.Category, f.Clause}); !seen[k] {
			seen[k], keep[i] = true, true
			n++
		}
	}
	for i := 0; i < len(fs) && n < MaxFindings; i++ {
		if !keep[i] {
			keep[i] = true
			n++
		}
	}
	return keep
}

// WithFailedOpen returns fs and, for each failure that let its text
// through, a finding of category check_failed, score 0 and evidence
// "failed_open": a check that failed closed left a check_failed finding
// of its own, one that failed open left none, and the record must show
// that the text went through unchecked. It returns fs itself when no
// check failed open.
func WithFailedOpen(fs []detect.Finding, failures []policy.CheckFailure) []detect.Finding {
	out := fs
	for _, f := range failures {
		if f.Closed {
			continue
		}
		if len(out) == len(fs) {
			out = slices.Clip(fs) // the caller's array is not written to
		}
		out = append(out, detect.Finding{Detector: f.Detector, Category: policy.CategoryCheckFailed,
			Message: f.Message, Evidence: "failed_open"})
	}
	return out
}

// FromDecision builds the record of decision d about the conversation msgs
// (the messages Decide was given, whose contents the findings point into):
// its findings, and its checks that failed open (WithFailedOpen).
// Every finding's content is redacted with red (nil: unkeyed SHA-256); no
// message text reaches the record; at most MaxFindings findings are kept.
// The caller sets what the decision does not know: ID, Time, App, Model,
// Upstream, Stream, Output and OutputDropped (with red.Findings and the
// answer texts), Latencies, Status and Error.
func FromDecision(d *policy.Decision, msgs []policy.Message, red *Redactor) Record {
	rec := Record{
		Version:     SchemaVersion,
		SpecName:    d.Spec,
		SpecVersion: d.SpecVersion,
		Action:      string(d.Action),
		Clauses:     append([]string{}, d.Citations...),
		Output:      []Finding{},
		Overrides:   make([]Override, 0, len(d.Overrides)),
	}
	texts := make([]string, len(msgs))
	for i, m := range msgs {
		texts[i] = m.Content
	}
	rec.Findings, rec.FindingsDropped = red.Findings(WithFailedOpen(d.Findings, d.Failures), texts)
	for _, o := range d.Overrides {
		rec.Overrides = append(rec.Overrides, Override{
			Clause: o.Clause, By: o.By, Action: o.Action, Accepted: o.Accepted, Reason: o.Reason,
		})
	}
	return rec
}

// ErrInvalid is wrapped by the errors of Validate.
var ErrInvalid = errors.New("invalid decision record")

// Validate reports the first reason r cannot be stored: a version this
// package does not know, an empty or over-long id, a zero time, or a score,
// span or latency out of range.
func (r *Record) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case r.Version < 1 || r.Version > SchemaVersion:
		return bad("version %d (this build knows 1..%d)", r.Version, SchemaVersion)
	case r.ID == "":
		return bad("empty id")
	case len(r.ID) > MaxIDLength:
		return bad("id longer than %d bytes", MaxIDLength)
	case r.Time.IsZero():
		return bad("record %s: zero time", r.ID)
	case r.FindingsDropped < 0 || r.OutputDropped < 0:
		return bad("record %s: negative count of findings dropped", r.ID)
	}
	l := r.Latencies
	for _, d := range []time.Duration{l.Auth, l.Chain, l.InputScreen, l.Upstream, l.OutputScreen, l.Total} {
		if d < 0 {
			return bad("record %s: negative latency %v", r.ID, d)
		}
	}
	for _, list := range []struct {
		name string
		fs   []Finding
	}{{"finding", r.Findings}, {"output finding", r.Output}} {
		for i, f := range list.fs {
			if math.IsNaN(f.Score) || math.IsInf(f.Score, 0) {
				return bad("record %s: %s %d: score %v", r.ID, list.name, i, f.Score)
			}
			if f.Start < 0 || f.End < f.Start || f.Content.Length < 0 {
				return bad("record %s: %s %d: span %d..%d length %d", r.ID, list.name, i, f.Start, f.End, f.Content.Length)
			}
		}
	}
	return nil
}

// MaxIDLength bounds a decision id (a ULID has 26 characters; a UUID 36).
const MaxIDLength = 128
