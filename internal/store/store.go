// Package store defines the storage contracts of modelspec: what a backend
// must do, the errors it returns, and the helpers every backend shares. The
// backends are sqlite/ (the embedded default) and postgres/; storetest/ is
// the contract suite both pass.
//
// The boundary: this package and its callers see records and filters only,
// never SQL or a driver type, so that the gateway, the CLI and the tests
// work the same against either backend. Nothing here imports a driver.
package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/decisionlog"
)

// DecisionLog keeps decision records. Implementations are safe for
// concurrent use by many goroutines.
//
// Append returns only once the record is committed: with the SQLite backend
// it survives a killed process (and, with the default synchronous=FULL, a
// power loss); with PostgreSQL it is as durable as the server's commit. If
// Append returns a context error, the record may or may not have been
// stored; appending it again then returns ErrExists if it was.
type DecisionLog interface {
	// Append stores r. A record that fails decisionlog.Record.Validate
	// gives an error wrapping ErrInvalid, an id already stored ErrExists.
	Append(ctx context.Context, r decisionlog.Record) error
	// Get returns the record with the given id, or ErrNotFound.
	Get(ctx context.Context, id string) (decisionlog.Record, error)
	// Query returns the records that match f, newest first (by Time, then
	// by ID descending) unless f.Order is Oldest. Use Cursor on the last
	// record of a page to ask for the next one.
	Query(ctx context.Context, f Filter) ([]decisionlog.Record, error)
	// Close releases the store; every later call returns ErrClosed. A
	// second Close returns nil.
	Close() error
}

// Errors of every store. Backends wrap them; test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrClosed   = errors.New("store closed")
	ErrInvalid  = decisionlog.ErrInvalid // a record or filter that cannot be used
	// ErrSchemaTooNew is returned by a backend's Open when the database was
	// migrated by a newer build than this one.
	ErrSchemaTooNew = errors.New("database schema is newer than this build")
)

// TimePrecision is the precision every backend keeps of a record's time
// (PostgreSQL's timestamptz holds microseconds). Times come back in UTC.
const TimePrecision = time.Microsecond

// Limits of Filter.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Order is the order of Query's results.
type Order int

const (
	Newest Order = iota // newest first (the default)
	Oldest              // oldest first
)

// Filter selects records. Zero fields select everything.
type Filter struct {
	App    string
	Action string
	Clause string // records that cite this clause id
	// Category selects records with a finding of this category, in the
	// input or the output ("check_failed": the checks that could not run).
	Category string
	Since    time.Time // Time >= Since
	Until    time.Time // Time < Until
	// Limit is the page size: 0 means DefaultLimit; larger than MaxLimit
	// means MaxLimit; negative is ErrInvalid.
	Limit int
	// Cursor continues after the record it was made from (Cursor(r)), in
	// f.Order. The other fields must be the same as for the page before.
	Cursor string
	Order  Order
}

// PageSize returns the number of records Query returns at most for f.
func (f Filter) PageSize() (int, error) {
	switch {
	case f.Limit < 0:
		return 0, fmt.Errorf("%w: negative limit %d", ErrInvalid, f.Limit)
	case f.Limit == 0:
		return DefaultLimit, nil
	}
	return min(f.Limit, MaxLimit), nil
}

// Cursor returns the cursor of the page that follows r: put it in
// Filter.Cursor. Cursors are opaque and stable across backends.
func Cursor(r decisionlog.Record) string {
	us := r.Time.Truncate(TimePrecision).UnixMicro()
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(us, 10) + "/" + r.ID))
}

// Position is a decoded cursor: the time in Unix microseconds and the id of
// the last record of the page before.
type Position struct {
	Micros int64
	ID     string
}

// ParseCursor decodes a cursor made by Cursor. It is for backends.
func ParseCursor(c string) (Position, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return Position{}, fmt.Errorf("%w: cursor %q: %v", ErrInvalid, c, err)
	}
	us, id, ok := strings.Cut(string(raw), "/")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" {
		return Position{}, fmt.Errorf("%w: cursor %q", ErrInvalid, c)
	}
	return Position{Micros: n, ID: id}, nil
}

// Normalize returns the record as every backend stores it, after
// validating it (and the id, which must be UTF-8 without NUL): the time in UTC truncated to TimePrecision, nil slices as
// empty ones, and strings made valid UTF-8 without NUL bytes (PostgreSQL's
// text and jsonb hold neither), each bad byte becoming U+FFFD. Slices are
// copied, so the caller's record is never changed. The contract suite
// compares what Get returns with Normalize of what Append was given.
func Normalize(r decisionlog.Record) (decisionlog.Record, error) {
	if err := r.Validate(); err != nil {
		return decisionlog.Record{}, err
	}
	if r.ID != clean(r.ID) {
		return decisionlog.Record{}, fmt.Errorf("%w: id %q is not UTF-8 text without NUL", ErrInvalid, r.ID)
	}
	r.Time = r.Time.UTC().Truncate(TimePrecision)
	for _, p := range []*string{&r.App, &r.SpecName, &r.SpecVersion, &r.Model, &r.Upstream, &r.Action, &r.Error} {
		*p = clean(*p)
	}
	clauses := make([]string, len(r.Clauses))
	for i, c := range r.Clauses {
		clauses[i] = clean(c)
	}
	r.Clauses = clauses
	r.Findings = cleanFindings(r.Findings)
	r.Output = cleanFindings(r.Output)
	overrides := make([]decisionlog.Override, len(r.Overrides))
	for i, o := range r.Overrides {
		o.Clause, o.By, o.Action, o.Reason = clean(o.Clause), clean(o.By), clean(o.Action), clean(o.Reason)
		overrides[i] = o
	}
	r.Overrides = overrides
	return r, nil
}

func cleanFindings(fs []decisionlog.Finding) []decisionlog.Finding {
	out := make([]decisionlog.Finding, len(fs))
	for i, f := range fs {
		f.Detector, f.Clause, f.Category, f.Evidence = clean(f.Detector), clean(f.Clause), clean(f.Category), clean(f.Evidence)
		f.Content.Hash = clean(f.Content.Hash)
		if f.Message != nil {
			m := *f.Message
			f.Message = &m
		}
		out[i] = f
	}
	return out
}

func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Query is a Filter made ready for a backend by PrepareFilter.
type Query struct {
	App, Action, Clause, Category string // "" matches every record
	// Since and Until are in Unix microseconds, rounded up so that
	// comparing stored microseconds with them gives the same answer as
	// comparing the exact times: a record matches when
	// SinceMicros <= micros < UntilMicros.
	HasSince, HasUntil       bool
	SinceMicros, UntilMicros int64
	Limit                    int
	After                    *Position // nil on the first page
	Order                    Order
}

// PrepareFilter checks f and returns it as a Query, with its strings
// cleaned the way Normalize cleans stored ones, so that a filter matches
// what was stored.
func PrepareFilter(f Filter) (Query, error) {
	q := Query{App: clean(f.App), Action: clean(f.Action), Clause: clean(f.Clause), Category: clean(f.Category), Order: f.Order}
	var err error
	if q.Limit, err = f.PageSize(); err != nil {
		return Query{}, err
	}
	if f.Order != Newest && f.Order != Oldest {
		return Query{}, fmt.Errorf("%w: order %d", ErrInvalid, f.Order)
	}
	if !f.Since.IsZero() {
		q.HasSince, q.SinceMicros = true, ceilMicros(f.Since)
	}
	if !f.Until.IsZero() {
		q.HasUntil, q.UntilMicros = true, ceilMicros(f.Until)
	}
	if f.Cursor != "" {
		p, err := ParseCursor(f.Cursor)
		if err != nil {
			return Query{}, err
		}
		q.After = &p
	}
	return q, nil
}

func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Sub(time.UnixMicro(us)) > 0 {
		us++
	}
	return us
}

// ValidID reports whether id can name a stored record; Get answers
// ErrNotFound for any other without asking the database.
func ValidID(id string) bool {
	return id != "" && len(id) <= decisionlog.MaxIDLength && id == clean(id)
}
