package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// feedbackTrack is the feedback store's schema, beside the decision log's
// in the same file or in a file of its own. Times are Unix microseconds;
// lists are JSON arrays of strings, always read whole with their row.
var feedbackTrack = track{table: "feedback_migrations", migrations: []string{
	// 1: versions, periods, participants, items, statements, votes,
	// changelog, roles, outbox, audit.
	`CREATE TABLE feedback_secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;
CREATE TABLE feedback_versions (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT NOT NULL UNIQUE,
	name         TEXT NOT NULL,
	source       TEXT NOT NULL,
	notes        TEXT NOT NULL,
	published_us INTEGER NOT NULL,
	published_by TEXT NOT NULL
) STRICT;
CREATE TABLE feedback_periods (
	id         TEXT PRIMARY KEY,
	version    TEXT NOT NULL,
	title      TEXT NOT NULL,
	invitation TEXT NOT NULL,
	start_us   INTEGER NOT NULL,
	end_us     INTEGER NOT NULL,
	clauses    TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_us INTEGER NOT NULL
) STRICT;
CREATE INDEX feedback_periods_version ON feedback_periods (version, start_us);
CREATE TABLE feedback_participants (
	id           TEXT PRIMARY KEY,
	email_hash   TEXT NOT NULL UNIQUE,
	email        TEXT NOT NULL,  -- kept until confirmed, then ''
	grp          TEXT NOT NULL,
	confirmed_us INTEGER NOT NULL, -- 0 until confirmed
	created_us   INTEGER NOT NULL
) STRICT;
CREATE TABLE feedback_tokens (
	hash        TEXT PRIMARY KEY,
	participant TEXT NOT NULL,
	expires_us  INTEGER NOT NULL
) STRICT;
CREATE TABLE feedback_items (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT NOT NULL UNIQUE,
	version        TEXT NOT NULL,
	period         TEXT NOT NULL,
	kind           TEXT NOT NULL,
	clause         TEXT NOT NULL,
	participant    TEXT NOT NULL,
	alias          TEXT NOT NULL,
	grp            TEXT NOT NULL,
	stance         TEXT NOT NULL,
	understood     TEXT NOT NULL,
	reading        TEXT NOT NULL,
	missing        TEXT NOT NULL,
	comment        TEXT NOT NULL,
	edit           TEXT NOT NULL,
	proposed_kind  TEXT NOT NULL,
	proposed_title TEXT NOT NULL,
	proposed_text  TEXT NOT NULL,
	status         TEXT NOT NULL,
	screened       TEXT NOT NULL,
	masked         TEXT NOT NULL,
	flags          TEXT NOT NULL,
	created_us     INTEGER NOT NULL
) STRICT;
CREATE INDEX feedback_items_version ON feedback_items (version, clause, created_us);
CREATE INDEX feedback_items_status ON feedback_items (status, created_us);
CREATE INDEX feedback_items_participant ON feedback_items (participant, status);
CREATE TABLE feedback_statements (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	version     TEXT NOT NULL,
	period      TEXT NOT NULL,
	clause      TEXT NOT NULL,
	text        TEXT NOT NULL,
	participant TEXT NOT NULL,
	alias       TEXT NOT NULL,
	status      TEXT NOT NULL,
	screened    TEXT NOT NULL,
	masked      TEXT NOT NULL,
	flags       TEXT NOT NULL,
	created_us  INTEGER NOT NULL
) STRICT;
CREATE INDEX feedback_statements_version ON feedback_statements (version, created_us);
CREATE INDEX feedback_statements_participant ON feedback_statements (participant, status);
CREATE TABLE feedback_votes (
	statement   TEXT NOT NULL,
	participant TEXT NOT NULL,
	value       INTEGER NOT NULL,
	at_us       INTEGER NOT NULL,
	PRIMARY KEY (statement, participant)
) STRICT, WITHOUT ROWID;
CREATE TABLE feedback_changes (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	id       TEXT NOT NULL UNIQUE,
	version  TEXT NOT NULL,
	clause   TEXT NOT NULL,
	summary  TEXT NOT NULL,
	response TEXT NOT NULL,
	at_us    INTEGER NOT NULL,
	by       TEXT NOT NULL
) STRICT;
CREATE TABLE feedback_change_items (
	change_id TEXT NOT NULL,
	item_id   TEXT NOT NULL,
	position  INTEGER NOT NULL,
	PRIMARY KEY (change_id, item_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX feedback_change_items_item ON feedback_change_items (item_id);
CREATE TABLE feedback_roles (
	email_hash TEXT PRIMARY KEY,
	role       TEXT NOT NULL
) STRICT;
CREATE TABLE feedback_outbox (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	recipient  TEXT NOT NULL,
	subject    TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_us INTEGER NOT NULL
) STRICT;
CREATE INDEX feedback_outbox_recipient ON feedback_outbox (recipient, seq);
CREATE TABLE feedback_audit (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	id     TEXT NOT NULL UNIQUE,
	at_us  INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL
) STRICT;
CREATE INDEX feedback_audit_time ON feedback_audit (at_us, seq);`,
}}

// FeedbackStore is a store.Feedback in one SQLite file (it may be the
// decision log's file: the tables and the migration track are its own).
type FeedbackStore struct{ *conn }

var _ store.Feedback = (*FeedbackStore)(nil)

// OpenFeedback opens (creating if needed) the feedback store at path and
// migrates it. Options.Synchronous applies as for the decision log;
// MaxBatch is unused (feedback is written one submission at a time).
func OpenFeedback(ctx context.Context, path string, opts Options) (*FeedbackStore, error) {
	c, err := openConn(ctx, path, opts, Full, feedbackTrack)
	if err != nil {
		return nil, err
	}
	return &FeedbackStore{c}, nil
}

// wrap maps a database error (backend.State.Wrap).
func (s *FeedbackStore) wrap(op string, err error) error {
	return s.state.Wrap("sqlite feedback: "+op, err)
}

// write runs fn in one write transaction.
func (s *FeedbackStore) write(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return s.wrap(op, s.tx(ctx, fn))
}

func fbUS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fbTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func fbList(ss []string) string {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss) // strings: cannot fail
	return string(b)
}

func fbUnlist(s string) ([]string, error) {
	out := []string{}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", s, err)
	}
	return out, nil
}

// fbAudit writes a staff action's audit entry in tx.
func fbAudit(ctx context.Context, tx *sql.Tx, a feedback.AuditEntry) error {
	if err := store.CheckAudit(a); err != nil {
		return err
	}
	return fbInsert(ctx, tx, "audit entry "+a.ID, `INSERT INTO feedback_audit (id, at_us, actor, action, target, detail)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, a.ID, fbUS(a.At), a.Actor, a.Action, a.Target, a.Detail)
}

// fbInsert runs an INSERT ... ON CONFLICT DO NOTHING and reports
// ErrExists when it inserted nothing.
func fbInsert(ctx context.Context, tx *sql.Tx, what, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrExists)
	}
	return nil
}

// fbExists checks that a row with the key is there.
func fbExists(ctx context.Context, tx *sql.Tx, what, q string, key string) error {
	return existsIn(ctx, tx, fmt.Sprintf("%s %q", what, key), q, key)
}

// Secret implements store.Feedback.
func (s *FeedbackStore) Secret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	var out []byte
	err := s.write(ctx, "secret", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, candidate); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM feedback_secrets WHERE name = ?`, name).Scan(&out)
	})
	return out, err
}

// PublishVersion implements store.Feedback.
func (s *FeedbackStore) PublishVersion(ctx context.Context, v feedback.Version, a feedback.AuditEntry) error {
	if err := v.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "publish version", func(tx *sql.Tx) error {
		if err := fbInsert(ctx, tx, "version "+v.ID, `INSERT INTO feedback_versions (id, name, source, notes, published_us, published_by)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, v.ID, v.Name, v.Source, v.Notes, fbUS(v.PublishedAt), v.PublishedBy); err != nil {
			return err
		}
		return fbAudit(ctx, tx, a)
	})
}

const fbVersionCols = `id, name, source, notes, published_us, published_by`

func fbScanVersion(sc backend.Scanner) (feedback.Version, error) {
	var v feedback.Version
	var at int64
	err := sc.Scan(&v.ID, &v.Name, &v.Source, &v.Notes, &at, &v.PublishedBy)
	v.PublishedAt = fbTime(at)
	return v, err
}

// Versions implements store.Feedback.
func (s *FeedbackStore) Versions(ctx context.Context) ([]feedback.Version, error) {
	return fbQuery(ctx, s, "versions", fbScanVersion, `SELECT `+fbVersionCols+` FROM feedback_versions ORDER BY published_us, seq`)
}

// Version implements store.Feedback.
func (s *FeedbackStore) Version(ctx context.Context, id string) (feedback.Version, error) {
	return fbOne(ctx, s, "version", id, fbScanVersion, `SELECT `+fbVersionCols+` FROM feedback_versions WHERE id = ?`, id)
}

// fbQuery runs a read and scans every row.
func fbQuery[T any](ctx context.Context, s *FeedbackStore, op string, scan func(backend.Scanner) (T, error), q string, args ...any) ([]T, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.r, nil, scan, q, args...)
	return out, s.wrap(op, err)
}

// fbOne reads one row, or ErrNotFound.
func fbOne[T any](ctx context.Context, s *FeedbackStore, what, key string, scan func(backend.Scanner) (T, error), q string, args ...any) (T, error) {
	out, err := fbQuery(ctx, s, what, scan, q, args...)
	if err != nil {
		var zero T
		return zero, err
	}
	if len(out) == 0 {
		var zero T
		return zero, fmt.Errorf("%s %q: %w", what, key, store.ErrNotFound)
	}
	return out[0], nil
}

// CreatePeriod implements store.Feedback.
func (s *FeedbackStore) CreatePeriod(ctx context.Context, p feedback.Period, a feedback.AuditEntry) error {
	if err := p.Validate(nil); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "create period", func(tx *sql.Tx) error {
		if err := fbExists(ctx, tx, "version", `SELECT 1 FROM feedback_versions WHERE id = ?`, p.Version); err != nil {
			return err
		}
		if err := fbInsert(ctx, tx, "period "+p.ID, `INSERT INTO feedback_periods (id, version, title, invitation, start_us, end_us, clauses, created_by, created_us)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			p.ID, p.Version, p.Title, p.Invitation, fbUS(p.Start), fbUS(p.End), fbList(p.Clauses), p.CreatedBy, fbUS(p.CreatedAt)); err != nil {
			return err
		}
		return fbAudit(ctx, tx, a)
	})
}

func fbScanPeriod(sc backend.Scanner) (feedback.Period, error) {
	var p feedback.Period
	var start, end, created int64
	var clauses string
	if err := sc.Scan(&p.ID, &p.Version, &p.Title, &p.Invitation, &start, &end, &clauses, &p.CreatedBy, &created); err != nil {
		return p, err
	}
	p.Start, p.End, p.CreatedAt = fbTime(start), fbTime(end), fbTime(created)
	cs, err := fbUnlist(clauses)
	if len(cs) > 0 {
		p.Clauses = cs
	}
	return p, err
}

// Periods implements store.Feedback.
func (s *FeedbackStore) Periods(ctx context.Context, version string) ([]feedback.Period, error) {
	return fbQuery(ctx, s, "periods", fbScanPeriod, `SELECT id, version, title, invitation, start_us, end_us, clauses, created_by, created_us
FROM feedback_periods WHERE (? = '' OR version = ?) ORDER BY start_us, id`, version, version)
}

const fbParticipantCols = `id, email_hash, grp, confirmed_us, created_us`

func fbScanParticipant(sc backend.Scanner) (feedback.Participant, error) {
	var p feedback.Participant
	var conf, created int64
	err := sc.Scan(&p.ID, &p.EmailHash, &p.Group, &conf, &created)
	p.Confirmed, p.CreatedAt = fbTime(conf), fbTime(created)
	return p, err
}

// AddParticipant implements store.Feedback.
func (s *FeedbackStore) AddParticipant(ctx context.Context, p feedback.Participant, email string) (feedback.Participant, bool, error) {
	if err := store.CheckParticipant(p); err != nil {
		return p, false, err
	}
	var out feedback.Participant
	created := false
	err := s.write(ctx, "add participant", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO feedback_participants (id, email_hash, email, grp, confirmed_us, created_us)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, p.ID, p.EmailHash, email, p.Group, fbUS(p.Confirmed), fbUS(p.CreatedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		out, err = fbScanParticipant(tx.QueryRowContext(ctx, `SELECT `+fbParticipantCols+` FROM feedback_participants WHERE email_hash = ?`, p.EmailHash))
		if errors.Is(err, sql.ErrNoRows) {
			// The id was taken by another address.
			return fmt.Errorf("participant %s: %w", p.ID, store.ErrExists)
		}
		return err
	})
	return out, created, err
}

// Participant implements store.Feedback.
func (s *FeedbackStore) Participant(ctx context.Context, id string) (feedback.Participant, error) {
	return fbOne(ctx, s, "participant", id, fbScanParticipant, `SELECT `+fbParticipantCols+` FROM feedback_participants WHERE id = ?`, id)
}

// ParticipantByEmail implements store.Feedback.
func (s *FeedbackStore) ParticipantByEmail(ctx context.Context, hash string) (feedback.Participant, error) {
	return fbOne(ctx, s, "participant with email hash", hash, fbScanParticipant, `SELECT `+fbParticipantCols+` FROM feedback_participants WHERE email_hash = ?`, hash)
}

// ConfirmParticipant implements store.Feedback.
func (s *FeedbackStore) ConfirmParticipant(ctx context.Context, id string, at time.Time) (int, error) {
	moved := 0
	err := s.write(ctx, "confirm participant", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE feedback_participants
SET confirmed_us = CASE WHEN confirmed_us = 0 THEN ? ELSE confirmed_us END, email = '' WHERE id = ?`, fbUS(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("participant %q: %w", id, store.ErrNotFound)
		}
		for _, table := range []string{"feedback_items", "feedback_statements"} {
			res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = CASE WHEN screened = '' THEN 'published' ELSE screened END
WHERE participant = ? AND status = 'pending'`, id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			moved += int(n)
		}
		return nil
	})
	return moved, err
}

// AddToken implements store.Feedback.
func (s *FeedbackStore) AddToken(ctx context.Context, t feedback.Token) error {
	if err := store.CheckToken(t); err != nil {
		return err
	}
	return s.write(ctx, "add token", func(tx *sql.Tx) error {
		return fbInsert(ctx, tx, "token", `INSERT INTO feedback_tokens (hash, participant, expires_us) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			t.Hash, t.Participant, fbUS(t.Expires))
	})
}

// UseToken implements store.Feedback. An expired token is deleted too.
func (s *FeedbackStore) UseToken(ctx context.Context, hash string, now time.Time) (feedback.Token, error) {
	var t feedback.Token
	var exp int64
	err := s.write(ctx, "use token", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM feedback_tokens WHERE hash = ? RETURNING participant, expires_us`, hash).Scan(&t.Participant, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("token: %w", store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return feedback.Token{}, err
	}
	t.Hash, t.Expires = hash, fbTime(exp)
	if !now.Before(t.Expires) {
		return feedback.Token{}, fmt.Errorf("token expired at %s: %w", t.Expires.Format(time.RFC3339), store.ErrNotFound)
	}
	return t, nil
}

const fbItemCols = `id, version, period, kind, clause, participant, alias, grp, stance, understood, reading, missing, comment, edit,
proposed_kind, proposed_title, proposed_text, status, screened, masked, flags, created_us`

func fbScanItem(sc backend.Scanner) (feedback.Item, error) {
	var it feedback.Item
	var masked, flags string
	var created int64
	if err := sc.Scan(&it.ID, &it.Version, &it.Period, &it.Kind, &it.Clause, &it.Participant, &it.Alias, &it.Group, &it.Stance,
		&it.Understood, &it.Reading, &it.Missing, &it.Comment, &it.Edit, &it.ProposedKind, &it.ProposedTitle, &it.ProposedText,
		&it.Status, &it.Screened, &masked, &flags, &created); err != nil {
		return it, err
	}
	it.CreatedAt = fbTime(created)
	var err1, err2 error
	it.Masked, err1 = fbUnlist(masked)
	it.Flags, err2 = fbUnlist(flags)
	return it, errors.Join(err1, err2)
}

// fbCheckAuthor checks the version and participant of a submission exist.
func fbCheckAuthor(ctx context.Context, tx *sql.Tx, version, participant string) error {
	if err := fbExists(ctx, tx, "version", `SELECT 1 FROM feedback_versions WHERE id = ?`, version); err != nil {
		return err
	}
	return fbExists(ctx, tx, "participant", `SELECT 1 FROM feedback_participants WHERE id = ?`, participant)
}

// AddItem implements store.Feedback.
func (s *FeedbackStore) AddItem(ctx context.Context, it feedback.Item) error {
	if err := it.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "add item", func(tx *sql.Tx) error {
		if err := fbCheckAuthor(ctx, tx, it.Version, it.Participant); err != nil {
			return err
		}
		return fbInsert(ctx, tx, "item "+it.ID, `INSERT INTO feedback_items (`+fbItemCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			it.ID, it.Version, it.Period, it.Kind, it.Clause, it.Participant, it.Alias, it.Group, it.Stance, it.Understood,
			it.Reading, it.Missing, it.Comment, it.Edit, it.ProposedKind, it.ProposedTitle, it.ProposedText,
			it.Status, it.Screened, fbList(it.Masked), fbList(it.Flags), fbUS(it.CreatedAt))
	})
}

// Item implements store.Feedback.
func (s *FeedbackStore) Item(ctx context.Context, id string) (feedback.Item, error) {
	return fbOne(ctx, s, "item", id, fbScanItem, `SELECT `+fbItemCols+` FROM feedback_items WHERE id = ?`, id)
}

// fbWhere is the WHERE, ORDER BY and LIMIT of a filter
// (backend.FeedbackWhere), with its arguments.
func fbWhere(f store.FeedbackFilter, items bool) (string, []any) {
	a := backend.Args{}
	w := backend.FeedbackWhere(f, items, "created_us", &a)
	return w, a.List
}

// Items implements store.Feedback.
func (s *FeedbackStore) Items(ctx context.Context, f store.FeedbackFilter) ([]feedback.Item, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	w, args := fbWhere(f, true)
	return fbQuery(ctx, s, "items", fbScanItem, `SELECT `+fbItemCols+` FROM feedback_items`+w, args...)
}

const fbStatementCols = `id, version, period, clause, text, participant, alias, status, screened, masked, flags, created_us`

func fbScanStatement(sc backend.Scanner) (feedback.Statement, error) {
	var st feedback.Statement
	var masked, flags string
	var created int64
	if err := sc.Scan(&st.ID, &st.Version, &st.Period, &st.Clause, &st.Text, &st.Participant, &st.Alias, &st.Status,
		&st.Screened, &masked, &flags, &created); err != nil {
		return st, err
	}
	st.CreatedAt = fbTime(created)
	var err1, err2 error
	st.Masked, err1 = fbUnlist(masked)
	st.Flags, err2 = fbUnlist(flags)
	return st, errors.Join(err1, err2)
}

// AddStatement implements store.Feedback.
func (s *FeedbackStore) AddStatement(ctx context.Context, st feedback.Statement) error {
	if err := st.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "add statement", func(tx *sql.Tx) error {
		if err := fbCheckAuthor(ctx, tx, st.Version, st.Participant); err != nil {
			return err
		}
		return fbInsert(ctx, tx, "statement "+st.ID, `INSERT INTO feedback_statements (`+fbStatementCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			st.ID, st.Version, st.Period, st.Clause, st.Text, st.Participant, st.Alias, st.Status, st.Screened,
			fbList(st.Masked), fbList(st.Flags), fbUS(st.CreatedAt))
	})
}

// Statement implements store.Feedback.
func (s *FeedbackStore) Statement(ctx context.Context, id string) (feedback.Statement, error) {
	return fbOne(ctx, s, "statement", id, fbScanStatement, `SELECT `+fbStatementCols+` FROM feedback_statements WHERE id = ?`, id)
}

// Statements implements store.Feedback.
func (s *FeedbackStore) Statements(ctx context.Context, f store.FeedbackFilter) ([]feedback.Statement, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	w, args := fbWhere(f, false)
	return fbQuery(ctx, s, "statements", fbScanStatement, `SELECT `+fbStatementCols+` FROM feedback_statements`+w, args...)
}

// Moderate implements store.Feedback.
func (s *FeedbackStore) Moderate(ctx context.Context, what, id string, to feedback.Status, a feedback.AuditEntry) error {
	if err := store.CheckModerate(what, to); err != nil {
		return err
	}
	table := map[string]string{store.ModerateItem: "feedback_items", store.ModerateStatement: "feedback_statements"}[what]
	return s.write(ctx, "moderate", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = ? WHERE id = ?`, to, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound)
		}
		return fbAudit(ctx, tx, a)
	})
}

// Vote implements store.Feedback.
func (s *FeedbackStore) Vote(ctx context.Context, v feedback.Vote) error {
	if err := v.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "vote", func(tx *sql.Tx) error {
		if err := fbExists(ctx, tx, "statement", `SELECT 1 FROM feedback_statements WHERE id = ?`, v.Statement); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO feedback_votes (statement, participant, value, at_us) VALUES (?, ?, ?, ?)
ON CONFLICT (statement, participant) DO UPDATE SET value = excluded.value, at_us = excluded.at_us`, v.Statement, v.Participant, v.Value, fbUS(v.At))
		return err
	})
}

// Votes implements store.Feedback.
func (s *FeedbackStore) Votes(ctx context.Context, version string) ([]feedback.Vote, error) {
	return fbQuery(ctx, s, "votes", func(sc backend.Scanner) (feedback.Vote, error) {
		var v feedback.Vote
		var at int64
		err := sc.Scan(&v.Statement, &v.Participant, &v.Value, &at)
		v.At = fbTime(at)
		return v, err
	}, `SELECT v.statement, v.participant, v.value, v.at_us FROM feedback_votes v JOIN feedback_statements s ON s.id = v.statement
WHERE (? = '' OR s.version = ?) ORDER BY v.statement, v.participant`, version, version)
}

// AddChange implements store.Feedback.
func (s *FeedbackStore) AddChange(ctx context.Context, c feedback.Change, a feedback.AuditEntry) error {
	if err := c.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "add change", func(tx *sql.Tx) error {
		if err := fbExists(ctx, tx, "version", `SELECT 1 FROM feedback_versions WHERE id = ?`, c.Version); err != nil {
			return err
		}
		if err := fbInsert(ctx, tx, "change "+c.ID, `INSERT INTO feedback_changes (id, version, clause, summary, response, at_us, by)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, c.ID, c.Version, c.Clause, c.Summary, c.Response, fbUS(c.At), c.By); err != nil {
			return err
		}
		for i, item := range c.Items {
			if err := fbExists(ctx, tx, "item", `SELECT 1 FROM feedback_items WHERE id = ?`, item); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_change_items (change_id, item_id, position) VALUES (?, ?, ?)
ON CONFLICT DO NOTHING`, c.ID, item, i); err != nil {
				return err
			}
		}
		return fbAudit(ctx, tx, a)
	})
}

// Changes implements store.Feedback.
func (s *FeedbackStore) Changes(ctx context.Context, version, item string) ([]feedback.Change, error) {
	cs, err := fbQuery(ctx, s, "changes", func(sc backend.Scanner) (feedback.Change, error) {
		var c feedback.Change
		var at int64
		var items string
		err := sc.Scan(&c.ID, &c.Version, &c.Clause, &c.Summary, &c.Response, &at, &c.By, &items)
		c.At = fbTime(at)
		if err == nil {
			c.Items, err = fbUnlist(items)
		}
		return c, err
	}, `SELECT c.id, c.version, c.clause, c.summary, c.response, c.at_us, c.by,
	COALESCE((SELECT json_group_array(item_id) FROM (SELECT item_id FROM feedback_change_items WHERE change_id = c.id ORDER BY position)), '[]')
FROM feedback_changes c
WHERE (? = '' OR c.version = ?) AND (? = '' OR EXISTS (SELECT 1 FROM feedback_change_items i WHERE i.change_id = c.id AND i.item_id = ?))
ORDER BY c.at_us, c.seq`, version, version, item, item)
	return cs, err
}

// SetRole implements store.Feedback.
func (s *FeedbackStore) SetRole(ctx context.Context, emailHash string, role feedback.Role, a feedback.AuditEntry) error {
	if err := store.CheckRole(emailHash, role); err != nil {
		return err
	}
	return s.write(ctx, "set role", func(tx *sql.Tx) error {
		var err error
		if role == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM feedback_roles WHERE email_hash = ?`, emailHash)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO feedback_roles (email_hash, role) VALUES (?, ?)
ON CONFLICT (email_hash) DO UPDATE SET role = excluded.role`, emailHash, role)
		}
		if err != nil {
			return err
		}
		return fbAudit(ctx, tx, a)
	})
}

// Role implements store.Feedback.
func (s *FeedbackStore) Role(ctx context.Context, emailHash string) (feedback.Role, error) {
	r, err := fbOne(ctx, s, "role", emailHash, func(sc backend.Scanner) (feedback.Role, error) {
		var r feedback.Role
		return r, sc.Scan(&r)
	}, `SELECT role FROM feedback_roles WHERE email_hash = ?`, emailHash)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return r, err
}

// Roles implements store.Feedback.
func (s *FeedbackStore) Roles(ctx context.Context) (map[string]feedback.Role, error) {
	type pair struct {
		h string
		r feedback.Role
	}
	ps, err := fbQuery(ctx, s, "roles", func(sc backend.Scanner) (pair, error) {
		var p pair
		return p, sc.Scan(&p.h, &p.r)
	}, `SELECT email_hash, role FROM feedback_roles`)
	out := map[string]feedback.Role{}
	for _, p := range ps {
		out[p.h] = p.r
	}
	return out, err
}

// AddMessage implements store.Feedback.
func (s *FeedbackStore) AddMessage(ctx context.Context, m feedback.Message) error {
	if err := store.CheckMessage(m); err != nil {
		return err
	}
	return s.write(ctx, "add message", func(tx *sql.Tx) error {
		return fbInsert(ctx, tx, "message "+m.ID, `INSERT INTO feedback_outbox (id, recipient, subject, body, created_us)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, m.ID, m.To, m.Subject, m.Body, fbUS(m.CreatedAt))
	})
}

// Messages implements store.Feedback.
func (s *FeedbackStore) Messages(ctx context.Context, to string) ([]feedback.Message, error) {
	return fbQuery(ctx, s, "messages", func(sc backend.Scanner) (feedback.Message, error) {
		var m feedback.Message
		var at int64
		err := sc.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &at)
		m.CreatedAt = fbTime(at)
		return m, err
	}, `SELECT id, recipient, subject, body, created_us FROM feedback_outbox WHERE (? = '' OR recipient = ?) ORDER BY seq`, to, to)
}

// Audit implements store.Feedback.
func (s *FeedbackStore) Audit(ctx context.Context, limit int) ([]feedback.AuditEntry, error) {
	limit, err := store.AuditLimit(limit)
	if err != nil {
		return nil, err
	}
	return fbQuery(ctx, s, "audit", func(sc backend.Scanner) (feedback.AuditEntry, error) {
		var a feedback.AuditEntry
		var at int64
		err := sc.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Target, &a.Detail)
		a.At = fbTime(at)
		return a, err
	}, `SELECT id, at_us, actor, action, target, detail FROM feedback_audit ORDER BY at_us DESC, seq DESC LIMIT ?`, limit)
}
