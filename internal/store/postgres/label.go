package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// labelTrack is the labeling workbench's schema (the SQLite backend's, in
// PostgreSQL types: jsonb for whole tasks and labels, timestamptz), with
// its own migrations and advisory lock. Ids are text COLLATE "C" so that
// "by id" is byte order, as in SQLite.
var labelTrack = track{table: "label_migrations", lock: labelLockKey, migrations: []string{
	// 1: projects, trainers, members, tasks, labels.
	`CREATE TABLE label_projects (
	id      text COLLATE "C" PRIMARY KEY,
	name    text NOT NULL,
	created timestamptz NOT NULL
);
CREATE TABLE label_trainers (
	name          text COLLATE "C" PRIMARY KEY,
	password_hash text NOT NULL,
	created       timestamptz NOT NULL
);
CREATE TABLE label_members (
	project text COLLATE "C" NOT NULL REFERENCES label_projects (id),
	trainer text COLLATE "C" NOT NULL REFERENCES label_trainers (name),
	role    text NOT NULL,
	PRIMARY KEY (project, trainer)
);
CREATE INDEX label_members_trainer ON label_members (trainer, project);
CREATE TABLE label_tasks (
	project text COLLATE "C" NOT NULL REFERENCES label_projects (id),
	id      text COLLATE "C" NOT NULL,
	data    jsonb NOT NULL,
	PRIMARY KEY (project, id)
);
CREATE TABLE label_task_clauses (
	project text COLLATE "C" NOT NULL,
	clause  text COLLATE "C" NOT NULL,
	task_id text COLLATE "C" NOT NULL,
	PRIMARY KEY (project, clause, task_id),
	FOREIGN KEY (project, task_id) REFERENCES label_tasks (project, id)
);
CREATE TABLE label_labels (
	project text COLLATE "C" NOT NULL,
	task_id text COLLATE "C" NOT NULL,
	trainer text COLLATE "C" NOT NULL,
	kind    text NOT NULL,
	time    timestamptz NOT NULL,
	data    jsonb NOT NULL,
	PRIMARY KEY (project, task_id, trainer),
	FOREIGN KEY (project, task_id) REFERENCES label_tasks (project, id)
);
CREATE INDEX label_labels_trainer ON label_labels (project, trainer, task_id);`,
}}

// labelLockKey is the advisory lock of the label track: "mslabels" in ASCII.
const labelLockKey = 0x6d736c6162656c73

// LabelSchemaVersion is the label schema version this build migrates to.
func LabelSchemaVersion() int { return len(labelTrack.migrations) }

// LabelStore is a store.Labels in PostgreSQL.
type LabelStore struct{ *conn }

var _ store.Labels = (*LabelStore)(nil)

// OpenLabels connects to the database at dsn and migrates the label schema.
func OpenLabels(ctx context.Context, dsn string) (*LabelStore, error) {
	c, err := openConn(ctx, dsn, labelTrack)
	if err != nil {
		return nil, err
	}
	return &LabelStore{c}, nil
}

// CreateProject implements store.Labels.
func (s *LabelStore) CreateProject(ctx context.Context, p store.LabelProject) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	p, err := store.NormalizeProject(p)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO label_projects (id, name, created) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, p.ID, p.Name, p.Created)
	if err != nil {
		return s.fail(ctx, "create project "+p.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create project %s: %w", p.ID, store.ErrExists)
	}
	return nil
}

// Projects implements store.Labels.
func (s *LabelStore) Projects(ctx context.Context) ([]store.LabelProject, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.conn, []store.LabelProject{}, func(sc backend.Scanner) (store.LabelProject, error) {
		var p store.LabelProject
		err := sc.Scan(&p.ID, &p.Name, &p.Created)
		p.Created = p.Created.UTC()
		return p, err
	}, `SELECT id, name, created FROM label_projects ORDER BY id`)
	if err != nil {
		return nil, s.fail(ctx, "projects", err)
	}
	return out, nil
}

// PutTrainer implements store.Labels.
func (s *LabelStore) PutTrainer(ctx context.Context, t store.Trainer) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	t, err := store.NormalizeTrainer(t)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO label_trainers (name, password_hash, created) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash`, t.Name, t.PasswordHash, t.Created)
	if err != nil {
		return s.fail(ctx, "put trainer "+t.Name, err)
	}
	return nil
}

// GetTrainer implements store.Labels.
func (s *LabelStore) GetTrainer(ctx context.Context, name string) (store.Trainer, error) {
	if err := s.ready(ctx); err != nil {
		return store.Trainer{}, err
	}
	t := store.Trainer{Name: name}
	err := s.pool.QueryRow(ctx, `SELECT password_hash, created FROM label_trainers WHERE name = $1`, pgText(name)).Scan(&t.PasswordHash, &t.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Trainer{}, fmt.Errorf("trainer %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.Trainer{}, s.fail(ctx, "get trainer", err)
	}
	t.Created = t.Created.UTC()
	return t, nil
}

// Trainers implements store.Labels.
func (s *LabelStore) Trainers(ctx context.Context) ([]store.Trainer, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.conn, []store.Trainer{}, func(sc backend.Scanner) (store.Trainer, error) {
		var t store.Trainer
		err := sc.Scan(&t.Name, &t.PasswordHash, &t.Created)
		t.Created = t.Created.UTC()
		return t, err
	}, `SELECT name, password_hash, created FROM label_trainers ORDER BY name`)
	if err != nil {
		return nil, s.fail(ctx, "trainers", err)
	}
	return out, nil
}

// AddMember implements store.Labels.
func (s *LabelStore) AddMember(ctx context.Context, project, trainer, role string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if !store.ValidRole(role) {
		return fmt.Errorf("add member: %w", store.ErrInvalidRole)
	}
	project, trainer = pgText(project), pgText(trainer)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := existsIn(ctx, tx, "project "+project, `SELECT 1 FROM label_projects WHERE id = $1`, project); err != nil {
			return err
		}
		if err := existsIn(ctx, tx, "trainer "+trainer, `SELECT 1 FROM label_trainers WHERE name = $1`, trainer); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO label_members (project, trainer, role) VALUES ($1, $2, $3)
ON CONFLICT (project, trainer) DO UPDATE SET role = excluded.role`, project, trainer, role)
		return err
	})
	if err != nil {
		return s.fail(ctx, "add member", err)
	}
	return nil
}

// Memberships implements store.Labels.
func (s *LabelStore) Memberships(ctx context.Context, trainer string) ([]store.Member, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.conn, []store.Member{}, func(sc backend.Scanner) (store.Member, error) {
		m := store.Member{Trainer: trainer}
		return m, sc.Scan(&m.Project, &m.Role)
	}, `SELECT project, role FROM label_members WHERE trainer = $1 ORDER BY project`, pgText(trainer))
	if err != nil {
		return nil, s.fail(ctx, "memberships", err)
	}
	return out, nil
}

// AddTasks implements store.Labels: one statement inserts the tasks (and
// their clause rows) given as arrays.
func (s *LabelStore) AddTasks(ctx context.Context, project string, tasks []label.Task) (int, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	ids, data := make([]string, len(tasks)), make([]string, len(tasks))
	var cTasks, cClauses []string
	for i, t := range tasks {
		n, err := store.NormalizeTask(project, t)
		if err != nil {
			return 0, err
		}
		b, err := json.Marshal(n)
		if err != nil {
			return 0, fmt.Errorf("add tasks: %w", err)
		}
		ids[i], data[i] = n.ID, string(b)
		for _, c := range n.Clauses {
			cTasks, cClauses = append(cTasks, n.ID), append(cClauses, c)
		}
	}
	added := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := existsIn(ctx, tx, "project "+project, `SELECT 1 FROM label_projects WHERE id = $1`, project); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `WITH t AS (
	INSERT INTO label_tasks (project, id, data)
	SELECT $1, u.id, u.data::jsonb FROM unnest($2::text[], $3::text[]) AS u(id, data)
	ON CONFLICT DO NOTHING
	RETURNING id
), c AS (
	INSERT INTO label_task_clauses (project, clause, task_id)
	SELECT $1, u.clause, u.task_id FROM unnest($4::text[], $5::text[]) AS u(task_id, clause)
	WHERE u.task_id IN (SELECT id FROM t)
	ON CONFLICT DO NOTHING
)
SELECT count(*) FROM t`, project, ids, data, cTasks, cClauses).Scan(&added)
	})
	if err != nil {
		return 0, s.fail(ctx, "add tasks", err)
	}
	return added, nil
}

// scanTask reads a task kept whole as JSON.
var scanTask = backend.JSONColumn[label.Task]("task")

// GetTask implements store.Labels.
func (s *LabelStore) GetTask(ctx context.Context, project, id string) (label.Task, error) {
	if err := s.ready(ctx); err != nil {
		return label.Task{}, err
	}
	t, err := scanTask(s.pool.QueryRow(ctx, `SELECT data FROM label_tasks WHERE project = $1 AND id = $2`, pgText(project), pgText(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return label.Task{}, fmt.Errorf("task %q in project %q: %w", id, project, store.ErrNotFound)
	}
	if err != nil {
		return label.Task{}, s.fail(ctx, "get task", err)
	}
	return t, nil
}

// Tasks implements store.Labels.
func (s *LabelStore) Tasks(ctx context.Context, f store.TaskFilter) ([]label.Task, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if f.Limit < 0 {
		return nil, fmt.Errorf("tasks: %w", store.ErrNegativeLimit)
	}
	a := backend.Args{Dollar: true, Text: pgText}
	q := backend.TasksQuery(f, &a)
	out, err := query(ctx, s.conn, []label.Task{}, scanTask, q, a.List...)
	if err != nil {
		return nil, s.fail(ctx, "tasks", err)
	}
	return out, nil
}

// NextTask implements store.Labels.
func (s *LabelStore) NextTask(ctx context.Context, project, trainer string) (label.Task, error) {
	if err := s.ready(ctx); err != nil {
		return label.Task{}, err
	}
	t, err := scanTask(s.pool.QueryRow(ctx, `SELECT t.data FROM label_tasks t
WHERE t.project = $1 AND NOT EXISTS (
	SELECT 1 FROM label_labels l WHERE l.project = $1 AND l.task_id = t.id AND l.trainer = $2)
ORDER BY (SELECT count(*) FROM label_labels l WHERE l.project = $1 AND l.task_id = t.id AND l.kind = 'human'), t.id
LIMIT 1`, pgText(project), pgText(trainer)))
	if errors.Is(err, pgx.ErrNoRows) {
		return label.Task{}, fmt.Errorf("next task for %s in %s: %w", trainer, project, store.ErrNotFound)
	}
	if err != nil {
		return label.Task{}, s.fail(ctx, "next task", err)
	}
	return t, nil
}

// PutLabel implements store.Labels.
func (s *LabelStore) PutLabel(ctx context.Context, l label.Label) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		t, err := scanTask(tx.QueryRow(ctx, `SELECT data FROM label_tasks WHERE project = $1 AND id = $2`, pgText(l.Project), pgText(l.TaskID)))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("task %q in project %q: %w", l.TaskID, l.Project, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		n, err := store.NormalizeLabel(l, t)
		if err != nil {
			return err
		}
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO label_labels (project, task_id, trainer, kind, time, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
ON CONFLICT (project, task_id, trainer) DO UPDATE SET kind = excluded.kind, time = excluded.time, data = excluded.data`,
			n.Project, n.TaskID, n.Trainer, n.Kind, n.Time, string(b))
		return err
	})
	if err != nil {
		return s.fail(ctx, "put label", err)
	}
	return nil
}

// Labels implements store.Labels.
func (s *LabelStore) Labels(ctx context.Context, f store.LabelFilter) ([]label.Label, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	a := backend.Args{Dollar: true, Text: pgText}
	q := backend.LabelsQuery(f, &a)
	out, err := query(ctx, s.conn, []label.Label{}, backend.JSONColumn[label.Label]("label"), q, a.List...)
	if err != nil {
		return nil, s.fail(ctx, "labels", err)
	}
	return out, nil
}

// pgText makes a lookup key sendable: PostgreSQL's text holds neither
// invalid UTF-8 nor NUL, which no stored id contains either (ids are
// checked by label.ValidID), so the replaced key simply matches nothing.
func pgText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
