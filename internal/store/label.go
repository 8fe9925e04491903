package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelspec/modelspec/internal/label"
)

// Labels keeps the labeling workbench's data: projects, trainers and who
// belongs to which project, comparison tasks and their labels.
// Implementations are safe for concurrent use.
//
// Tasks and labels belong to a project: a task id names a task within its
// project only, so asking one project for another's task is ErrNotFound.
// A trainer gives a task at most one label: PutLabel replaces the
// trainer's earlier label of the task and never touches another
// trainer's, so trainers labeling the same task at once lose nothing.
type Labels interface {
	// CreateProject stores p; an id already stored is ErrExists.
	CreateProject(ctx context.Context, p LabelProject) error
	// Projects lists the projects by id.
	Projects(ctx context.Context) ([]LabelProject, error)
	// PutTrainer creates the trainer or replaces its password hash.
	PutTrainer(ctx context.Context, t Trainer) error
	// GetTrainer returns the trainer, or ErrNotFound.
	GetTrainer(ctx context.Context, name string) (Trainer, error)
	// Trainers lists the trainers by name.
	Trainers(ctx context.Context) ([]Trainer, error)
	// AddMember makes the trainer a member of the project with role
	// (RoleTrainer or RoleLead), replacing an earlier role. An unknown
	// project or trainer is ErrNotFound.
	AddMember(ctx context.Context, project, trainer, role string) error
	// Memberships lists the trainer's projects, by project id.
	Memberships(ctx context.Context, trainer string) ([]Member, error)
	// AddTasks stores tasks in project (each task's Project is set to it),
	// in one transaction: all or none. A task whose id the project already
	// has is skipped (importing a file again is safe); added counts the
	// new ones. An unknown project is ErrNotFound, an invalid task
	// ErrInvalid.
	AddTasks(ctx context.Context, project string, tasks []label.Task) (added int, err error)
	// GetTask returns the project's task, or ErrNotFound.
	GetTask(ctx context.Context, project, id string) (label.Task, error)
	// Tasks returns the project's tasks that match f, by id.
	Tasks(ctx context.Context, f TaskFilter) ([]label.Task, error)
	// NextTask returns the task the trainer should label next in the
	// project: among those the trainer has not labelled, one with the
	// fewest human labels, then the smallest id. ErrNotFound when none is
	// left.
	NextTask(ctx context.Context, project, trainer string) (label.Task, error)
	// PutLabel stores l (l.Project names the project) and replaces the
	// trainer's earlier label of the task. The task must exist in the
	// project (else ErrNotFound) and l must be valid for it (else
	// ErrInvalid).
	PutLabel(ctx context.Context, l label.Label) error
	// Labels returns the labels that match f, by task id then trainer.
	Labels(ctx context.Context, f LabelFilter) ([]label.Label, error)
	// Close releases the store; every later call returns ErrClosed.
	Close() error
}

// Roles of project members.
const (
	RoleTrainer = "trainer" // labels tasks
	RoleLead    = "lead"    // labels tasks, sees progress and disagreements, exports
)

// LabelProject is a labeling project.
type LabelProject struct {
	ID      string
	Name    string
	Created time.Time
}

// Trainer is a person who labels. PasswordHash is a bcrypt hash; the
// password itself is never stored.
type Trainer struct {
	Name         string
	PasswordHash string
	Created      time.Time
}

// Member is a trainer's role in a project.
type Member struct {
	Project string
	Trainer string
	Role    string
}

// TaskFilter selects a project's tasks.
type TaskFilter struct {
	Project string
	// Clause keeps the tasks that list this clause.
	Clause string
	// After continues after the task with this id.
	After string
	// Limit is the page size: 0 means every task.
	Limit int
}

// LabelFilter selects labels. Project is required.
type LabelFilter struct {
	Project string
	TaskID  string
	Trainer string
}

// NormalizeProject validates p and returns it as stored.
func NormalizeProject(p LabelProject) (LabelProject, error) {
	if err := label.ValidID(p.ID); err != nil {
		return p, invalid(fmt.Errorf("project id: %v", err))
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	p.Name = clean(p.Name)
	p.Created = p.Created.UTC().Truncate(TimePrecision)
	return p, nil
}

// NormalizeTrainer validates t and returns it as stored.
func NormalizeTrainer(t Trainer) (Trainer, error) {
	if err := label.ValidID(t.Name); err != nil || strings.HasPrefix(t.Name, "auto:") {
		return t, invalid(fmt.Errorf("trainer name %q: letters, digits and . _ - (not auto:...)", t.Name))
	}
	if t.PasswordHash == "" {
		return t, invalid(fmt.Errorf("trainer %s: no password hash", t.Name))
	}
	t.Created = t.Created.UTC().Truncate(TimePrecision)
	return t, nil
}

// Errors of the label store's arguments; both are ErrInvalid.
var (
	ErrInvalidRole   = invalid(fmt.Errorf("role: want %s or %s", RoleTrainer, RoleLead))
	ErrNegativeLimit = invalid(fmt.Errorf("negative limit"))
)

// ValidRole reports whether role is RoleTrainer or RoleLead.
func ValidRole(role string) bool { return role == RoleTrainer || role == RoleLead }

// NormalizeTask validates t and returns it as stored in project.
func NormalizeTask(project string, t label.Task) (label.Task, error) {
	t.Project = project
	if err := t.Validate(); err != nil {
		return t, invalid(fmt.Errorf("task %q: %w", t.ID, err))
	}
	if t.Clauses == nil {
		t.Clauses = []string{}
	}
	t.Clauses = slices.Clone(t.Clauses)
	slices.Sort(t.Clauses)
	t.Clauses = slices.Compact(t.Clauses)
	return t, nil
}

// NormalizeLabel validates l against its task and returns it as stored:
// time in UTC to the microsecond, clauses sorted without repeats, and no
// nil maps or slices.
func NormalizeLabel(l label.Label, t label.Task) (label.Label, error) {
	if err := l.Validate(t); err != nil {
		return l, invalid(fmt.Errorf("label of %s by %s: %w", l.TaskID, l.Trainer, err))
	}
	l.Time = l.Time.UTC().Truncate(TimePrecision)
	l.Clauses = slices.Clone(l.Clauses)
	if l.Clauses == nil {
		l.Clauses = []string{}
	}
	slices.Sort(l.Clauses)
	l.Clauses = slices.Compact(l.Clauses)
	if l.Ratings == nil {
		l.Ratings = map[string]label.Rating{}
	}
	l.Comment = clean(l.Comment)
	return l, nil
}

// invalidError is ErrInvalid (for errors.Is) with the label store's own
// message: ErrInvalid's text speaks of decision records.
type invalidError struct{ err error }

func invalid(err error) error { return invalidError{err} }

func (e invalidError) Error() string   { return e.err.Error() }
func (e invalidError) Unwrap() []error { return []error{ErrInvalid, e.err} }
