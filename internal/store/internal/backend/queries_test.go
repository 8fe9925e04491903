package backend

import (
	"reflect"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
)

// TestPlaceholders: both styles number the same arguments in the same
// order, so one query text serves both backends.
func TestPlaceholders(t *testing.T) {
	q := store.Query{Clause: "protect_privacy", App: "acme", HasSince: true, SinceMicros: 10, Order: store.Oldest,
		After: &store.Position{Micros: 20, ID: "d9"}, Limit: 50}
	micros := func(us int64) any { return us }
	var qm Args
	text := DecisionQuery(q, "id, time_us", "time_us", micros, &qm)
	want := "SELECT d.id, d.time_us FROM decision_clauses c JOIN decisions d ON d.id = c.decision_id" +
		" WHERE c.clause = ? AND d.app = ? AND c.time_us >= ? AND (c.time_us, c.decision_id) > (?, ?)" +
		" ORDER BY c.time_us ASC, c.decision_id ASC LIMIT ?"
	if text != want {
		t.Errorf("SQLite text\n got %s\nwant %s", text, want)
	}
	if wantArgs := []any{"protect_privacy", "acme", int64(10), int64(20), "d9", 50}; !reflect.DeepEqual(qm.List, wantArgs) {
		t.Errorf("SQLite args %v, want %v", qm.List, wantArgs)
	}
	dollar := Args{Dollar: true}
	text = DecisionQuery(q, "id, time", "time", micros, &dollar)
	if !strings.Contains(text, "WHERE c.clause = $1 AND d.app = $2 AND c.time >= $3 AND (c.time, c.decision_id) > ($4, $5)") ||
		!strings.HasSuffix(text, "LIMIT $6") || !reflect.DeepEqual(dollar.List, qm.List) {
		t.Errorf("PostgreSQL query %s %v", text, dollar.List)
	}
	if text := DecisionQuery(store.Query{Limit: 5}, "id", "time_us", micros, &Args{}); text != "SELECT d.id FROM decisions d ORDER BY d.time_us DESC, d.id DESC LIMIT ?" {
		t.Errorf("no filter: %s", text)
	}
}

func TestIn(t *testing.T) {
	var q Args
	if got := q.In("status", []string{"held", "published"}); got != "status IN (?, ?)" || len(q.List) != 2 {
		t.Errorf("SQLite In = %s %v", got, q.List)
	}
	d := Args{Dollar: true}
	d.Add("v1")
	if got := d.In("status", []string{"held", "published"}); got != "status = ANY($2)" || !reflect.DeepEqual(d.List[1], []string{"held", "published"}) {
		t.Errorf("PostgreSQL In = %s %v", got, d.List)
	}
}

func TestFeedbackWhere(t *testing.T) {
	f := store.FeedbackFilter{Version: "v1", Kind: feedback.OnClause, Status: []feedback.Status{feedback.Published}, Limit: 3}
	var a Args
	if got := FeedbackWhere(f, true, "created_us", &a); got != " WHERE version = ? AND kind = ? AND status IN (?) ORDER BY created_us, seq LIMIT 3" ||
		!reflect.DeepEqual(a.List, []any{"v1", string(feedback.OnClause), "published"}) {
		t.Errorf("items: %s %v", got, a.List)
	}
	a = Args{}
	if got := FeedbackWhere(f, false, "created_us", &a); strings.Contains(got, "kind") {
		t.Errorf("statements filtered on kind: %s", got)
	}
	if got := FeedbackWhere(store.FeedbackFilter{}, false, "created_at", &Args{Dollar: true}); got != " ORDER BY created_at, seq" {
		t.Errorf("no filter: %q", got)
	}
}

func TestTextKeys(t *testing.T) {
	upper := func(s string) string { return strings.ToUpper(s) }
	a := Args{Dollar: true, Text: upper}
	q := TasksQuery(store.TaskFilter{Project: "p", Clause: "c", After: "t1", Limit: 2}, &a)
	if !strings.Contains(q, "WHERE c.project = $1 AND c.clause = $2 AND t.id > $3 ORDER BY t.id LIMIT $4") ||
		!reflect.DeepEqual(a.List, []any{"P", "C", "T1", 2}) {
		t.Errorf("tasks: %s %v", q, a.List)
	}
	a = Args{Text: upper}
	if q := LabelsQuery(store.LabelFilter{Project: "p", Trainer: "ann"}, &a); q != "SELECT data FROM label_labels WHERE project = ? AND trainer = ? ORDER BY task_id, trainer" ||
		!reflect.DeepEqual(a.List, []any{"P", "ANN"}) {
		t.Errorf("labels: %s %v", q, a.List)
	}
	a = Args{}
	if q := RunsQuery(store.EvalRunFilter{Suite: "xstest", Limit: 10}, "id", "started_us", &a); q != "SELECT id FROM eval_runs WHERE suite = ? ORDER BY started_us DESC, id DESC LIMIT ?" ||
		!reflect.DeepEqual(a.List, []any{"xstest", 10}) {
		t.Errorf("runs: %s %v", q, a.List)
	}
}
