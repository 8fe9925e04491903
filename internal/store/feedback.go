package store

import (
	"context"
	"fmt"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
)

// Feedback keeps the public feedback on a spec (internal/feedback):
// published versions, comment periods, participants, feedback items,
// statements and votes, the changelog, staff roles, the outbox of
// confirmation emails and the audit trail. Implementations are safe for
// concurrent use.
//
// Email addresses: a participant's address is stored only until it is
// confirmed (ConfirmParticipant erases it) and is never returned by any
// method; the outbox holds the messages sent to it. Everything else
// knows a participant by id and by the keyed hash of the address.
//
// Every staff action (publishing, opening a period, moderating, answering,
// giving a role) takes an AuditEntry and writes it in the same
// transaction as the action, so the trail cannot miss one.
type Feedback interface {
	// Secret returns the secret stored under name; when there is none it
	// stores candidate and returns it. Replicas that start together agree
	// on one value. (Keys for sessions and email hashes live here when
	// the configuration gives none, so they survive restarts.)
	Secret(ctx context.Context, name string, candidate []byte) ([]byte, error)

	// PublishVersion stores v; ErrExists if its id is taken.
	PublishVersion(ctx context.Context, v feedback.Version, a feedback.AuditEntry) error
	// Versions returns every version, oldest first (publication time, then
	// the order of publication).
	Versions(ctx context.Context) ([]feedback.Version, error)
	// Version returns one version, or ErrNotFound.
	Version(ctx context.Context, id string) (feedback.Version, error)

	// CreatePeriod stores p; ErrNotFound when its version is unknown,
	// ErrExists when its id is taken.
	CreatePeriod(ctx context.Context, p feedback.Period, a feedback.AuditEntry) error
	// Periods returns the periods of version ("" for all), by start.
	Periods(ctx context.Context, version string) ([]feedback.Period, error)

	// AddParticipant stores p with its address (kept until confirmed),
	// unless a participant with p.EmailHash exists: then it returns that
	// one unchanged, with created false.
	AddParticipant(ctx context.Context, p feedback.Participant, email string) (_ feedback.Participant, created bool, err error)
	// Participant returns one participant, or ErrNotFound.
	Participant(ctx context.Context, id string) (feedback.Participant, error)
	// ParticipantByEmail returns the participant with that email hash.
	ParticipantByEmail(ctx context.Context, emailHash string) (feedback.Participant, error)
	// ConfirmParticipant marks the address confirmed at `at` (the first
	// confirmation's time is kept), erases the stored address, and moves
	// the participant's Pending items and statements to the status their
	// screening chose. It returns how many submissions it moved.
	ConfirmParticipant(ctx context.Context, id string, at time.Time) (int, error)

	// AddToken stores a confirmation token (by its hash).
	AddToken(ctx context.Context, t feedback.Token) error
	// UseToken deletes and returns the token with that hash; ErrNotFound
	// when there is none or it expired before now. A token works once.
	UseToken(ctx context.Context, hash string, now time.Time) (feedback.Token, error)

	// AddItem stores a feedback item; ErrNotFound for an unknown version
	// or participant, ErrExists for a taken id.
	AddItem(ctx context.Context, it feedback.Item) error
	// Item returns one item, or ErrNotFound.
	Item(ctx context.Context, id string) (feedback.Item, error)
	// Items returns the items that match f, oldest first.
	Items(ctx context.Context, f FeedbackFilter) ([]feedback.Item, error)

	// AddStatement stores a statement, like AddItem.
	AddStatement(ctx context.Context, s feedback.Statement) error
	// Statement returns one statement, or ErrNotFound.
	Statement(ctx context.Context, id string) (feedback.Statement, error)
	// Statements returns the statements that match f (Clause, Version,
	// Period, Participant, Status), oldest first.
	Statements(ctx context.Context, f FeedbackFilter) ([]feedback.Statement, error)

	// Moderate sets the status of an item or a statement (what is
	// ModerateItem or ModerateStatement) to Published or Rejected, or back
	// to Held; ErrNotFound for an unknown id, ErrInvalid for another status.
	Moderate(ctx context.Context, what, id string, to feedback.Status, a feedback.AuditEntry) error

	// Vote stores v, replacing the participant's earlier vote on the
	// statement; ErrNotFound for an unknown statement.
	Vote(ctx context.Context, v feedback.Vote) error
	// Votes returns the votes on the statements of version ("" for all),
	// by statement then participant.
	Votes(ctx context.Context, version string) ([]feedback.Vote, error)

	// AddChange stores a changelog entry; ErrNotFound when its version or
	// one of its items is unknown.
	AddChange(ctx context.Context, c feedback.Change, a feedback.AuditEntry) error
	// Changes returns the changes of version (""for all) that answer item
	// ("" for any), oldest first.
	Changes(ctx context.Context, version, item string) ([]feedback.Change, error)

	// SetRole gives the person with that email hash a role ("" takes it
	// away).
	SetRole(ctx context.Context, emailHash string, role feedback.Role, a feedback.AuditEntry) error
	// Role returns the role of the person with that email hash, "" if none.
	Role(ctx context.Context, emailHash string) (feedback.Role, error)
	// Roles returns every email hash with a role.
	Roles(ctx context.Context) (map[string]feedback.Role, error)

	// AddMessage puts a message in the outbox.
	AddMessage(ctx context.Context, m feedback.Message) error
	// Messages returns the outbox messages to an address ("" for all),
	// oldest first.
	Messages(ctx context.Context, to string) ([]feedback.Message, error)

	// Audit returns the audit trail, newest first, at most limit entries
	// (0: DefaultLimit).
	Audit(ctx context.Context, limit int) ([]feedback.AuditEntry, error)

	// Close releases the store; every later call returns ErrClosed.
	Close() error
}

// What Moderate acts on.
const (
	ModerateItem      = "item"
	ModerateStatement = "statement"
)

// FeedbackFilter selects items or statements. Zero fields select all.
type FeedbackFilter struct {
	Version     string
	Period      string
	Clause      string
	Participant string
	Kind        feedback.Kind // items only
	// Status selects any of these statuses; empty means any status.
	Status []feedback.Status
	// Limit bounds the result; 0 means no bound (exports read everything).
	Limit int
}

// The checks below are what every backend refuses before writing or
// reading feedback, beyond what the records' own Validate methods check;
// each error wraps ErrInvalid.

// InvalidFeedback marks a record the domain refused (its Validate error)
// as ErrInvalid.
func InvalidFeedback(err error) error { return fmt.Errorf("%w: %w", ErrInvalid, err) }

// CheckAudit checks an audit entry before it is written with its action.
func CheckAudit(a feedback.AuditEntry) error {
	if a.ID == "" || a.At.IsZero() || a.Action == "" {
		return fmt.Errorf("%w: audit entry needs an id, a time and an action", ErrInvalid)
	}
	return nil
}

// CheckParticipant checks a participant for AddParticipant.
func CheckParticipant(p feedback.Participant) error {
	if p.ID == "" || p.EmailHash == "" || p.CreatedAt.IsZero() {
		return fmt.Errorf("%w: participant needs an id, an email hash and a time", ErrInvalid)
	}
	return nil
}

// CheckToken checks a token for AddToken.
func CheckToken(t feedback.Token) error {
	if t.Hash == "" || t.Participant == "" || t.Expires.IsZero() {
		return fmt.Errorf("%w: token needs a hash, a participant and an expiry", ErrInvalid)
	}
	return nil
}

// CheckModerate checks the arguments of Moderate.
func CheckModerate(what string, to feedback.Status) error {
	if what != ModerateItem && what != ModerateStatement {
		return fmt.Errorf("%w: moderate %q: want item or statement", ErrInvalid, what)
	}
	if to != feedback.Published && to != feedback.Rejected && to != feedback.Held {
		return fmt.Errorf("%w: moderate to %q: want published, rejected or held", ErrInvalid, to)
	}
	return nil
}

// CheckRole checks the arguments of SetRole.
func CheckRole(emailHash string, role feedback.Role) error {
	if emailHash == "" || (role != "" && role != feedback.Author && role != feedback.Moderator) {
		return fmt.Errorf("%w: role %q for %q: want author, moderator or none", ErrInvalid, role, emailHash)
	}
	return nil
}

// CheckMessage checks a message for AddMessage.
func CheckMessage(m feedback.Message) error {
	if m.ID == "" || m.To == "" || m.CreatedAt.IsZero() {
		return fmt.Errorf("%w: message needs an id, a recipient and a time", ErrInvalid)
	}
	return nil
}

// Check refuses a negative limit.
func (f FeedbackFilter) Check() error {
	if f.Limit < 0 {
		return fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	return nil
}

// AuditLimit is the number of entries Audit returns for limit: 0 means
// DefaultLimit; a negative limit is refused.
func AuditLimit(limit int) (int, error) {
	if limit < 0 {
		return 0, fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	if limit == 0 {
		return DefaultLimit, nil
	}
	return limit, nil
}
