// Package feedback is the domain of public feedback on a spec: published
// versions, comment periods, feedback on clauses and proposals of new
// ones, statements and votes, the changelog that answers feedback,
// moderation and its audit trail.
//
// The boundary: pure. It never imports net/http or database/sql and never
// reads the clock or draws randomness: times and ids come in as
// arguments. Storage is internal/store (store.Feedback); the pages are
// internal/web/specsite. Email addresses exist here only to be hashed and
// to be written into a confirmation Message: no other type carries one,
// so no page or export can show one.
package feedback

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/spec"
)

// ErrInvalid marks a record that cannot be stored; the message names the
// field and what to do.
var ErrInvalid = errors.New("invalid feedback")

// Limits on free text, in bytes.
const (
	MaxText  = 5000 // a comment, a reading, a proposed edit
	MaxShort = 200  // a title
	MaxSpec  = 2 << 20
)

// Status is where a submission stands in moderation.
type Status string

// The statuses. A submission from an address not yet confirmed is
// Pending; on confirmation it becomes Published, or Held when screening
// flagged it. Moderators move Held (or Published) items to Published or
// Rejected.
const (
	Pending   Status = "pending"
	Published Status = "published"
	Held      Status = "held"
	Rejected  Status = "rejected"
)

// Statuses lists every status.
var Statuses = []Status{Pending, Published, Held, Rejected}

// Stance is a participant's position on a clause.
type Stance string

// The stances.
const (
	Support Stance = "support"
	Oppose  Stance = "oppose"
	Unsure  Stance = "unsure"
)

// Stances lists the stances in display order.
var Stances = []Stance{Support, Oppose, Unsure}

// Understanding answers "do you understand the clause as intended?".
type Understanding string

// The answers.
const (
	UnderstandYes    Understanding = "yes"
	UnderstandPartly Understanding = "partly"
	UnderstandNo     Understanding = "no"
)

// Understandings lists the answers in display order.
var Understandings = []Understanding{UnderstandYes, UnderstandPartly, UnderstandNo}

// Group is a participant's stakeholder group, chosen by them.
type Group string

// The stakeholder groups.
const (
	Public        Group = "public"
	Policymaker   Group = "policymaker"
	Institution   Group = "institution"
	DomainExpert  Group = "domain_expert"
	DeveloperUser Group = "developer"
)

// Groups lists the stakeholder groups in display order.
var Groups = []Group{Public, Policymaker, Institution, DomainExpert, DeveloperUser}

// Label is the group's name for people.
func (g Group) Label() string {
	switch g {
	case Public:
		return "Member of the public"
	case Policymaker:
		return "Policymaker"
	case Institution:
		return "Institution"
	case DomainExpert:
		return "Domain expert"
	case DeveloperUser:
		return "Developer"
	}
	return string(g)
}

// Role is a staff member's role.
type Role string

// The roles. An author publishes versions, opens comment periods, adds
// statements and answers feedback; a moderator works the moderation
// queue. An author may also moderate.
const (
	Author    Role = "author"
	Moderator Role = "moderator"
)

// CanModerate reports whether r may work the moderation queue.
func (r Role) CanModerate() bool { return r == Author || r == Moderator }

// CanAuthor reports whether r may publish and answer.
func (r Role) CanAuthor() bool { return r == Author }

// Version is one published release of the spec.
type Version struct {
	// ID is the version's name as people see it and URLs carry it
	// (the front matter's version, e.g. 2026-11-27).
	ID     string
	Name   string // the spec's name
	Source string // the Markdown
	// Notes are the release notes, plain text.
	Notes       string
	PublishedAt time.Time
	PublishedBy string // a participant id (the author)
}

// Parse parses the version's source.
func (v Version) Parse() (*spec.Spec, []spec.Problem) {
	return spec.Parse(v.ID+".md", []byte(v.Source))
}

// NewVersion checks a spec source for publication and returns the version
// it makes: the id and name from its front matter unless id is given.
// A spec with lint errors is refused with every problem listed
// (file:line:col), so that nothing published is broken.
func NewVersion(file string, src []byte, id, notes, by string, at time.Time) (Version, error) {
	if len(src) > MaxSpec {
		return Version{}, fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalid, file, len(src), MaxSpec)
	}
	s, ps := spec.Parse(file, src)
	ps = spec.Lint(s, ps, spec.LintOptions{})
	var errs []string
	for _, p := range ps {
		if p.Severity == spec.Error {
			errs = append(errs, p.String())
		}
	}
	if len(errs) > 0 {
		return Version{}, fmt.Errorf("%w: %s has problems (modelspec spec lint shows them):\n  %s", ErrInvalid, file, strings.Join(errs, "\n  "))
	}
	if s.Extends != "" {
		return Version{}, fmt.Errorf("%w: %s extends %q: publish a spec that stands alone (the pages show only the clauses in the file)", ErrInvalid, file, s.Extends)
	}
	if id == "" {
		id = s.Version
	}
	if id == "" {
		return Version{}, fmt.Errorf("%w: %s has no version in its front matter: add 'version: ...' or give one", ErrInvalid, file)
	}
	if len(s.Clauses()) == 0 {
		return Version{}, fmt.Errorf("%w: %s has no clauses (headings with {#id})", ErrInvalid, file)
	}
	v := Version{ID: id, Name: s.Name, Source: string(src), Notes: strings.TrimSpace(notes), PublishedAt: at, PublishedBy: by}
	return v, v.Validate()
}

// Validate checks a version before it is stored.
func (v Version) Validate() error {
	if !validID(v.ID) {
		return fmt.Errorf("%w: version id %q: use letters, digits, '.', '-' and '_' (up to 64)", ErrInvalid, v.ID)
	}
	if v.Source == "" || v.PublishedAt.IsZero() {
		return fmt.Errorf("%w: version %s: source and publication time are required", ErrInvalid, v.ID)
	}
	return checkText("notes", v.Notes, MaxText)
}

// Period is a comment period on one version.
type Period struct {
	ID         string
	Version    string
	Title      string
	Invitation string // who is invited and to what, plain text
	Start, End time.Time
	// Clauses are the clause ids open for comment; empty means all.
	Clauses   []string
	CreatedBy string
	CreatedAt time.Time
}

// OpenAt reports whether the period accepts feedback at t: Start <= t < End.
func (p Period) OpenAt(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// InScope reports whether clause is open for comment in the period.
func (p Period) InScope(clause string) bool {
	return len(p.Clauses) == 0 || slices.Contains(p.Clauses, clause)
}

// Validate checks a period against the spec of its version.
func (p Period) Validate(s *spec.Spec) error {
	if !validID(p.ID) || !validID(p.Version) {
		return fmt.Errorf("%w: period id %q and version %q are required", ErrInvalid, p.ID, p.Version)
	}
	if p.Title == "" {
		return fmt.Errorf("%w: period title is required", ErrInvalid)
	}
	if p.Start.IsZero() || !p.End.After(p.Start) {
		return fmt.Errorf("%w: period %s: end (%s) must come after start (%s)", ErrInvalid, p.ID, p.End.Format(time.RFC3339), p.Start.Format(time.RFC3339))
	}
	for _, c := range p.Clauses {
		if s != nil && s.Section(c) == nil {
			return fmt.Errorf("%w: period %s: clause %q is not in version %s (see modelspec spec show)", ErrInvalid, p.ID, c, p.Version)
		}
	}
	return errors.Join(checkText("title", p.Title, MaxShort), checkText("invitation", p.Invitation, MaxText))
}

// Participant is someone who writes: known by an id and by the keyed hash
// of their email address. The address itself is kept by the store only to
// send confirmations and is never part of this type.
type Participant struct {
	ID        string
	EmailHash string // hex HMAC-SHA256 of the normalised address
	Group     Group
	Confirmed time.Time // zero until the address was confirmed
	CreatedAt time.Time
}

// Alias is the name a participant's submissions appear under: a short
// prefix of the email hash, stable and not reversible without the key.
func (p Participant) Alias() string { return Alias(p.EmailHash) }

// Alias is the display name for an email hash.
func Alias(emailHash string) string {
	if len(emailHash) < 8 {
		return "participant"
	}
	return "participant " + emailHash[:8]
}

// Kind is what a feedback item is about.
type Kind string

// The kinds of feedback item.
const (
	OnClause  Kind = "clause"   // feedback on an existing clause
	NewClause Kind = "proposal" // a proposal of a new objective, rule or default
)

// Item is one piece of feedback.
type Item struct {
	ID          string
	Version     string
	Period      string // the comment period it was written in
	Kind        Kind
	Clause      string // OnClause: the clause
	Participant string
	Alias       string // the participant's display name, copied at write time
	Group       Group
	// On a clause: the three questions a spec owner needs answered.
	Stance     Stance
	Understood Understanding
	Reading    string // how they read it
	Missing    string // what is missing
	Comment    string
	Edit       string // a proposed wording
	// A proposal: kind (objective, rule, default), title and text.
	ProposedKind  spec.Kind
	ProposedTitle string
	ProposedText  string
	// Status is the moderation state; Screened is the state it takes when
	// its author confirms (Published, or Held when flagged).
	Status   Status
	Screened Status
	// Masked lists the categories of personal data masked in the text;
	// Flags the reasons it was held (classifier categories, "spam").
	Masked    []string
	Flags     []string
	CreatedAt time.Time
}

// Validate checks an item.
func (it Item) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if !validID(it.ID) || !validID(it.Version) || it.Participant == "" {
		bad("id, version and participant are required")
	}
	if !slices.Contains(Groups, it.Group) {
		bad("group %q: choose one of %s", it.Group, joinAny(Groups))
	}
	if !slices.Contains(Statuses, it.Status) {
		bad("status %q", it.Status)
	}
	if it.Screened != "" && it.Screened != Published && it.Screened != Held {
		bad("screened status %q", it.Screened)
	}
	switch it.Kind {
	case OnClause:
		if it.Clause == "" {
			bad("clause is required for feedback on a clause")
		}
		if it.Stance != "" && !slices.Contains(Stances, it.Stance) {
			bad("stance %q: choose support, oppose or unsure", it.Stance)
		}
		if it.Understood != "" && !slices.Contains(Understandings, it.Understood) {
			bad("understood %q: choose yes, partly or no", it.Understood)
		}
		if it.Stance == "" && it.Understood == "" && strings.TrimSpace(it.Comment+it.Reading+it.Missing+it.Edit) == "" {
			bad("empty feedback: give a stance, an answer or some text")
		}
	case NewClause:
		if it.ProposedKind != spec.Objective && it.ProposedKind != spec.Rule && it.ProposedKind != spec.Default {
			bad("proposed kind %q: choose objective, rule or default", it.ProposedKind)
		}
		if strings.TrimSpace(it.ProposedTitle) == "" || strings.TrimSpace(it.ProposedText) == "" {
			bad("a proposal needs a title and a text")
		}
	default:
		bad("kind %q: want clause or proposal", it.Kind)
	}
	errs = append(errs,
		checkText("reading", it.Reading, MaxText), checkText("missing", it.Missing, MaxText),
		checkText("comment", it.Comment, MaxText), checkText("edit", it.Edit, MaxText),
		checkText("title", it.ProposedTitle, MaxShort), checkText("text", it.ProposedText, MaxText))
	return errors.Join(errs...)
}

// Statement is a short claim participants vote on, as in Polis.
type Statement struct {
	ID          string
	Version     string
	Period      string
	Clause      string // the clause it is about, if any
	Text        string
	Participant string // who wrote it (an author or a participant)
	Alias       string
	Status      Status
	Screened    Status
	Masked      []string
	Flags       []string
	CreatedAt   time.Time
}

// MaxStatement bounds a statement's text: statements are one or two
// sentences, short enough to vote on.
const MaxStatement = 400

// Validate checks a statement.
func (s Statement) Validate() error {
	if !validID(s.ID) || !validID(s.Version) || s.Participant == "" {
		return fmt.Errorf("%w: statement id, version and participant are required", ErrInvalid)
	}
	if strings.TrimSpace(s.Text) == "" {
		return fmt.Errorf("%w: statement text is empty", ErrInvalid)
	}
	if !slices.Contains(Statuses, s.Status) {
		return fmt.Errorf("%w: status %q", ErrInvalid, s.Status)
	}
	return checkText("statement", s.Text, MaxStatement)
}

// Vote values, as in internal/consensus.
const (
	VoteDisagree = -1
	VotePass     = 0
	VoteAgree    = 1
)

// Vote is one participant's vote on one statement; a later vote on the
// same statement replaces it.
type Vote struct {
	Statement   string
	Participant string
	Value       int
	At          time.Time
}

// Validate checks a vote.
func (v Vote) Validate() error {
	if v.Statement == "" || v.Participant == "" || v.Value < -1 || v.Value > 1 || v.At.IsZero() {
		return fmt.Errorf("%w: vote needs a statement, a participant, a value of -1, 0 or 1 and a time", ErrInvalid)
	}
	return nil
}

// Response says what the authors did with feedback.
type Response string

// The responses.
const (
	Accepted  Response = "accepted"  // the change does what the feedback asked
	Partly    Response = "partly"    // some of it
	Declined  Response = "declined"  // considered and not done, with the reason
	Clarified Response = "clarified" // the wording changed so it reads as intended
)

// Responses lists the responses.
var Responses = []Response{Accepted, Partly, Declined, Clarified}

// Change is one changelog entry of a published version: what changed in
// a clause (or the spec as a whole, Clause ""), and the feedback it
// answers.
type Change struct {
	ID       string
	Version  string // the version that made the change
	Clause   string
	Summary  string // the answer, plain text
	Response Response
	Items    []string // feedback items it answers
	At       time.Time
	By       string
}

// Validate checks a change.
func (c Change) Validate() error {
	if !validID(c.ID) || !validID(c.Version) || c.At.IsZero() {
		return fmt.Errorf("%w: change id, version and time are required", ErrInvalid)
	}
	if strings.TrimSpace(c.Summary) == "" {
		return fmt.Errorf("%w: change %s: the summary (the answer people read) is empty", ErrInvalid, c.ID)
	}
	if !slices.Contains(Responses, c.Response) {
		return fmt.Errorf("%w: change %s: response %q: choose one of %s", ErrInvalid, c.ID, c.Response, joinAny(Responses))
	}
	return checkText("summary", c.Summary, MaxText)
}

// AuditEntry records one action of staff: moderation, publication, a
// period opened, a role given.
type AuditEntry struct {
	ID     string
	At     time.Time
	Actor  string // participant id, or "cli" for the command line
	Action string // e.g. moderate, publish_version, open_period, set_role
	Target string // what it acted on, e.g. item:ID
	Detail string // e.g. held -> published: the reason
}

// Message is a confirmation email on its way out. The default mailer
// writes it to the store's outbox, which an operator (or a test) reads.
type Message struct {
	ID        string
	To        string
	Subject   string
	Body      string
	CreatedAt time.Time
}

// Token is a single-use confirmation token, stored as its hash.
type Token struct {
	Hash        string
	Participant string
	Expires     time.Time
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ValidID reports whether s may be an id (of a version, an item, ...):
// letters, digits, '.', '-', '_', up to 64 bytes.
func ValidID(s string) bool { return validID(s) }

func checkText(field, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrInvalid, field, len(s), max)
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return fmt.Errorf("%w: %s is not UTF-8 text", ErrInvalid, field)
	}
	return nil
}

func joinAny[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
