package labelweb

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/label/autograde"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the workbench is mounted.
const Prefix = "/label"

// Config is what the workbench needs.
type Config struct {
	Store    store.Labels
	Sessions *web.Sessions
	// Spec gives the clauses' titles and text, shown beside the responses.
	Spec *spec.Spec
	// Grader makes the auto-grader's suggestion for a task that has no
	// stored auto label; nil shows only stored ones.
	Grader *autograde.Grader
	// Now is the clock of labels (time.Now when nil).
	Now func() time.Time
	// SignInLimit bounds sign-in attempts per client address (default 5
	// in a burst, then one every 2 seconds).
	SignInLimit *web.Limiter
	// TrustForwarded takes the client address from X-Forwarded-For (only
	// behind a proxy that sets it).
	TrustForwarded bool
	Log            *slog.Logger
}

// Server is the workbench.
type Server struct {
	c   Config
	t   *template.Template
	mux *http.ServeMux
}

// New returns the workbench.
func New(c Config) (*Server, error) {
	if c.Store == nil || c.Sessions == nil || c.Spec == nil {
		return nil, errors.New("labelweb: Store, Sessions and Spec are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SignInLimit == nil {
		c.SignInLimit = web.NewLimiter(rate.Every(2*time.Second), 5, 10000)
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"letter": func(i int) string { return string(rune('A' + i)) },
		"inc":    func(i int) int { return i + 1 },
		"stat": func(s label.Stat) string {
			if !s.Defined() {
				return "–"
			}
			return fmt.Sprintf("%.3f", s.Value)
		},
		"clauseName": func(c string) string { return cmp.Or(c, "(all tasks)") },
		"pct": func(a, b int) int {
			if b == 0 {
				return 0
			}
			return 100 * a / b
		},
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("labelweb: templates: %w", err)
	}
	s := &Server{c: c, t: t, mux: http.NewServeMux()}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET "+Prefix+"/{$}", s.home)
	s.mux.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
	})
	s.mux.HandleFunc("GET "+Prefix+"/signin", s.signInPage)
	s.mux.HandleFunc("POST "+Prefix+"/signin", s.signIn)
	s.mux.HandleFunc("POST "+Prefix+"/signout", s.signOut)
	s.mux.HandleFunc("GET "+Prefix+"/p/{project}/next", s.member(s.next))
	s.mux.HandleFunc("GET "+Prefix+"/p/{project}/t/{task}", s.member(s.taskPage))
	s.mux.HandleFunc("POST "+Prefix+"/p/{project}/t/{task}", s.member(s.submit))
	s.mux.HandleFunc("GET "+Prefix+"/p/{project}/t/{task}/done", s.member(s.done))
	s.mux.HandleFunc("GET "+Prefix+"/p/{project}/lead", s.lead(s.leadPage))
	s.mux.HandleFunc("GET "+Prefix+"/p/{project}/export", s.lead(s.export))
	s.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "No such page.")
	})
	return s, nil
}

// Handler serves the workbench under Prefix: security headers on every
// response, the CSRF check on every unsafe request.
func (s *Server) Handler() http.Handler {
	return web.Secure(s.c.Sessions.Protect(s.mux))
}

// page is what every template gets.
type page struct {
	Title   string
	Session web.Session
	CSRF    template.HTML
	Error   string
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, status int, title string, data any) {
	sess := s.c.Sessions.Ensure(w, r)
	web.Render(w, s.t, name, status, page{Title: title, Session: sess, CSRF: web.CSRFField(sess), Data: data})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	sess := s.c.Sessions.Ensure(w, r)
	web.Render(w, s.t, "error.html", status, page{Title: http.StatusText(status), Session: sess, CSRF: web.CSRFField(sess), Error: msg})
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.c.Log.Error("label workbench", "path", r.URL.Path, "err", err)
	s.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side; the error is logged.")
}

// trainer returns the signed-in trainer, or redirects to the sign-in page.
func (s *Server) trainer(w http.ResponseWriter, r *http.Request) (string, bool) {
	sess, ok := s.c.Sessions.Get(r)
	if !ok || sess.Subject == "" {
		http.Redirect(w, r, Prefix+"/signin?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return "", false
	}
	return sess.Subject, true
}

// role is the trainer's role in the project, "" when not a member.
func (s *Server) role(ctx context.Context, trainer, project string) (string, error) {
	ms, err := s.c.Store.Memberships(ctx, trainer)
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		if m.Project == project {
			return m.Role, nil
		}
	}
	return "", nil
}

// who is the signed-in trainer and their role in the request's project.
type who struct {
	Trainer, Project, Role string
}

// member guards a project page: signed in and a member, else 404 (a
// project one does not belong to does not exist, as far as one can tell).
func (s *Server) member(h func(http.ResponseWriter, *http.Request, who)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tr, ok := s.trainer(w, r)
		if !ok {
			return
		}
		p := r.PathValue("project")
		role, err := s.role(r.Context(), tr, p)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if role == "" {
			s.fail(w, r, http.StatusNotFound, "No such project.")
			return
		}
		h(w, r, who{Trainer: tr, Project: p, Role: role})
	}
}

// lead guards a lead's page: a member who is not a lead gets 403.
func (s *Server) lead(h func(http.ResponseWriter, *http.Request, who)) http.HandlerFunc {
	return s.member(func(w http.ResponseWriter, r *http.Request, u who) {
		if u.Role != store.RoleLead {
			s.fail(w, r, http.StatusForbidden, "This page is for the project's leads.")
			return
		}
		h(w, r, u)
	})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	tr, ok := s.trainer(w, r)
	if !ok {
		return
	}
	ms, err := s.c.Store.Memberships(r.Context(), tr)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, "home.html", http.StatusOK, "Projects", ms)
}

// safeNext keeps a post-sign-in redirect inside the workbench.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix + "/"
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "signin.html", http.StatusOK, "Sign in", map[string]string{"Next": safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	if !s.c.SignInLimit.Allow(web.ClientIP(r, s.c.TrustForwarded)) {
		w.Header().Set("Retry-After", "2")
		s.render(w, r, "signin.html", http.StatusTooManyRequests, "Sign in", map[string]string{"Next": next, "Error": "Too many attempts; wait a few seconds."})
		return
	}
	name, pw := r.PostFormValue("name"), r.PostFormValue("password")
	t, err := s.c.Store.GetTrainer(r.Context(), name)
	switch {
	case errors.Is(err, store.ErrNotFound) || label.ValidID(name) != nil:
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(pw)) // the same time as a wrong password
	case err != nil:
		s.internal(w, r, err)
		return
	case CheckPassword(t.PasswordHash, pw):
		s.c.Sessions.SignIn(w, r, t.Name)
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, "signin.html", http.StatusUnauthorized, "Sign in", map[string]string{"Next": next, "Name": name, "Error": "Wrong name or password."})
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	s.c.Sessions.SignOut(w)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
}

func (s *Server) next(w http.ResponseWriter, r *http.Request, u who) {
	t, err := s.c.Store.NextTask(r.Context(), u.Project, u.Trainer)
	if errors.Is(err, store.ErrNotFound) {
		s.render(w, r, "alldone.html", http.StatusOK, "All done", u)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	http.Redirect(w, r, taskURL(u.Project, t.ID), http.StatusSeeOther)
}

func taskURL(project, id string) string {
	return Prefix + "/p/" + url.PathEscape(project) + "/t/" + url.PathEscape(id)
}

// clauseView is a clause shown beside the responses.
type clauseView struct {
	ID, Title, Kind, Text string
	Checked               bool
}

func (s *Server) clauses(ids, checked []string) []clauseView {
	var out []clauseView
	for _, id := range ids {
		cv := clauseView{ID: id, Title: id, Checked: slices.Contains(checked, id)}
		if sec := s.c.Spec.Section(id); sec != nil {
			cv.Title, cv.Kind, cv.Text = sec.Title, string(s.c.Spec.EffectiveKind(sec)), strings.TrimSpace(sec.Body)
		}
		out = append(out, cv)
	}
	return out
}

// allClauses lists every clause of the spec, for citing one the task does
// not list.
func (s *Server) allClauses() []clauseView {
	var out []clauseView
	for _, sec := range s.c.Spec.Clauses() {
		if sec.Level >= 2 {
			out = append(out, clauseView{ID: sec.ID, Title: sec.Title})
		}
	}
	return out
}

// taskView is the task page's data.
type taskView struct {
	who
	Task    label.Task
	Clauses []clauseView
	Other   []clauseView
	Ratings []label.Rating
	// Form holds what the trainer gave (a previous label, or a refused
	// submission).
	Choice  string
	Ranking string
	Rated   map[string]label.Rating
	Comment string
}

// task loads the task the path names in the member's project, answering
// 404 or 500 itself when it returns false.
func (s *Server) task(w http.ResponseWriter, r *http.Request, u who) (label.Task, bool) {
	t, err := s.c.Store.GetTask(r.Context(), u.Project, r.PathValue("task"))
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "No such task.")
		return label.Task{}, false
	}
	if err != nil {
		s.internal(w, r, err)
		return label.Task{}, false
	}
	return t, true
}

func (s *Server) taskPage(w http.ResponseWriter, r *http.Request, u who) {
	t, ok := s.task(w, r, u)
	if !ok {
		return
	}
	v := taskView{who: u, Task: t, Ratings: label.RatingScale, Rated: map[string]label.Rating{}}
	var cited []string
	if ls, err := s.c.Store.Labels(r.Context(), store.LabelFilter{Project: u.Project, TaskID: t.ID, Trainer: u.Trainer}); err == nil && len(ls) == 1 {
		v.Choice, v.Ranking, v.Rated, v.Comment, cited = ls[0].Choice, strings.Join(ls[0].Ranking, ","), ls[0].Ratings, ls[0].Comment, ls[0].Clauses
	}
	s.showTask(w, r, http.StatusOK, v, cited, "")
}

func (s *Server) showTask(w http.ResponseWriter, r *http.Request, status int, v taskView, cited []string, errMsg string) {
	v.Clauses = s.clauses(v.Task.Clauses, cited)
	for _, c := range s.allClauses() {
		if !slices.Contains(v.Task.Clauses, c.ID) {
			c.Checked = slices.Contains(cited, c.ID)
			v.Other = append(v.Other, c)
		}
	}
	sess := s.c.Sessions.Ensure(w, r)
	web.Render(w, s.t, "task.html", status, page{Title: "Task " + v.Task.ID, Session: sess, CSRF: web.CSRFField(sess), Error: errMsg, Data: v})
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	t, ok := s.task(w, r, u)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	l := label.Label{Project: u.Project, TaskID: t.ID, Trainer: u.Trainer, Kind: label.Human, Choice: r.PostFormValue("choice"),
		Ratings: map[string]label.Rating{}, Clauses: r.PostForm["clause"], Comment: strings.TrimSpace(r.PostFormValue("comment")), Time: s.c.Now()}
	if rk := strings.TrimSpace(r.PostFormValue("ranking")); rk != "" {
		l.Ranking = strings.Split(rk, ",")
		if l.Choice == l.Ranking[0] || l.Choice == "" {
			l.Choice = "" // a ranking already says which is best
		}
	}
	for _, resp := range t.Responses {
		if v := r.PostFormValue("rating_" + resp.ID); v != "" {
			l.Ratings[resp.ID] = label.Rating(v)
		}
	}
	err := s.c.Store.PutLabel(ctx, l)
	if errors.Is(err, store.ErrInvalid) {
		v := taskView{who: u, Task: t, Ratings: label.RatingScale, Choice: l.Choice, Ranking: strings.Join(l.Ranking, ","), Rated: l.Ratings, Comment: l.Comment}
		s.showTask(w, r, http.StatusBadRequest, v, l.Clauses, formProblem(err))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	http.Redirect(w, r, taskURL(u.Project, t.ID)+"/done", http.StatusSeeOther)
}

// formProblem says, for a trainer, what a refused label lacks.
func formProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "pick the better"):
		return "Pick the better response (keys 1–9) or rank them (r, then the keys in order)."
	case strings.Contains(msg, "rate every response"):
		return "Rate every response (a s d f for the focused one; j and k move between responses)."
	}
	if i := strings.Index(msg, "invalid: "); i >= 0 {
		msg = msg[i+len("invalid: "):]
	}
	return "The label was not saved: " + msg
}

// doneView is what a trainer sees after answering: their label and,
// only now, the auto-grader's suggestion.
type doneView struct {
	who
	Task       label.Task
	Mine       label.Label
	Suggestion *label.Label
	Clauses    []clauseView
}

func (s *Server) done(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	t, ok := s.task(w, r, u)
	if !ok {
		return
	}
	ls, err := s.c.Store.Labels(ctx, store.LabelFilter{Project: u.Project, TaskID: t.ID})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := doneView{who: u, Task: t}
	answered := false
	for _, l := range ls {
		switch {
		case l.Trainer == u.Trainer:
			v.Mine, answered = l, true
		case l.Kind == label.Auto && v.Suggestion == nil:
			v.Suggestion = &l
		}
	}
	if !answered {
		// The suggestion is shown only after the trainer's own answer, so
		// that it cannot sway it.
		http.Redirect(w, r, taskURL(u.Project, t.ID), http.StatusSeeOther)
		return
	}
	if v.Suggestion == nil && s.c.Grader != nil {
		if l, ok := s.c.Grader.Label(ctx, t, s.c.Now()); ok {
			v.Suggestion = &l
		}
	}
	if v.Suggestion != nil {
		v.Clauses = s.clauses(v.Suggestion.Clauses, nil)
	}
	s.render(w, r, "done.html", http.StatusOK, "Answered "+t.ID, v)
}

// leadView is the lead's page.
type leadView struct {
	who
	Tasks         int
	Labelled      int   // tasks with a human label
	ByCount       []int // ByCount[n]: tasks with n human labels (the last: n or more)
	Trainers      []trainerProgress
	Agreement     []label.ClauseAgreement
	Disagreements []disagreement
}

type trainerProgress struct {
	Name   string
	Labels int
}

// disagreement is a task whose raters chose differently.
type disagreement struct {
	Task    label.Task
	Choices []raterChoice
}

type raterChoice struct {
	Trainer, Choice string
	Auto            bool
}

// project loads every task and label of the member's project, answering
// 500 itself when it returns false.
func (s *Server) project(w http.ResponseWriter, r *http.Request, u who) ([]label.Task, []label.Label, bool) {
	tasks, err := s.c.Store.Tasks(r.Context(), store.TaskFilter{Project: u.Project})
	if err != nil {
		s.internal(w, r, err)
		return nil, nil, false
	}
	labels, err := s.c.Store.Labels(r.Context(), store.LabelFilter{Project: u.Project})
	if err != nil {
		s.internal(w, r, err)
		return nil, nil, false
	}
	return tasks, labels, true
}

// MaxDisagreements bounds the lead page's list.
const MaxDisagreements = 200

func (s *Server) leadPage(w http.ResponseWriter, r *http.Request, u who) {
	tasks, labels, ok := s.project(w, r, u)
	if !ok {
		return
	}
	v := leadView{who: u, Tasks: len(tasks), ByCount: make([]int, 4), Agreement: label.Agreement(tasks, labels)}
	byTask := map[string][]label.Label{}
	perTrainer := map[string]int{}
	for _, l := range labels {
		byTask[l.TaskID] = append(byTask[l.TaskID], l)
		if l.Kind == label.Human {
			perTrainer[l.Trainer]++
		}
	}
	for name, n := range perTrainer {
		v.Trainers = append(v.Trainers, trainerProgress{Name: name, Labels: n})
	}
	slices.SortFunc(v.Trainers, func(a, b trainerProgress) int { return cmp.Compare(a.Name, b.Name) })
	for _, t := range tasks {
		humans := 0
		var cs []raterChoice
		distinct := map[string]bool{}
		for _, l := range byTask[t.ID] {
			if l.Kind == label.Human {
				humans++
			}
			if b := l.Best(); b != "" {
				cs = append(cs, raterChoice{Trainer: l.Trainer, Choice: b, Auto: l.Kind == label.Auto})
				distinct[b] = true
			}
		}
		v.ByCount[min(humans, len(v.ByCount)-1)]++
		if humans > 0 {
			v.Labelled++
		}
		if len(distinct) > 1 && len(v.Disagreements) < MaxDisagreements {
			v.Disagreements = append(v.Disagreements, disagreement{Task: t, Choices: cs})
		}
	}
	s.render(w, r, "lead.html", http.StatusOK, "Project "+u.Project, v)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, u who) {
	q := r.URL.Query()
	format := cmp.Or(q.Get("format"), label.FormatOpenAI)
	if !slices.Contains(label.Formats, format) {
		s.fail(w, r, http.StatusBadRequest, "Unknown format: use openai or pairs.")
		return
	}
	o := label.PairOptions{IncludeAuto: q.Get("include_auto") == "1"}
	if c := q.Get("clause"); c != "" {
		o.Clauses = []string{c}
	}
	if v := q.Get("min_agreement"); v != "" {
		if _, err := fmt.Sscan(v, &o.MinAgreement); err != nil || o.MinAgreement < 0 || o.MinAgreement > 1 {
			s.fail(w, r, http.StatusBadRequest, "min_agreement: a number from 0 to 1.")
			return
		}
	}
	tasks, labels, ok := s.project(w, r, u)
	if !ok {
		return
	}
	var buf strings.Builder
	if err := label.Export(&buf, label.Pairs(tasks, labels, o), label.ExportOptions{Format: format}); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.jsonl"`, u.Project, format))
	w.Write([]byte(buf.String()))
}
