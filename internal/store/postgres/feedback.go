package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// feedbackTrack is the feedback store's schema: the SQLite one in
// PostgreSQL types (timestamptz, text[] for lists, bytea for secrets), ids
// COLLATE "C" so that orders match SQLite's byte order.
var feedbackTrack = track{table: "feedback_migrations", lock: feedbackLockKey, migrations: []string{
	`CREATE TABLE feedback_secrets (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);
CREATE TABLE feedback_versions (
	seq          bigserial PRIMARY KEY,
	id           text COLLATE "C" NOT NULL UNIQUE,
	name         text NOT NULL,
	source       text NOT NULL,
	notes        text NOT NULL,
	published_at timestamptz NOT NULL,
	published_by text NOT NULL
);
CREATE TABLE feedback_periods (
	id         text COLLATE "C" PRIMARY KEY,
	version    text COLLATE "C" NOT NULL,
	title      text NOT NULL,
	invitation text NOT NULL,
	start_at   timestamptz NOT NULL,
	end_at     timestamptz NOT NULL,
	clauses    text[] NOT NULL,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE INDEX feedback_periods_version ON feedback_periods (version, start_at);
CREATE TABLE feedback_participants (
	id           text COLLATE "C" PRIMARY KEY,
	email_hash   text NOT NULL UNIQUE,
	email        text NOT NULL,  -- kept until confirmed, then ''
	grp          text NOT NULL,
	confirmed_at timestamptz,
	created_at   timestamptz NOT NULL
);
CREATE TABLE feedback_tokens (
	hash        text PRIMARY KEY,
	participant text NOT NULL,
	expires_at  timestamptz NOT NULL
);
CREATE TABLE feedback_items (
	seq            bigserial PRIMARY KEY,
	id             text COLLATE "C" NOT NULL UNIQUE,
	version        text COLLATE "C" NOT NULL,
	period         text NOT NULL,
	kind           text NOT NULL,
	clause         text NOT NULL,
	participant    text COLLATE "C" NOT NULL,
	alias          text NOT NULL,
	grp            text NOT NULL,
	stance         text NOT NULL,
	understood     text NOT NULL,
	reading        text NOT NULL,
	missing        text NOT NULL,
	comment        text NOT NULL,
	edit           text NOT NULL,
	proposed_kind  text NOT NULL,
	proposed_title text NOT NULL,
	proposed_text  text NOT NULL,
	status         text NOT NULL,
	screened       text NOT NULL,
	masked         text[] NOT NULL,
	flags          text[] NOT NULL,
	created_at     timestamptz NOT NULL
);
CREATE INDEX feedback_items_version ON feedback_items (version, clause, created_at);
CREATE INDEX feedback_items_status ON feedback_items (status, created_at);
CREATE INDEX feedback_items_participant ON feedback_items (participant, status);
CREATE TABLE feedback_statements (
	seq         bigserial PRIMARY KEY,
	id          text COLLATE "C" NOT NULL UNIQUE,
	version     text COLLATE "C" NOT NULL,
	period      text NOT NULL,
	clause      text NOT NULL,
	text        text NOT NULL,
	participant text COLLATE "C" NOT NULL,
	alias       text NOT NULL,
	status      text NOT NULL,
	screened    text NOT NULL,
	masked      text[] NOT NULL,
	flags       text[] NOT NULL,
	created_at  timestamptz NOT NULL
);
CREATE INDEX feedback_statements_version ON feedback_statements (version, created_at);
CREATE INDEX feedback_statements_participant ON feedback_statements (participant, status);
CREATE TABLE feedback_votes (
	statement   text COLLATE "C" NOT NULL,
	participant text COLLATE "C" NOT NULL,
	value       smallint NOT NULL,
	at          timestamptz NOT NULL,
	PRIMARY KEY (statement, participant)
);
CREATE TABLE feedback_changes (
	seq      bigserial PRIMARY KEY,
	id       text COLLATE "C" NOT NULL UNIQUE,
	version  text COLLATE "C" NOT NULL,
	clause   text NOT NULL,
	summary  text NOT NULL,
	response text NOT NULL,
	at       timestamptz NOT NULL,
	by       text NOT NULL
);
CREATE TABLE feedback_change_items (
	change_id text COLLATE "C" NOT NULL,
	item_id   text COLLATE "C" NOT NULL,
	position  integer NOT NULL,
	PRIMARY KEY (change_id, item_id)
);
CREATE INDEX feedback_change_items_item ON feedback_change_items (item_id);
CREATE TABLE feedback_roles (
	email_hash text PRIMARY KEY,
	role       text NOT NULL
);
CREATE TABLE feedback_outbox (
	seq        bigserial PRIMARY KEY,
	id         text NOT NULL UNIQUE,
	recipient  text NOT NULL,
	subject    text NOT NULL,
	body       text NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE INDEX feedback_outbox_recipient ON feedback_outbox (recipient, seq);
CREATE TABLE feedback_audit (
	seq    bigserial PRIMARY KEY,
	id     text NOT NULL UNIQUE,
	at     timestamptz NOT NULL,
	actor  text NOT NULL,
	action text NOT NULL,
	target text NOT NULL,
	detail text NOT NULL
);
CREATE INDEX feedback_audit_time ON feedback_audit (at, seq);`,
}}

// feedbackLockKey is the feedback track's advisory lock: "msfeedbk".
const feedbackLockKey = 0x6d73666565646b62

// FeedbackStore is a store.Feedback in PostgreSQL.
type FeedbackStore struct{ *conn }

var _ store.Feedback = (*FeedbackStore)(nil)

// OpenFeedback connects to the database at dsn and migrates the feedback
// schema (in the first schema of the search_path).
func OpenFeedback(ctx context.Context, dsn string) (*FeedbackStore, error) {
	c, err := openConn(ctx, dsn, feedbackTrack)
	if err != nil {
		return nil, err
	}
	return &FeedbackStore{c}, nil
}

// wrap maps a database error (backend.State.Wrap).
func (s *FeedbackStore) wrap(op string, err error) error {
	return s.state.Wrap("postgres feedback: "+op, err)
}

// write runs fn in one transaction.
func (s *FeedbackStore) write(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return s.wrap(op, s.tx(ctx, fn))
}

// fbT truncates a time to what the store keeps, in UTC.
func fbT(t time.Time) time.Time { return t.UTC().Truncate(store.TimePrecision) }

// fbTP is fbT for a nullable column: the zero time is NULL.
func fbTP(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := fbT(t)
	return &v
}

func fbUTC(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func fbList(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func fbAudit(ctx context.Context, tx pgx.Tx, a feedback.AuditEntry) error {
	if err := store.CheckAudit(a); err != nil {
		return err
	}
	return fbInsert(ctx, tx, "audit entry "+a.ID, `INSERT INTO feedback_audit (id, at, actor, action, target, detail)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`, a.ID, fbT(a.At), a.Actor, a.Action, a.Target, a.Detail)
}

func fbInsert(ctx context.Context, tx pgx.Tx, what, q string, args ...any) error {
	tag, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrExists)
	}
	return nil
}

// fbExists checks that a row with the key is there.
func fbExists(ctx context.Context, tx pgx.Tx, what, q, key string) error {
	return existsIn(ctx, tx, fmt.Sprintf("%s %q", what, key), q, key)
}

// fbQuery runs a read and scans every row.
func fbQuery[T any](ctx context.Context, s *FeedbackStore, op string, scan func(backend.Scanner) (T, error), q string, args ...any) ([]T, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.conn, nil, scan, q, args...)
	return out, s.wrap(op, err)
}

// fbOne reads one row, or ErrNotFound.
func fbOne[T any](ctx context.Context, s *FeedbackStore, what, key string, scan func(backend.Scanner) (T, error), q string, args ...any) (T, error) {
	out, err := fbQuery(ctx, s, what, scan, q, args...)
	var zero T
	if err != nil {
		return zero, err
	}
	if len(out) == 0 {
		return zero, fmt.Errorf("%s %q: %w", what, key, store.ErrNotFound)
	}
	return out[0], nil
}

// Secret implements store.Feedback.
func (s *FeedbackStore) Secret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	var out []byte
	err := s.write(ctx, "secret", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO feedback_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, candidate); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT value FROM feedback_secrets WHERE name = $1`, name).Scan(&out)
	})
	return out, err
}

// PublishVersion implements store.Feedback.
func (s *FeedbackStore) PublishVersion(ctx context.Context, v feedback.Version, a feedback.AuditEntry) error {
	if err := v.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "publish version", func(tx pgx.Tx) error {
		if err := fbInsert(ctx, tx, "version "+v.ID, `INSERT INTO feedback_versions (id, name, source, notes, published_at, published_by)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`, v.ID, v.Name, v.Source, v.Notes, fbT(v.PublishedAt), v.PublishedBy); err != nil {
			return err
		}
		return fbAudit(ctx, tx, a)
	})
}

const fbVersionCols = `id, name, source, notes, published_at, published_by`

func fbScanVersion(sc backend.Scanner) (feedback.Version, error) {
	var v feedback.Version
	err := sc.Scan(&v.ID, &v.Name, &v.Source, &v.Notes, &v.PublishedAt, &v.PublishedBy)
	v.PublishedAt = v.PublishedAt.UTC()
	return v, err
}

// Versions implements store.Feedback.
func (s *FeedbackStore) Versions(ctx context.Context) ([]feedback.Version, error) {
	return fbQuery(ctx, s, "versions", fbScanVersion, `SELECT `+fbVersionCols+` FROM feedback_versions ORDER BY published_at, seq`)
}

// Version implements store.Feedback.
func (s *FeedbackStore) Version(ctx context.Context, id string) (feedback.Version, error) {
	return fbOne(ctx, s, "version", id, fbScanVersion, `SELECT `+fbVersionCols+` FROM feedback_versions WHERE id = $1`, id)
}

// CreatePeriod implements store.Feedback.
func (s *FeedbackStore) CreatePeriod(ctx context.Context, p feedback.Period, a feedback.AuditEntry) error {
	if err := p.Validate(nil); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "create period", func(tx pgx.Tx) error {
		if err := fbExists(ctx, tx, "version", `SELECT 1 FROM feedback_versions WHERE id = $1`, p.Version); err != nil {
			return err
		}
		if err := fbInsert(ctx, tx, "period "+p.ID, `INSERT INTO feedback_periods (id, version, title, invitation, start_at, end_at, clauses, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
			p.ID, p.Version, p.Title, p.Invitation, fbT(p.Start), fbT(p.End), fbList(p.Clauses), p.CreatedBy, fbT(p.CreatedAt)); err != nil {
			return err
		}
		return fbAudit(ctx, tx, a)
	})
}

func fbScanPeriod(sc backend.Scanner) (feedback.Period, error) {
	var p feedback.Period
	var clauses []string
	if err := sc.Scan(&p.ID, &p.Version, &p.Title, &p.Invitation, &p.Start, &p.End, &clauses, &p.CreatedBy, &p.CreatedAt); err != nil {
		return p, err
	}
	p.Start, p.End, p.CreatedAt = p.Start.UTC(), p.End.UTC(), p.CreatedAt.UTC()
	if len(clauses) > 0 {
		p.Clauses = clauses
	}
	return p, nil
}

// Periods implements store.Feedback.
func (s *FeedbackStore) Periods(ctx context.Context, version string) ([]feedback.Period, error) {
	return fbQuery(ctx, s, "periods", fbScanPeriod, `SELECT id, version, title, invitation, start_at, end_at, clauses, created_by, created_at
FROM feedback_periods WHERE ($1 = '' OR version = $1) ORDER BY start_at, id`, version)
}

const fbParticipantCols = `id, email_hash, grp, confirmed_at, created_at`

func fbScanParticipant(sc backend.Scanner) (feedback.Participant, error) {
	var p feedback.Participant
	var conf *time.Time
	err := sc.Scan(&p.ID, &p.EmailHash, &p.Group, &conf, &p.CreatedAt)
	p.Confirmed, p.CreatedAt = fbUTC(conf), p.CreatedAt.UTC()
	return p, err
}

// AddParticipant implements store.Feedback.
func (s *FeedbackStore) AddParticipant(ctx context.Context, p feedback.Participant, email string) (feedback.Participant, bool, error) {
	if err := store.CheckParticipant(p); err != nil {
		return p, false, err
	}
	var out feedback.Participant
	created := false
	err := s.write(ctx, "add participant", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO feedback_participants (id, email_hash, email, grp, confirmed_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, p.ID, p.EmailHash, email, p.Group, fbTP(p.Confirmed), fbT(p.CreatedAt))
		if err != nil {
			return err
		}
		created = tag.RowsAffected() == 1
		out, err = fbScanParticipant(tx.QueryRow(ctx, `SELECT `+fbParticipantCols+` FROM feedback_participants WHERE email_hash = $1`, p.EmailHash))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("participant %s: %w", p.ID, store.ErrExists)
		}
		return err
	})
	return out, created, err
}

// Participant implements store.Feedback.
func (s *FeedbackStore) Participant(ctx context.Context, id string) (feedback.Participant, error) {
	return fbOne(ctx, s, "participant", id, fbScanParticipant, `SELECT `+fbParticipantCols+` FROM feedback_participants WHERE id = $1`, id)
}

// ParticipantByEmail implements store.Feedback.
func (s *FeedbackStore) ParticipantByEmail(ctx context.Context, hash string) (feedback.Participant, error) {
	return fbOne(ctx, s, "participant with email hash", hash, fbScanParticipant, `SELECT `+fbParticipantCols+` FROM feedback_participants WHERE email_hash = $1`, hash)
}

// ConfirmParticipant implements store.Feedback.
func (s *FeedbackStore) ConfirmParticipant(ctx context.Context, id string, at time.Time) (int, error) {
	moved := 0
	err := s.write(ctx, "confirm participant", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE feedback_participants SET confirmed_at = COALESCE(confirmed_at, $1), email = '' WHERE id = $2`, fbT(at), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("participant %q: %w", id, store.ErrNotFound)
		}
		for _, table := range []string{"feedback_items", "feedback_statements"} {
			tag, err := tx.Exec(ctx, `UPDATE `+table+` SET status = CASE WHEN screened = '' THEN 'published' ELSE screened END
WHERE participant = $1 AND status = 'pending'`, id)
			if err != nil {
				return err
			}
			moved += int(tag.RowsAffected())
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
	return s.write(ctx, "add token", func(tx pgx.Tx) error {
		return fbInsert(ctx, tx, "token", `INSERT INTO feedback_tokens (hash, participant, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			t.Hash, t.Participant, fbT(t.Expires))
	})
}

// UseToken implements store.Feedback. An expired token is deleted too.
func (s *FeedbackStore) UseToken(ctx context.Context, hash string, now time.Time) (feedback.Token, error) {
	var t feedback.Token
	err := s.write(ctx, "use token", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `DELETE FROM feedback_tokens WHERE hash = $1 RETURNING participant, expires_at`, hash).Scan(&t.Participant, &t.Expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("token: %w", store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return feedback.Token{}, err
	}
	t.Hash, t.Expires = hash, t.Expires.UTC()
	if !now.Before(t.Expires) {
		return feedback.Token{}, fmt.Errorf("token expired at %s: %w", t.Expires.Format(time.RFC3339), store.ErrNotFound)
	}
	return t, nil
}

const fbItemCols = `id, version, period, kind, clause, participant, alias, grp, stance, understood, reading, missing, comment, edit,
proposed_kind, proposed_title, proposed_text, status, screened, masked, flags, created_at`

func fbScanItem(sc backend.Scanner) (feedback.Item, error) {
	var it feedback.Item
	err := sc.Scan(&it.ID, &it.Version, &it.Period, &it.Kind, &it.Clause, &it.Participant, &it.Alias, &it.Group, &it.Stance,
		&it.Understood, &it.Reading, &it.Missing, &it.Comment, &it.Edit, &it.ProposedKind, &it.ProposedTitle, &it.ProposedText,
		&it.Status, &it.Screened, &it.Masked, &it.Flags, &it.CreatedAt)
	it.CreatedAt, it.Masked, it.Flags = it.CreatedAt.UTC(), fbList(it.Masked), fbList(it.Flags)
	return it, err
}

func fbCheckAuthor(ctx context.Context, tx pgx.Tx, version, participant string) error {
	if err := fbExists(ctx, tx, "version", `SELECT 1 FROM feedback_versions WHERE id = $1`, version); err != nil {
		return err
	}
	return fbExists(ctx, tx, "participant", `SELECT 1 FROM feedback_participants WHERE id = $1`, participant)
}

// AddItem implements store.Feedback.
func (s *FeedbackStore) AddItem(ctx context.Context, it feedback.Item) error {
	if err := it.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "add item", func(tx pgx.Tx) error {
		if err := fbCheckAuthor(ctx, tx, it.Version, it.Participant); err != nil {
			return err
		}
		return fbInsert(ctx, tx, "item "+it.ID, `INSERT INTO feedback_items (`+fbItemCols+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) ON CONFLICT (id) DO NOTHING`,
			it.ID, it.Version, it.Period, it.Kind, it.Clause, it.Participant, it.Alias, it.Group, it.Stance, it.Understood,
			it.Reading, it.Missing, it.Comment, it.Edit, it.ProposedKind, it.ProposedTitle, it.ProposedText,
			it.Status, it.Screened, fbList(it.Masked), fbList(it.Flags), fbT(it.CreatedAt))
	})
}

// Item implements store.Feedback.
func (s *FeedbackStore) Item(ctx context.Context, id string) (feedback.Item, error) {
	return fbOne(ctx, s, "item", id, fbScanItem, `SELECT `+fbItemCols+` FROM feedback_items WHERE id = $1`, id)
}

// fbWhere is the WHERE, ORDER BY and LIMIT of a filter
// (backend.FeedbackWhere), with its arguments.
func fbWhere(f store.FeedbackFilter, items bool) (string, []any) {
	a := backend.Args{Dollar: true}
	w := backend.FeedbackWhere(f, items, "created_at", &a)
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

const fbStatementCols = `id, version, period, clause, text, participant, alias, status, screened, masked, flags, created_at`

func fbScanStatement(sc backend.Scanner) (feedback.Statement, error) {
	var st feedback.Statement
	err := sc.Scan(&st.ID, &st.Version, &st.Period, &st.Clause, &st.Text, &st.Participant, &st.Alias, &st.Status,
		&st.Screened, &st.Masked, &st.Flags, &st.CreatedAt)
	st.CreatedAt, st.Masked, st.Flags = st.CreatedAt.UTC(), fbList(st.Masked), fbList(st.Flags)
	return st, err
}

// AddStatement implements store.Feedback.
func (s *FeedbackStore) AddStatement(ctx context.Context, st feedback.Statement) error {
	if err := st.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "add statement", func(tx pgx.Tx) error {
		if err := fbCheckAuthor(ctx, tx, st.Version, st.Participant); err != nil {
			return err
		}
		return fbInsert(ctx, tx, "statement "+st.ID, `INSERT INTO feedback_statements (`+fbStatementCols+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
			st.ID, st.Version, st.Period, st.Clause, st.Text, st.Participant, st.Alias, st.Status, st.Screened,
			fbList(st.Masked), fbList(st.Flags), fbT(st.CreatedAt))
	})
}

// Statement implements store.Feedback.
func (s *FeedbackStore) Statement(ctx context.Context, id string) (feedback.Statement, error) {
	return fbOne(ctx, s, "statement", id, fbScanStatement, `SELECT `+fbStatementCols+` FROM feedback_statements WHERE id = $1`, id)
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
	return s.write(ctx, "moderate", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE `+table+` SET status = $1 WHERE id = $2`, to, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
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
	return s.write(ctx, "vote", func(tx pgx.Tx) error {
		if err := fbExists(ctx, tx, "statement", `SELECT 1 FROM feedback_statements WHERE id = $1`, v.Statement); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO feedback_votes (statement, participant, value, at) VALUES ($1, $2, $3, $4)
ON CONFLICT (statement, participant) DO UPDATE SET value = excluded.value, at = excluded.at`, v.Statement, v.Participant, v.Value, fbT(v.At))
		return err
	})
}

// Votes implements store.Feedback.
func (s *FeedbackStore) Votes(ctx context.Context, version string) ([]feedback.Vote, error) {
	return fbQuery(ctx, s, "votes", func(sc backend.Scanner) (feedback.Vote, error) {
		var v feedback.Vote
		var value int16
		err := sc.Scan(&v.Statement, &v.Participant, &value, &v.At)
		v.Value, v.At = int(value), v.At.UTC()
		return v, err
	}, `SELECT v.statement, v.participant, v.value, v.at FROM feedback_votes v JOIN feedback_statements s ON s.id = v.statement
WHERE ($1 = '' OR s.version = $1) ORDER BY v.statement, v.participant`, version)
}

// AddChange implements store.Feedback.
func (s *FeedbackStore) AddChange(ctx context.Context, c feedback.Change, a feedback.AuditEntry) error {
	if err := c.Validate(); err != nil {
		return store.InvalidFeedback(err)
	}
	return s.write(ctx, "add change", func(tx pgx.Tx) error {
		if err := fbExists(ctx, tx, "version", `SELECT 1 FROM feedback_versions WHERE id = $1`, c.Version); err != nil {
			return err
		}
		if err := fbInsert(ctx, tx, "change "+c.ID, `INSERT INTO feedback_changes (id, version, clause, summary, response, at, by)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, c.ID, c.Version, c.Clause, c.Summary, c.Response, fbT(c.At), c.By); err != nil {
			return err
		}
		for i, item := range c.Items {
			if err := fbExists(ctx, tx, "item", `SELECT 1 FROM feedback_items WHERE id = $1`, item); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO feedback_change_items (change_id, item_id, position) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING`, c.ID, item, i); err != nil {
				return err
			}
		}
		return fbAudit(ctx, tx, a)
	})
}

// Changes implements store.Feedback.
func (s *FeedbackStore) Changes(ctx context.Context, version, item string) ([]feedback.Change, error) {
	return fbQuery(ctx, s, "changes", func(sc backend.Scanner) (feedback.Change, error) {
		var c feedback.Change
		err := sc.Scan(&c.ID, &c.Version, &c.Clause, &c.Summary, &c.Response, &c.At, &c.By, &c.Items)
		c.At, c.Items = c.At.UTC(), fbList(c.Items)
		return c, err
	}, `SELECT c.id, c.version, c.clause, c.summary, c.response, c.at, c.by,
	COALESCE((SELECT array_agg(item_id::text ORDER BY position) FROM feedback_change_items WHERE change_id = c.id), '{}')
FROM feedback_changes c
WHERE ($1 = '' OR c.version = $1) AND ($2 = '' OR EXISTS (SELECT 1 FROM feedback_change_items i WHERE i.change_id = c.id AND i.item_id = $2))
ORDER BY c.at, c.seq`, version, item)
}

// SetRole implements store.Feedback.
func (s *FeedbackStore) SetRole(ctx context.Context, emailHash string, role feedback.Role, a feedback.AuditEntry) error {
	if err := store.CheckRole(emailHash, role); err != nil {
		return err
	}
	return s.write(ctx, "set role", func(tx pgx.Tx) error {
		var err error
		if role == "" {
			_, err = tx.Exec(ctx, `DELETE FROM feedback_roles WHERE email_hash = $1`, emailHash)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO feedback_roles (email_hash, role) VALUES ($1, $2)
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
	}, `SELECT role FROM feedback_roles WHERE email_hash = $1`, emailHash)
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
	return s.write(ctx, "add message", func(tx pgx.Tx) error {
		return fbInsert(ctx, tx, "message "+m.ID, `INSERT INTO feedback_outbox (id, recipient, subject, body, created_at)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`, m.ID, m.To, m.Subject, m.Body, fbT(m.CreatedAt))
	})
}

// Messages implements store.Feedback.
func (s *FeedbackStore) Messages(ctx context.Context, to string) ([]feedback.Message, error) {
	return fbQuery(ctx, s, "messages", func(sc backend.Scanner) (feedback.Message, error) {
		var m feedback.Message
		err := sc.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.CreatedAt)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	}, `SELECT id, recipient, subject, body, created_at FROM feedback_outbox WHERE ($1 = '' OR recipient = $1) ORDER BY seq`, to)
}

// Audit implements store.Feedback.
func (s *FeedbackStore) Audit(ctx context.Context, limit int) ([]feedback.AuditEntry, error) {
	limit, err := store.AuditLimit(limit)
	if err != nil {
		return nil, err
	}
	return fbQuery(ctx, s, "audit", func(sc backend.Scanner) (feedback.AuditEntry, error) {
		var a feedback.AuditEntry
		err := sc.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Target, &a.Detail)
		a.At = a.At.UTC()
		return a, err
	}, `SELECT id, at, actor, action, target, detail FROM feedback_audit ORDER BY at DESC, seq DESC LIMIT $1`, limit)
}
