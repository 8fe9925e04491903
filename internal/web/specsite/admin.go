package specsite

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
)

// staff returns the viewer when they hold a role that allows the action,
// answering 403 (with how to get the role) otherwise.
func (s *Site) staff(w http.ResponseWriter, r *http.Request, author bool) (viewer, bool) {
	vw := s.who(w, r)
	if vw.Participant == nil {
		s.fail(w, r, http.StatusForbidden, "Sign in first: the moderation desk is for authors and moderators.")
		return vw, false
	}
	if (author && !vw.CanAuthor()) || (!author && !vw.CanModerate()) {
		need := "moderator or author"
		if author {
			need = "author"
		}
		s.fail(w, r, http.StatusForbidden, "This needs the "+need+" role (modelspec feedback role --email ADDRESS --role "+strings.Split(need, " ")[0]+").")
		return vw, false
	}
	return vw, true
}

// authorVersion is the author making the request and the version the
// form names, answering 403 or 404 itself when it returns false.
func (s *Site) authorVersion(w http.ResponseWriter, r *http.Request) (viewer, feedback.Version, *spec.Spec, bool) {
	vw, ok := s.staff(w, r, true)
	if !ok {
		return vw, feedback.Version{}, nil, false
	}
	v, sp, ok := s.loadVersion(w, r, r.PostFormValue("version"))
	return vw, v, sp, ok
}

// auditEntry is an audit entry for an action of the viewer now.
func (s *Site) auditEntry(vw viewer, action, target, detail string) feedback.AuditEntry {
	return feedback.AuditEntry{ID: s.opts.NewID(), At: s.opts.Now(), Actor: vw.Participant.ID, Action: action, Target: target, Detail: detail}
}

func (s *Site) admin(w http.ResponseWriter, r *http.Request) {
	vw, ok := s.staff(w, r, false)
	if !ok {
		return
	}
	ctx := r.Context()
	held := []feedback.Status{feedback.Held}
	items, err := s.st.Items(ctx, store.FeedbackFilter{Status: held})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	sts, err := s.st.Statements(ctx, store.FeedbackFilter{Status: held})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	trail, err := s.st.Audit(ctx, 50)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	vs, err := s.st.Versions(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	slices.Reverse(vs)
	now := s.opts.Now().UTC()
	s.render(w, r, vw, "admin", http.StatusOK, "Moderation desk", struct {
		Items      []feedback.Item
		Statements []feedback.Statement
		Audit      []feedback.AuditEntry
		Versions   []feedback.Version
		Start, End string
	}{items, sts, trail, vs, now.Format("2006-01-02T15:04"), now.Add(30 * 24 * time.Hour).Format("2006-01-02T15:04")}, "", "")
}

func (s *Site) moderate(w http.ResponseWriter, r *http.Request) {
	vw, ok := s.staff(w, r, false)
	if !ok {
		return
	}
	what, id := r.PostFormValue("what"), r.PostFormValue("id")
	to := feedback.Status(r.PostFormValue("to"))
	var from feedback.Status
	switch what {
	case store.ModerateItem:
		it, err := s.st.Item(r.Context(), id)
		if err != nil {
			s.storeErr(w, r, err)
			return
		}
		from = it.Status
	case store.ModerateStatement:
		st, err := s.st.Statement(r.Context(), id)
		if err != nil {
			s.storeErr(w, r, err)
			return
		}
		from = st.Status
	default:
		s.fail(w, r, http.StatusBadRequest, "Moderate an item or a statement.")
		return
	}
	if from == feedback.Pending {
		s.fail(w, r, http.StatusConflict, "This submission waits for its author to confirm their address; it cannot be moderated yet.")
		return
	}
	reason := clean(r.PostFormValue("reason"))
	a := s.auditEntry(vw, "moderate", what+":"+id, fmt.Sprintf("%s -> %s: %s", from, to, reason))
	if err := s.st.Moderate(r.Context(), what, id, to, a); err != nil {
		s.storeErr(w, r, err)
		return
	}
	seeOther(w, r, "/spec/admin")
}

func (s *Site) publish(w http.ResponseWriter, r *http.Request) {
	vw, ok := s.staff(w, r, true)
	if !ok {
		return
	}
	src := strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n")
	v, err := feedback.NewVersion("published.md", []byte(src), strings.TrimSpace(r.PostFormValue("id")), r.PostFormValue("notes"), vw.Participant.ID, s.opts.Now())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.st.PublishVersion(r.Context(), v, s.auditEntry(vw, "publish_version", "version:"+v.ID, "")); err != nil {
		s.storeErr(w, r, err)
		return
	}
	seeOther(w, r, "/spec/v/"+v.ID+"/")
}

// formTime reads a datetime-local field as UTC.
func formTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: write it like 2026-12-01T09:00 (UTC)", s)
}

func (s *Site) createPeriod(w http.ResponseWriter, r *http.Request) {
	vw, v, sp, ok := s.authorVersion(w, r)
	if !ok {
		return
	}
	start, err1 := formTime(r.PostFormValue("start"))
	end, err2 := formTime(r.PostFormValue("end"))
	if err1 != nil || err2 != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprint("Start and end: ", err1, ", ", err2))
		return
	}
	var clauses []string
	for _, c := range strings.FieldsFunc(r.PostFormValue("clauses"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		clauses = append(clauses, strings.TrimPrefix(strings.TrimSpace(c), "#"))
	}
	p := feedback.Period{ID: s.opts.NewID(), Version: v.ID, Title: clean(r.PostFormValue("title")), Invitation: clean(r.PostFormValue("invitation")),
		Start: start, End: end, Clauses: clauses, CreatedBy: vw.Participant.ID, CreatedAt: s.opts.Now()}
	if s.save(w, r, p.Validate(sp), func(ctx context.Context) error {
		return s.st.CreatePeriod(ctx, p, s.auditEntry(vw, "open_period", "period:"+p.ID, v.ID))
	}) {
		seeOther(w, r, "/spec/v/"+v.ID+"/")
	}
}

// answer records a changelog entry answering one feedback item (from the
// item's page): the version that made the change, the response and the
// summary people read.
func (s *Site) answer(w http.ResponseWriter, r *http.Request) {
	vw, ok := s.staff(w, r, true)
	if !ok {
		return
	}
	it, err := s.st.Item(r.Context(), r.PostFormValue("item"))
	if err != nil {
		s.storeErr(w, r, err)
		return
	}
	c := feedback.Change{ID: s.opts.NewID(), Version: r.PostFormValue("version"), Clause: it.Clause, Summary: clean(r.PostFormValue("summary")),
		Response: feedback.Response(r.PostFormValue("response")), Items: []string{it.ID}, At: s.opts.Now(), By: vw.Participant.ID}
	if s.save(w, r, c.Validate(), func(ctx context.Context) error {
		return s.st.AddChange(ctx, c, s.auditEntry(vw, "answer", "item:"+it.ID, string(c.Response)+" in "+c.Version))
	}) {
		seeOther(w, r, "/spec/item/"+it.ID)
	}
}

// authorStatement adds a statement by an author: screened for personal
// data like any other, and published at once.
func (s *Site) authorStatement(w http.ResponseWriter, r *http.Request) {
	vw, v, sp, ok := s.authorVersion(w, r)
	if !ok {
		return
	}
	clause, ok := s.formClause(w, r, v, sp)
	if !ok {
		return
	}
	st := feedback.Statement{ID: s.opts.NewID(), Version: v.ID, Clause: clause, Text: clean(r.PostFormValue("text")),
		Participant: vw.Participant.ID, Alias: "the authors", Status: feedback.Published, Screened: feedback.Published, CreatedAt: s.opts.Now()}
	res := s.opts.Screener.Screen(&st.Text)
	st.Masked, st.Flags = res.Masked, res.Flags
	if open, err := s.openPeriod(r, v.ID, ""); err == nil && open != nil {
		st.Period = open.ID
	}
	if s.save(w, r, st.Validate(), func(ctx context.Context) error { return s.st.AddStatement(ctx, st) }) {
		seeOther(w, r, "/spec/v/"+v.ID+"/statements")
	}
}
