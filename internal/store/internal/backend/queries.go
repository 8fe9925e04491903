package backend

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelspec/modelspec/internal/store"
)

// The queries below are the ones whose text the two backends share but for
// placeholders, argument types and a few column names: built once here,
// each backend passes its Args and its column names.

// Args collects a query's arguments and writes each one's placeholder in
// the backend's style.
type Args struct {
	// Dollar numbers placeholders $1, $2, ... (PostgreSQL) instead of
	// writing ? (SQLite).
	Dollar bool
	// Text converts a text lookup key before it is sent; nil sends it as
	// it is. (PostgreSQL's text holds neither NUL nor invalid UTF-8.)
	Text func(string) string
	// HasCategory is the backend's condition that col, a JSON array of
	// findings, holds one whose category is the argument at placeholder ph.
	HasCategory func(col, ph string) string
	// List holds the arguments, in the order of their placeholders.
	List []any
}

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.List = append(a.List, v)
	if a.Dollar {
		return "$" + strconv.Itoa(len(a.List))
	}
	return "?"
}

// AddText is Add for a text lookup key, converted by Text.
func (a *Args) AddText(s string) string {
	if a.Text != nil {
		s = a.Text(s)
	}
	return a.Add(s)
}

// In is the condition "col is one of vs": one array argument with Dollar,
// else a list of placeholders.
func (a *Args) In(col string, vs []string) string {
	if a.Dollar {
		return col + " = ANY(" + a.Add(vs) + ")"
	}
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.Add(v)
	}
	return col + " IN (" + strings.Join(ph, ", ") + ")"
}

// where joins conditions into a WHERE clause, "" for none.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// Prefixed is a column list (as in a SELECT) with each column qualified
// by p, such as "d.".
func Prefixed(columns, p string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// DecisionQuery is the SELECT of the decision records that q selects:
// columns of decisions, whose time column timeCol (in decisions and in
// decision_clauses) holds at(microseconds). With a clause filter the query
// is driven by decision_clauses, whose primary key (clause, time,
// decision_id) gives the order, so that a page costs a range scan of one
// index.
func DecisionQuery(q store.Query, columns, timeCol string, at func(micros int64) any, a *Args) string {
	var b strings.Builder
	var conds []string
	tcol, idcol := "d."+timeCol, "d.id"
	b.WriteString("SELECT " + Prefixed(columns, "d.") + " FROM ")
	if q.Clause != "" {
		b.WriteString("decision_clauses c JOIN decisions d ON d.id = c.decision_id")
		tcol, idcol = "c."+timeCol, "c.decision_id"
		conds = append(conds, "c.clause = "+a.Add(q.Clause))
	} else {
		b.WriteString("decisions d")
	}
	if q.App != "" {
		conds = append(conds, "d.app = "+a.Add(q.App))
	}
	if q.Action != "" {
		conds = append(conds, "d.action = "+a.Add(q.Action))
	}
	if q.Category != "" {
		// No index: the other conditions and the page bound the scan.
		in, out := a.HasCategory("d.findings", a.AddText(q.Category)), a.HasCategory("d.output", a.AddText(q.Category))
		conds = append(conds, "("+in+" OR "+out+")")
	}
	if q.HasSince {
		conds = append(conds, tcol+" >= "+a.Add(at(q.SinceMicros)))
	}
	if q.HasUntil {
		conds = append(conds, tcol+" < "+a.Add(at(q.UntilMicros)))
	}
	dir, cmp := "DESC", "<"
	if q.Order == store.Oldest {
		dir, cmp = "ASC", ">"
	}
	if q.After != nil {
		t := a.Add(at(q.After.Micros))
		conds = append(conds, fmt.Sprintf("(%s, %s) %s (%s, %s)", tcol, idcol, cmp, t, a.Add(q.After.ID)))
	}
	b.WriteString(where(conds))
	fmt.Fprintf(&b, " ORDER BY %s %s, %s %s LIMIT %s", tcol, dir, idcol, dir, a.Add(q.Limit))
	return b.String()
}

// RunsQuery is the SELECT of the eval runs that f (prepared) selects,
// newest first by the column started.
func RunsQuery(f store.EvalRunFilter, columns, started string, a *Args) string {
	var conds []string
	for _, c := range []struct{ col, v string }{{"suite", f.Suite}, {"target", f.Target}, {"model", f.Model}, {"status", f.Status}} {
		if c.v != "" {
			conds = append(conds, c.col+" = "+a.Add(c.v))
		}
	}
	return `SELECT ` + columns + ` FROM eval_runs` + where(conds) + " ORDER BY " + started + " DESC, id DESC LIMIT " + a.Add(f.Limit)
}

// TasksQuery is the SELECT of the label tasks that f selects, by id.
func TasksQuery(f store.TaskFilter, a *Args) string {
	var q strings.Builder
	project := a.AddText(f.Project)
	if f.Clause != "" {
		q.WriteString(`SELECT t.data FROM label_task_clauses c JOIN label_tasks t ON t.project = c.project AND t.id = c.task_id
WHERE c.project = ` + project + ` AND c.clause = ` + a.AddText(f.Clause))
	} else {
		q.WriteString(`SELECT t.data FROM label_tasks t WHERE t.project = ` + project)
	}
	if f.After != "" {
		q.WriteString(` AND t.id > ` + a.AddText(f.After))
	}
	q.WriteString(` ORDER BY t.id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + a.Add(f.Limit))
	}
	return q.String()
}

// LabelsQuery is the SELECT of the labels that f selects, by task, then
// trainer.
func LabelsQuery(f store.LabelFilter, a *Args) string {
	q := `SELECT data FROM label_labels WHERE project = ` + a.AddText(f.Project)
	if f.TaskID != "" {
		q += ` AND task_id = ` + a.AddText(f.TaskID)
	}
	if f.Trainer != "" {
		q += ` AND trainer = ` + a.AddText(f.Trainer)
	}
	return q + ` ORDER BY task_id, trainer`
}

// FeedbackWhere is the WHERE, ORDER BY and LIMIT of the feedback items
// (items) or statements that f selects, oldest first by the column
// created.
func FeedbackWhere(f store.FeedbackFilter, items bool, created string, a *Args) string {
	var conds []string
	add := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = "+a.Add(v))
		}
	}
	add("version", f.Version)
	add("period", f.Period)
	add("clause", f.Clause)
	add("participant", f.Participant)
	if items {
		add("kind", string(f.Kind))
	}
	if len(f.Status) > 0 {
		ss := make([]string, len(f.Status))
		for i, st := range f.Status {
			ss[i] = string(st)
		}
		conds = append(conds, a.In("status", ss))
	}
	q := where(conds) + " ORDER BY " + created + ", seq"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return q
}
