package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/backend"
)

// labelTrack is the labeling workbench's schema: projects, trainers,
// memberships, tasks (with a clause index) and labels, with its own
// migrations beside the decision log's and the eval store's.
//
// Tasks and labels are kept whole as JSON (always read whole; never
// filtered on inside), keyed by project so that one project's ids never
// reach another's; a label's key is (project, task, trainer), which is
// what makes concurrent labels of one task by different trainers
// independent rows.
var labelTrack = track{table: "label_migrations", migrations: []string{
	// 1: projects, trainers, members, tasks, labels.
	`CREATE TABLE label_projects (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_us INTEGER NOT NULL
) STRICT;
CREATE TABLE label_trainers (
	name          TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL,
	created_us    INTEGER NOT NULL
) STRICT;
CREATE TABLE label_members (
	project TEXT NOT NULL,
	trainer TEXT NOT NULL,
	role    TEXT NOT NULL,
	PRIMARY KEY (project, trainer)
) STRICT, WITHOUT ROWID;
CREATE INDEX label_members_trainer ON label_members (trainer, project);
CREATE TABLE label_tasks (
	project TEXT NOT NULL,
	id      TEXT NOT NULL,
	data    TEXT NOT NULL,  -- JSON label.Task
	PRIMARY KEY (project, id)
) STRICT, WITHOUT ROWID;
CREATE TABLE label_task_clauses (
	project TEXT NOT NULL,
	clause  TEXT NOT NULL,
	task_id TEXT NOT NULL,
	PRIMARY KEY (project, clause, task_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE label_labels (
	project TEXT NOT NULL,
	task_id TEXT NOT NULL,
	trainer TEXT NOT NULL,
	kind    TEXT NOT NULL,
	time_us INTEGER NOT NULL,
	data    TEXT NOT NULL,  -- JSON label.Label
	PRIMARY KEY (project, task_id, trainer)
) STRICT, WITHOUT ROWID;
CREATE INDEX label_labels_trainer ON label_labels (project, trainer, task_id);`,
}}

// LabelSchemaVersion is the label schema version this build migrates to.
func LabelSchemaVersion() int { return len(labelTrack.migrations) }

// LabelStore is a store.Labels in one SQLite file (which may also hold the
// decision log and the eval results). Writes go through one connection,
// each call one transaction.
type LabelStore struct{ *conn }

var _ store.Labels = (*LabelStore)(nil)

// OpenLabels opens (creating if needed) the label store at path and
// migrates it. Synchronous defaults to Full: a label is a person's work.
func OpenLabels(ctx context.Context, path string, opts Options) (*LabelStore, error) {
	c, err := openConn(ctx, path, opts, Full, labelTrack)
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
	res, err := s.w.ExecContext(ctx, `INSERT INTO label_projects (id, name, created_us) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		p.ID, p.Name, p.Created.UnixMicro())
	if err != nil {
		return s.fail(ctx, "create project "+p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("create project %s: %w", p.ID, store.ErrExists)
	}
	return nil
}

// Projects implements store.Labels.
func (s *LabelStore) Projects(ctx context.Context) ([]store.LabelProject, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.r, []store.LabelProject{}, func(sc backend.Scanner) (store.LabelProject, error) {
		var p store.LabelProject
		var us int64
		err := sc.Scan(&p.ID, &p.Name, &us)
		p.Created = time.UnixMicro(us).UTC()
		return p, err
	}, `SELECT id, name, created_us FROM label_projects ORDER BY id`)
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
	_, err = s.w.ExecContext(ctx, `INSERT INTO label_trainers (name, password_hash, created_us) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash`, t.Name, t.PasswordHash, t.Created.UnixMicro())
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
	var us int64
	err := s.r.QueryRowContext(ctx, `SELECT password_hash, created_us FROM label_trainers WHERE name = ?`, name).Scan(&t.PasswordHash, &us)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Trainer{}, fmt.Errorf("trainer %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.Trainer{}, s.fail(ctx, "get trainer", err)
	}
	t.Created = time.UnixMicro(us).UTC()
	return t, nil
}

// Trainers implements store.Labels.
func (s *LabelStore) Trainers(ctx context.Context) ([]store.Trainer, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.r, []store.Trainer{}, func(sc backend.Scanner) (store.Trainer, error) {
		var t store.Trainer
		var us int64
		err := sc.Scan(&t.Name, &t.PasswordHash, &us)
		t.Created = time.UnixMicro(us).UTC()
		return t, err
	}, `SELECT name, password_hash, created_us FROM label_trainers ORDER BY name`)
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := existsIn(ctx, tx, "project "+project, `SELECT 1 FROM label_projects WHERE id = ?`, project); err != nil {
			return err
		}
		if err := existsIn(ctx, tx, "trainer "+trainer, `SELECT 1 FROM label_trainers WHERE name = ?`, trainer); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO label_members (project, trainer, role) VALUES (?, ?, ?)
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
	out, err := query(ctx, s.r, []store.Member{}, func(sc backend.Scanner) (store.Member, error) {
		m := store.Member{Trainer: trainer}
		return m, sc.Scan(&m.Project, &m.Role)
	}, `SELECT project, role FROM label_members WHERE trainer = ? ORDER BY project`, trainer)
	if err != nil {
		return nil, s.fail(ctx, "memberships", err)
	}
	return out, nil
}

// AddTasks implements store.Labels.
func (s *LabelStore) AddTasks(ctx context.Context, project string, tasks []label.Task) (int, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	data := make([][]byte, len(tasks))
	for i, t := range tasks {
		n, err := store.NormalizeTask(project, t)
		if err != nil {
			return 0, err
		}
		tasks[i] = n
		if data[i], err = json.Marshal(n); err != nil {
			return 0, fmt.Errorf("add tasks: %w", err)
		}
	}
	added := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := existsIn(ctx, tx, "project "+project, `SELECT 1 FROM label_projects WHERE id = ?`, project); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO label_tasks (project, id, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		insC, err := tx.PrepareContext(ctx, `INSERT INTO label_task_clauses (project, clause, task_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		for i, t := range tasks {
			res, err := ins.ExecContext(ctx, project, t.ID, string(data[i]))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // already there: the first import is kept
			}
			added++
			for _, c := range t.Clauses {
				if _, err := insC.ExecContext(ctx, project, c, t.ID); err != nil {
					return err
				}
			}
		}
		return nil
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
	t, err := scanTask(s.r.QueryRowContext(ctx, `SELECT data FROM label_tasks WHERE project = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	a := backend.Args{}
	q := backend.TasksQuery(f, &a)
	out, err := query(ctx, s.r, []label.Task{}, scanTask, q, a.List...)
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
	t, err := scanTask(s.r.QueryRowContext(ctx, `SELECT t.data FROM label_tasks t
WHERE t.project = ?1 AND NOT EXISTS (
	SELECT 1 FROM label_labels l WHERE l.project = ?1 AND l.task_id = t.id AND l.trainer = ?2)
ORDER BY (SELECT count(*) FROM label_labels l WHERE l.project = ?1 AND l.task_id = t.id AND l.kind = 'human'), t.id
LIMIT 1`, project, trainer))
	if errors.Is(err, sql.ErrNoRows) {
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := scanTask(tx.QueryRowContext(ctx, `SELECT data FROM label_tasks WHERE project = ? AND id = ?`, l.Project, l.TaskID))
		if errors.Is(err, sql.ErrNoRows) {
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
		_, err = tx.ExecContext(ctx, `INSERT INTO label_labels (project, task_id, trainer, kind, time_us, data) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (project, task_id, trainer) DO UPDATE SET kind = excluded.kind, time_us = excluded.time_us, data = excluded.data`,
			n.Project, n.TaskID, n.Trainer, n.Kind, n.Time.UnixMicro(), string(b))
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
	a := backend.Args{}
	q := backend.LabelsQuery(f, &a)
	out, err := query(ctx, s.r, []label.Label{}, backend.JSONColumn[label.Label]("label"), q, a.List...)
	if err != nil {
		return nil, s.fail(ctx, "labels", err)
	}
	return out, nil
}
