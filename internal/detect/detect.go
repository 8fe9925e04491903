// Package detect defines what a detector is and what it reports, and keeps
// detectors in a registry under namespaced ids ("detect.injection",
// "detect.role_spoof", "detect.pii.email").
//
// Detectors are pure functions of their input text. This package and every
// detector under it must never import net/http or database/sql and must never
// do I/O, read the clock or draw randomness at detection time: whatever a
// detector needs (patterns, word lists, thresholds) is built when the detector
// is constructed, so that the gateway, the evaluator and the labeling tool get
// the same findings for the same text and a decision can be replayed exactly.
//
// The lifecycle of a detector is: construct (New in its package, patterns
// compiled once) → register (Registry.Register, once, at start-up) → use
// (Detect, any number of times, from any number of goroutines). Detectors hold
// no per-call state, so Detect must be safe for concurrent use.
package detect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// RoundScore rounds a finding's score to three decimals, as every
// detector reports it: findings, their JSON and the decision log then
// compare equal across platforms and releases whatever arithmetic made
// the score.
func RoundScore(s float64) float64 { return math.Round(s*1000) / 1000 }

// Finding is one thing a detector found in a text.
//
// Start and End are byte offsets into the text that was screened, with
// 0 <= Start <= End <= len(text); both fall on the boundaries that
// utf8.DecodeRuneInString walks (for valid UTF-8, rune boundaries). For a
// conversation the offsets are within the message named by Message.
type Finding struct {
	Detector string  `json:"detector"`           // namespaced id, e.g. "detect.injection"
	Clause   string  `json:"clause"`             // clause id it serves, e.g. "follow_chain_of_command"
	Category string  `json:"category"`           // e.g. "injection", "role_spoof"
	Score    float64 `json:"score"`              // 0..1, higher is more certain
	Start    int     `json:"start"`              // byte offset of the first byte of the span
	End      int     `json:"end"`                // byte offset just past the span
	Message  *int    `json:"message,omitempty"`  // index of the message, for conversations
	Evidence string  `json:"evidence,omitempty"` // short name of the pattern that matched
}

// Detector finds things in text. Implementations must be safe for concurrent
// use and must not do I/O in Detect.
type Detector interface {
	// ID is the detector's namespaced id, e.g. "detect.injection".
	ID() string
	// Detect returns the findings in text, in any order. It must not panic on
	// any input, including invalid UTF-8.
	Detect(text string) []Finding
}

// Kind is one kind of finding a detector reports: its category and the
// clause it serves.
type Kind struct {
	Category string
	Clause   string
	// FailClosed makes a failure of the check block whatever the app's
	// policy says: an operator's setting (a judge's fail: closed).
	FailClosed bool
}

// Declarer is implemented by detectors that say which kinds of findings
// they report, so that when the check cannot run, the fail mode of the
// categories it checks applies and the finding that blocks cites their
// clauses (see policy.Screen).
type Declarer interface {
	Kinds() []Kind
}

// Fallible is implemented by detectors whose check can fail to run (a model
// that cannot run, a judge that cannot answer): DetectContext returns the
// error that kept it from deciding, where Detect can only return no
// findings. ctx bounds the work where the detector waits or works in steps.
type Fallible interface {
	DetectContext(ctx context.Context, text string) ([]Finding, error)
}

// KindsOf returns d's kinds of findings when it declares them (Declarer),
// else nil.
func KindsOf(d Detector) []Kind {
	if k, ok := d.(Declarer); ok {
		return k.Kinds()
	}
	return nil
}

// Run runs d on text, through DetectContext when d is Fallible.
func Run(ctx context.Context, d Detector, text string) ([]Finding, error) {
	if f, ok := d.(Fallible); ok {
		return f.DetectContext(ctx, text)
	}
	return d.Detect(text), nil
}

// Scorer is implemented by classifiers: Scores returns the score of every
// category the classifier knows, whether or not it crosses the threshold at
// which Detect reports a finding, so that precision/recall curves can be
// drawn (screen --json prints them as "scores").
type Scorer interface {
	Scores(text string) map[string]float64
}

// Errors returned by Registry.Register.
var (
	ErrDuplicateID = errors.New("duplicate detector id")
	ErrEmptyID     = errors.New("empty detector id")
	ErrNilDetector = errors.New("nil detector")
)

// Registry holds detectors by id. The zero value is ready to use and a
// Registry is safe for concurrent use.
type Registry struct {
	mu   sync.RWMutex
	byID map[string]Detector
	ids  []string // sorted
}

// NewRegistry returns a registry holding ds, or the first registration error.
func NewRegistry(ds ...Detector) (*Registry, error) {
	r := &Registry{}
	for _, d := range ds {
		if err := r.Register(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds d under d.ID(). It fails with ErrDuplicateID when the id is
// already taken, so that two detectors never answer for the same name.
func (r *Registry) Register(d Detector) error {
	if d == nil {
		return ErrNilDetector
	}
	id := d.ID()
	if id == "" {
		return ErrEmptyID
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[id]; ok {
		return fmt.Errorf("register %s: %w", id, ErrDuplicateID)
	}
	if r.byID == nil {
		r.byID = make(map[string]Detector)
	}
	r.byID[id] = d
	i, _ := slices.BinarySearch(r.ids, id)
	r.ids = slices.Insert(r.ids, i, id)
	return nil
}

// Get returns the detector registered under id.
func (r *Registry) Get(id string) (Detector, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.byID[id]
	return d, ok
}

// IDs returns the registered ids, sorted.
func (r *Registry) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.ids)
}

// Run runs every registered detector on text, in id order, and returns all
// findings sorted by Start, then End, then Detector, then Evidence.
func (r *Registry) Run(text string) []Finding {
	r.mu.RLock()
	ds := make([]Detector, len(r.ids))
	for i, id := range r.ids {
		ds[i] = r.byID[id]
	}
	r.mu.RUnlock()

	var out []Finding
	for _, d := range ds {
		out = append(out, d.Detect(text)...)
	}
	SortFindings(out)
	return out
}

// Scores runs every registered Scorer on text and merges their scores by
// category (the highest wins if two score the same category).
func (r *Registry) Scores(text string) map[string]float64 {
	r.mu.RLock()
	ds := make([]Detector, len(r.ids))
	for i, id := range r.ids {
		ds[i] = r.byID[id]
	}
	r.mu.RUnlock()
	out := map[string]float64{}
	for _, d := range ds {
		if s, ok := d.(Scorer); ok {
			for cat, v := range s.Scores(text) {
				out[cat] = max(out[cat], v)
			}
		}
	}
	return out
}

// SortFindings sorts fs by Start, then End, then Detector, then Evidence, so
// that output is stable whatever order the detectors produced it in.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Start, b.Start),
			cmp.Compare(a.End, b.End),
			cmp.Compare(a.Detector, b.Detector),
			cmp.Compare(a.Evidence, b.Evidence),
		)
	})
}
