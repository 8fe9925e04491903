package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/store"
)

// RunLabels checks the Labels contract. open must return a new, empty
// store for each call and close it when the test ends (Close twice is
// allowed).
func RunLabels(t *testing.T, open func(t *testing.T) store.Labels) {
	runChecks(t, open, false, []check[store.Labels]{
		{"RoundTrip", testLabelsRoundTrip},
		{"Exists", testLabelsExists},
		{"Invalid", testLabelsInvalid},
		{"NotFound", testLabelsNotFound},
		{"ProjectIsolation", testLabelsIsolation},
		{"NextTask", testLabelsNext},
		{"Replace", testLabelsReplace},
		{"Concurrent", testLabelsConcurrent},
		{"Filter", testLabelsFilter},
		{"Closed", testLabelsClosed},
	})
}

var labelT0 = time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("CET", 3600))

func labelTask(id string, clauses ...string) label.Task {
	return label.Task{ID: id, SpecVersion: "2026-01-01", Expect: "refuse", Source: "test",
		Messages: []label.Message{{Role: "developer", Content: "You help with email."}, {Role: "user", Content: "Question " + id + " «é» <b>"},
			{Role: "tool", Name: "read_email", Content: "data"}},
		Responses: []label.Response{{ID: "a", Content: "Answer A to " + id, Model: "m1"}, {ID: "b", Content: "Answer B", Model: "m2"}, {ID: "c", Content: "Answer C"}},
		Clauses:   clauses, Meta: map[string]string{"k": "v"}}
}

func labelOf(project, task, trainer, choice string) label.Label {
	return label.Label{Project: project, TaskID: task, Trainer: trainer, Kind: label.Human, Choice: choice,
		Ratings: map[string]label.Rating{"a": label.Ideal, "b": label.Unacceptable, "c": label.Disallowed},
		Clauses: []string{"protect_privacy", "follow_chain_of_command", "protect_privacy"}, Comment: "because «b» & <i>", Time: labelT0}
}

// setupLabels makes project p1 (and p2), trainers ann and bob, members of p1.
func setupLabels(t *testing.T, s store.Labels) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []string{"p1", "p2"} {
		if err := s.CreateProject(ctx, store.LabelProject{ID: p, Name: "Project " + p, Created: labelT0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"ann", "bob"} {
		if err := s.PutTrainer(ctx, store.Trainer{Name: n, PasswordHash: "$2a$10$hash-of-" + n, Created: labelT0}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddMember(ctx, "p1", n, store.RoleTrainer); err != nil {
			t.Fatal(err)
		}
	}
}

func mustNormTask(t *testing.T, project string, tk label.Task) label.Task {
	t.Helper()
	n, err := store.NormalizeTask(project, tk)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testLabelsRoundTrip(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	ps, err := s.Projects(ctx)
	if err != nil || len(ps) != 2 || ps[0].ID != "p1" || ps[0].Name != "Project p1" || !ps[0].Created.Equal(labelT0.Truncate(store.TimePrecision)) || ps[0].Created.Location() != time.UTC {
		t.Fatalf("projects = %+v, %v", ps, err)
	}
	tr, err := s.GetTrainer(ctx, "ann")
	if err != nil || tr.PasswordHash != "$2a$10$hash-of-ann" {
		t.Fatalf("trainer = %+v, %v", tr, err)
	}
	if err := s.AddMember(ctx, "p2", "ann", store.RoleLead); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Memberships(ctx, "ann")
	if want := []store.Member{{Project: "p1", Trainer: "ann", Role: store.RoleTrainer}, {Project: "p2", Trainer: "ann", Role: store.RoleLead}}; err != nil || !reflect.DeepEqual(ms, want) {
		t.Fatalf("memberships = %+v, %v", ms, err)
	}
	tasks := []label.Task{labelTask("t2", "protect_privacy", "follow_chain_of_command"), labelTask("t1")}
	n, err := s.AddTasks(ctx, "p1", tasks)
	if err != nil || n != 2 {
		t.Fatalf("add tasks = %d, %v", n, err)
	}
	got, err := s.GetTask(ctx, "p1", "t2")
	if want := mustNormTask(t, "p1", labelTask("t2", "protect_privacy", "follow_chain_of_command")); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("get task = %+v, %v\nwant %+v", got, err, want)
	}
	if got.Clauses[0] != "follow_chain_of_command" {
		t.Errorf("clauses not sorted: %v", got.Clauses)
	}
	all, err := s.Tasks(ctx, store.TaskFilter{Project: "p1"})
	if err != nil || len(all) != 2 || all[0].ID != "t1" || all[1].ID != "t2" {
		t.Fatalf("tasks = %+v, %v", all, err)
	}
	l := labelOf("p1", "t2", "ann", "a")
	if err := s.PutLabel(ctx, l); err != nil {
		t.Fatal(err)
	}
	auto := label.Label{Project: "p1", TaskID: "t2", Trainer: "auto:grade.case", Kind: label.Auto, Ratings: map[string]label.Rating{"b": label.Disallowed},
		Reasons: map[string]string{"b": "complied"}, Time: labelT0}
	if err := s.PutLabel(ctx, auto); err != nil {
		t.Fatal(err)
	}
	ls, err := s.Labels(ctx, store.LabelFilter{Project: "p1"})
	if err != nil || len(ls) != 2 {
		t.Fatalf("labels = %+v, %v", ls, err)
	}
	want, _ := store.NormalizeLabel(l, got)
	if !reflect.DeepEqual(ls[0], want) {
		t.Errorf("label = %+v\nwant %+v", ls[0], want)
	}
	if !reflect.DeepEqual(ls[0].Clauses, []string{"follow_chain_of_command", "protect_privacy"}) || ls[0].Time.Location() != time.UTC {
		t.Errorf("label not normalized: %+v", ls[0])
	}
	if ls[1].Trainer != "auto:grade.case" || ls[1].Reasons["b"] != "complied" || ls[1].Clauses == nil {
		t.Errorf("auto label = %+v", ls[1])
	}
	// Changing a password keeps the trainer.
	if err := s.PutTrainer(ctx, store.Trainer{Name: "ann", PasswordHash: "$2a$10$new", Created: labelT0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.GetTrainer(ctx, "ann"); tr.PasswordHash != "$2a$10$new" || !tr.Created.Equal(labelT0.Truncate(store.TimePrecision)) {
		t.Errorf("after a new password: %+v", tr)
	}
	trs, err := s.Trainers(ctx)
	if err != nil || len(trs) != 2 || trs[0].Name != "ann" {
		t.Errorf("trainers = %+v, %v", trs, err)
	}
}

func testLabelsExists(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	if err := s.CreateProject(ctx, store.LabelProject{ID: "p1"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("project again: %v, want ErrExists", err)
	}
	if n, err := s.AddTasks(ctx, "p1", []label.Task{labelTask("t1")}); n != 1 || err != nil {
		t.Fatalf("add = %d, %v", n, err)
	}
	// Importing again adds nothing and keeps the first version.
	changed := labelTask("t1")
	changed.Responses[0].Content = "changed"
	if n, err := s.AddTasks(ctx, "p1", []label.Task{changed, labelTask("t3")}); n != 1 || err != nil {
		t.Fatalf("add again = %d, %v; want 1 (t3 only)", n, err)
	}
	if got, _ := s.GetTask(ctx, "p1", "t1"); got.Responses[0].Content == "changed" {
		t.Error("a second import replaced the task")
	}
}

func testLabelsInvalid(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	bad := labelTask("t9")
	bad.Responses = bad.Responses[:1]
	for name, err := range map[string]error{
		"project id":   s.CreateProject(ctx, store.LabelProject{ID: "has space"}),
		"trainer name": s.PutTrainer(ctx, store.Trainer{Name: "auto:x", PasswordHash: "h"}),
		"no hash":      s.PutTrainer(ctx, store.Trainer{Name: "cy"}),
		"role":         s.AddMember(ctx, "p1", "ann", "owner"),
		"task":         func() error { _, err := s.AddTasks(ctx, "p1", []label.Task{labelTask("t1"), bad}); return err }(),
	} {
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// All or none: t1 came before the bad task and is not stored.
	if _, err := s.GetTask(ctx, "p1", "t1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a failed AddTasks stored a task: %v", err)
	}
	s.AddTasks(ctx, "p1", []label.Task{labelTask("t1")})
	l := labelOf("p1", "t1", "ann", "a")
	delete(l.Ratings, "c")
	if err := s.PutLabel(ctx, l); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("label without every rating: %v, want ErrInvalid", err)
	}
	l = labelOf("p1", "t1", "ann", "z")
	if err := s.PutLabel(ctx, l); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("label choosing an unknown response: %v, want ErrInvalid", err)
	}
	if _, err := s.Tasks(ctx, store.TaskFilter{Project: "p1", Limit: -1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("negative limit: %v", err)
	}
}

func testLabelsNotFound(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	if _, err := s.GetTrainer(ctx, "zed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown trainer: %v", err)
	}
	if err := s.AddMember(ctx, "nope", "ann", store.RoleLead); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown project: %v", err)
	}
	if err := s.AddMember(ctx, "p1", "zed", store.RoleLead); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown member: %v", err)
	}
	if _, err := s.AddTasks(ctx, "nope", []label.Task{labelTask("t1")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("tasks in an unknown project: %v", err)
	}
	if _, err := s.GetTask(ctx, "p1", "t1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown task: %v", err)
	}
	if err := s.PutLabel(ctx, labelOf("p1", "t1", "ann", "a")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("label of an unknown task: %v", err)
	}
	if _, err := s.NextTask(ctx, "p1", "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("next task of an empty project: %v", err)
	}
}

// A task id names a task within its project: the same id in two projects
// is two tasks, and nothing of one is reachable through the other.
func testLabelsIsolation(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	secret := labelTask("t1", "protect_privacy")
	secret.Responses[0].Content = "p2's secret"
	if _, err := s.AddTasks(ctx, "p2", []label.Task{secret, labelTask("only-p2", "protect_privacy")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddTasks(ctx, "p1", []label.Task{labelTask("t1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTask(ctx, "p1", "only-p2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("p1 sees p2's task: %v", err)
	}
	if got, _ := s.GetTask(ctx, "p1", "t1"); got.Responses[0].Content == "p2's secret" || got.Project != "p1" {
		t.Errorf("p1's t1 = %+v", got)
	}
	if err := s.PutLabel(ctx, labelOf("p1", "only-p2", "ann", "a")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("label on another project's task: %v", err)
	}
	if err := s.PutLabel(ctx, labelOf("p2", "t1", "bob", "b")); err != nil {
		t.Fatal(err)
	}
	if ls, _ := s.Labels(ctx, store.LabelFilter{Project: "p1"}); len(ls) != 0 {
		t.Errorf("p1 sees p2's labels: %+v", ls)
	}
	if ts, _ := s.Tasks(ctx, store.TaskFilter{Project: "p1", Clause: "protect_privacy"}); len(ts) != 0 {
		t.Errorf("p1's clause filter returns p2's tasks: %+v", ts)
	}
	if tk, err := s.NextTask(ctx, "p1", "bob"); err != nil || tk.Project != "p1" || tk.ID != "t1" {
		t.Errorf("next for bob in p1 = %+v, %v", tk, err)
	}
}

func testLabelsNext(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	s.AddTasks(ctx, "p1", []label.Task{labelTask("t3"), labelTask("t1"), labelTask("t2")})
	next := func(who string) string {
		tk, err := s.NextTask(ctx, "p1", who)
		if errors.Is(err, store.ErrNotFound) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return tk.ID
	}
	if got := next("ann"); got != "t1" {
		t.Fatalf("first = %s, want t1", got)
	}
	// An auto label does not count as a human one.
	auto := label.Label{Project: "p1", TaskID: "t2", Trainer: "auto:g", Kind: label.Auto, Time: labelT0}
	if err := s.PutLabel(ctx, auto); err != nil {
		t.Fatal(err)
	}
	s.PutLabel(ctx, labelOf("p1", "t1", "bob", "a"))
	// ann: t1 has a human label, t2 and t3 none: t2 first.
	if got := next("ann"); got != "t2" {
		t.Errorf("ann next = %s, want t2 (fewest human labels, then id)", got)
	}
	// bob labelled t1: never offered again.
	if got := next("bob"); got != "t2" {
		t.Errorf("bob next = %s, want t2", got)
	}
	for _, id := range []string{"t2", "t3"} {
		s.PutLabel(ctx, labelOf("p1", id, "bob", "c"))
	}
	if got := next("bob"); got != "" {
		t.Errorf("bob, all done: next = %s", got)
	}
}

func testLabelsReplace(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	s.AddTasks(ctx, "p1", []label.Task{labelTask("t1")})
	s.PutLabel(ctx, labelOf("p1", "t1", "ann", "a"))
	l := labelOf("p1", "t1", "ann", "")
	l.Ranking = []string{"c", "b", "a"}
	l.Time = labelT0.Add(time.Minute)
	if err := s.PutLabel(ctx, l); err != nil {
		t.Fatal(err)
	}
	ls, _ := s.Labels(ctx, store.LabelFilter{Project: "p1", TaskID: "t1"})
	if len(ls) != 1 || ls[0].Best() != "c" || ls[0].Choice != "" {
		t.Errorf("after relabelling: %+v", ls)
	}
}

// Trainers labeling one task at once each keep their label.
func testLabelsConcurrent(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	s.AddTasks(ctx, "p1", []label.Task{labelTask("t1")})
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n*3)
	for i := range n {
		name := fmt.Sprintf("trainer-%02d", i)
		if err := s.PutTrainer(ctx, store.Trainer{Name: name, PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for j, choice := range []string{"a", "b", "c"} { // each trainer changes their mind twice
				l := labelOf("p1", "t1", name, choice)
				l.Time = labelT0.Add(time.Duration(j) * time.Second)
				errs <- s.PutLabel(ctx, l)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ls, err := s.Labels(ctx, store.LabelFilter{Project: "p1", TaskID: "t1"})
	if err != nil || len(ls) != n {
		t.Fatalf("%d labels, %v; want %d", len(ls), err, n)
	}
	for i, l := range ls {
		if want := fmt.Sprintf("trainer-%02d", i); l.Trainer != want || l.Choice != "c" {
			t.Errorf("label %d = %s chose %s, want %s chose c (the last)", i, l.Trainer, l.Choice, want)
		}
	}
}

func testLabelsFilter(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	var ts []label.Task
	for i := range 10 {
		var cs []string
		if i%3 == 0 {
			cs = []string{"protect_privacy"}
		}
		ts = append(ts, labelTask(fmt.Sprintf("t%02d", i), cs...))
	}
	s.AddTasks(ctx, "p1", ts)
	ids := func(f store.TaskFilter) []string {
		f.Project = "p1"
		got, err := s.Tasks(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, tk := range got {
			out = append(out, tk.ID)
		}
		return out
	}
	if got := ids(store.TaskFilter{Clause: "protect_privacy"}); !reflect.DeepEqual(got, []string{"t00", "t03", "t06", "t09"}) {
		t.Errorf("by clause = %v", got)
	}
	if got := ids(store.TaskFilter{Clause: "protect_privacy", After: "t03", Limit: 1}); !reflect.DeepEqual(got, []string{"t06"}) {
		t.Errorf("by clause, page 2 = %v", got)
	}
	if got := ids(store.TaskFilter{After: "t07"}); !reflect.DeepEqual(got, []string{"t08", "t09"}) {
		t.Errorf("after t07 = %v", got)
	}
	s.PutLabel(ctx, labelOf("p1", "t01", "ann", "a"))
	s.PutLabel(ctx, labelOf("p1", "t01", "bob", "a"))
	s.PutLabel(ctx, labelOf("p1", "t02", "bob", "a"))
	if ls, _ := s.Labels(ctx, store.LabelFilter{Project: "p1", Trainer: "bob"}); len(ls) != 2 || ls[0].TaskID != "t01" || ls[1].TaskID != "t02" {
		t.Errorf("bob's labels = %+v", ls)
	}
}

func testLabelsClosed(t *testing.T, s store.Labels) {
	ctx := context.Background()
	setupLabels(t, s)
	closeTwice(t, s)
	calls := map[string]error{"CreateProject": s.CreateProject(ctx, store.LabelProject{ID: "p3"}), "PutLabel": s.PutLabel(ctx, labelOf("p1", "t1", "ann", "a"))}
	_, calls["GetTask"] = s.GetTask(ctx, "p1", "t1")
	_, calls["Projects"] = s.Projects(ctx)
	expect(t, store.ErrClosed, calls)
}
