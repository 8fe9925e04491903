package specsite

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"slices"

	"github.com/yuin/goldmark"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
)

// parse returns the parsed spec of a version, cached: a published
// version never changes.
func (s *Site) parse(v feedback.Version) *spec.Spec {
	if sp, ok := s.parsed.Load(v.ID); ok {
		return sp.(*spec.Spec)
	}
	sp, _ := v.Parse()
	s.parsed.Store(v.ID, sp)
	return sp
}

// loadVersion finds the version named in the path, answering 404 itself.
func (s *Site) loadVersion(w http.ResponseWriter, r *http.Request, id string) (feedback.Version, *spec.Spec, bool) {
	v, err := s.st.Version(r.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, http.StatusNotFound, "There is no published version "+id+".")
		} else {
			s.internal(w, r, err)
		}
		return v, nil, false
	}
	return v, s.parse(v), true
}

// pathVersion is the viewer and the version the path names, answering 404
// itself.
func (s *Site) pathVersion(w http.ResponseWriter, r *http.Request) (viewer, feedback.Version, *spec.Spec, bool) {
	vw := s.who(w, r)
	v, sp, ok := s.loadVersion(w, r, r.PathValue("version"))
	return vw, v, sp, ok
}

// formClause is the clause the form names, "" for none, answering 400
// itself when version v has no such clause.
func (s *Site) formClause(w http.ResponseWriter, r *http.Request, v feedback.Version, sp *spec.Spec) (string, bool) {
	clause := r.PostFormValue("clause")
	if clause != "" && sp.Section(clause) == nil {
		s.fail(w, r, http.StatusBadRequest, "Version "+v.ID+" has no clause "+clause+".")
		return "", false
	}
	return clause, true
}

// section finds the clause named in the path in version v, answering 404
// itself.
func (s *Site) section(w http.ResponseWriter, r *http.Request, v feedback.Version, sp *spec.Spec) (*spec.Section, bool) {
	sec := sp.Section(r.PathValue("clause"))
	if sec == nil {
		s.fail(w, r, http.StatusNotFound, "Version "+v.ID+" has no clause "+r.PathValue("clause")+".")
		return nil, false
	}
	return sec, true
}

// published selects what the pages show of the submissions of version.
func published(version string) store.FeedbackFilter {
	return store.FeedbackFilter{Version: version, Status: []feedback.Status{feedback.Published}}
}

var refLink = regexp.MustCompile(`\]\(#([A-Za-z0-9_.\-]+)\)`)

// markdown renders a clause body. goldmark's defaults drop raw HTML and
// links with dangerous schemes (javascript:), so the result is safe to
// put in the page; cross references [text](#id) become links to the
// clause's page in the same version.
func markdown(version, body string) template.HTML {
	body = refLink.ReplaceAllString(body, "](/spec/v/"+version+"/c/$1)")
	var buf bytes.Buffer
	if err := goldmark.Convert([]byte(body), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(body))
	}
	return template.HTML(buf.String()) // goldmark escapes text and omits raw HTML
}

// openPeriod is the period of version open at the time, in which clause
// ("" for any) is in scope.
func (s *Site) openPeriod(r *http.Request, version, clause string) (*feedback.Period, error) {
	ps, err := s.st.Periods(r.Context(), version)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	for i := range ps {
		if ps[i].OpenAt(now) && (clause == "" || ps[i].InScope(clause)) {
			return &ps[i], nil
		}
	}
	return nil, nil
}

func (s *Site) index(w http.ResponseWriter, r *http.Request) {
	v := s.who(w, r)
	vs, err := s.st.Versions(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ps, err := s.st.Periods(r.Context(), "")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.opts.Now()
	var open []feedback.Period
	for _, p := range ps {
		if p.OpenAt(now) {
			open = append(open, p)
		}
	}
	slices.Reverse(vs)
	s.render(w, r, v, "index", http.StatusOK, s.opts.SiteName, struct {
		Newest []feedback.Version
		Open   []feedback.Period
	}{vs, open}, "", "")
}

// switchVersion is the version switcher's target: the same clause in
// another version, or the version's contents when it lacks the clause.
func (s *Site) switchVersion(w http.ResponseWriter, r *http.Request) {
	id, clause := r.URL.Query().Get("version"), r.URL.Query().Get("clause")
	if !feedback.ValidID(id) {
		s.fail(w, r, http.StatusBadRequest, "Choose a version.")
		return
	}
	v, sp, ok := s.loadVersion(w, r, id)
	if !ok {
		return
	}
	if clause != "" && sp.Section(clause) != nil {
		seeOther(w, r, "/spec/v/"+v.ID+"/c/"+clause)
		return
	}
	seeOther(w, r, "/spec/v/"+v.ID+"/")
}

// clauseRow is one clause in a version's contents.
type clauseRow struct {
	ID, Title string
	Level     int
	Authority spec.Authority
	Kind      spec.Kind
	Examples  int
	Items     int
}

func (s *Site) version(w http.ResponseWriter, r *http.Request) {
	vw, v, sp, ok := s.pathVersion(w, r)
	if !ok {
		return
	}
	items, err := s.st.Items(r.Context(), published(v.ID))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	count := map[string]int{}
	for _, it := range items {
		count[it.Clause]++
	}
	var rows []clauseRow
	for _, sec := range sp.Clauses() {
		rows = append(rows, clauseRow{ID: sec.ID, Title: sec.Title, Level: sec.Level, Authority: sp.EffectiveAuthority(sec),
			Kind: sp.EffectiveKind(sec), Examples: len(sec.Examples), Items: count[sec.ID]})
	}
	periods, err := s.st.Periods(r.Context(), v.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	open, err := s.openPeriod(r, v.ID, "")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	prev := s.previous(r, v.ID)
	s.render(w, r, vw, "version", http.StatusOK, sp.Name+" "+v.ID, struct {
		V        feedback.Version
		Clauses  []clauseRow
		Periods  []feedback.Period
		Open     *feedback.Period
		Previous string
	}{v, rows, periods, open, prev}, v.ID, "")
}

// previous is the id of the version published before id, "" for none.
func (s *Site) previous(r *http.Request, id string) string {
	vs, err := s.st.Versions(r.Context())
	if err != nil {
		return ""
	}
	for i, v := range vs {
		if v.ID == id && i > 0 {
			return vs[i-1].ID
		}
	}
	return ""
}

// itemView is a feedback item with its answers.
type itemView struct {
	feedback.Item
	Answers []feedback.Change
}

func (s *Site) itemViews(r *http.Request, items []feedback.Item) ([]itemView, error) {
	changes, err := s.st.Changes(r.Context(), "", "")
	if err != nil {
		return nil, err
	}
	ans := feedback.AnswersByItem(changes)
	out := make([]itemView, len(items))
	for i, it := range items {
		out[i] = itemView{Item: it, Answers: ans[it.ID]}
	}
	return out, nil
}

func (s *Site) clause(w http.ResponseWriter, r *http.Request) {
	vw, v, sp, ok := s.pathVersion(w, r)
	if !ok {
		return
	}
	sec, ok := s.section(w, r, v, sp)
	if !ok {
		return
	}
	f := published(v.ID)
	f.Clause = sec.ID
	items, err := s.st.Items(r.Context(), f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	views, err := s.itemViews(r, items)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	open, err := s.openPeriod(r, v.ID, sec.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, vw, "clause", http.StatusOK, sec.Title+" ("+v.ID+")", struct {
		V              feedback.Version
		Sec            *spec.Section
		Authority      spec.Authority
		Kind           spec.Kind
		Body           template.HTML
		Items          []itemView
		Open           *feedback.Period
		Groups         []feedback.Group
		Stances        []feedback.Stance
		Understandings []feedback.Understanding
	}{v, sec, sp.EffectiveAuthority(sec), sp.EffectiveKind(sec), markdown(v.ID, sec.Body), views, open,
		feedback.Groups, feedback.Stances, feedback.Understandings}, v.ID, sec.ID)
}

// segment is a piece of a word diff for the template.
type segment struct {
	Op   spec.DiffOp
	Text string
}

func (s *Site) diff(w http.ResponseWriter, r *http.Request) {
	vw, nv, ns, ok := s.pathVersion(w, r)
	if !ok {
		return
	}
	from := r.URL.Query().Get("from")
	if from == "" {
		from = s.previous(r, nv.ID)
	}
	if from == "" {
		s.fail(w, r, http.StatusNotFound, "Version "+nv.ID+" is the first: there is nothing to compare it with.")
		return
	}
	if !feedback.ValidID(from) {
		s.fail(w, r, http.StatusBadRequest, "Choose a version to compare with.")
		return
	}
	ov, os, ok := s.loadVersion(w, r, from)
	if !ok {
		return
	}
	d := spec.Diff(os, ns)
	s.render(w, r, vw, "diff", http.StatusOK, "Changes from "+ov.ID+" to "+nv.ID, struct {
		Old, New feedback.Version
		D        *spec.SpecDiff
	}{ov, nv, d}, nv.ID, "")
}

func (s *Site) item(w http.ResponseWriter, r *http.Request) {
	vw := s.who(w, r)
	it, err := s.st.Item(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeErr(w, r, err)
		return
	}
	own := vw.Participant != nil && vw.Participant.ID == it.Participant
	if it.Status != feedback.Published && !own && !vw.CanModerate() {
		s.fail(w, r, http.StatusNotFound, "This feedback is not public (it may be waiting for confirmation or moderation).")
		return
	}
	views, err := s.itemViews(r, []feedback.Item{it})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	vs, err := s.st.Versions(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	slices.Reverse(vs)
	s.render(w, r, vw, "item", http.StatusOK, "Feedback "+it.ID, struct {
		It        itemView
		Versions  []feedback.Version
		Responses []feedback.Response
	}{views[0], vs, feedback.Responses}, it.Version, it.Clause)
}

// changeView is a changelog entry with the items it answers.
type changeView struct {
	feedback.Change
	Answered []feedback.Item
}

func (s *Site) changelog(w http.ResponseWriter, r *http.Request) {
	vw := s.who(w, r)
	ctx := r.Context()
	vs, err := s.st.Versions(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	changes, err := s.st.Changes(ctx, "", "")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	items, err := s.st.Items(ctx, store.FeedbackFilter{Status: []feedback.Status{feedback.Published}})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	byID := map[string]feedback.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	type entry struct {
		V        feedback.Version
		Previous string
		Changes  []changeView
	}
	var entries []entry
	for i, v := range vs {
		e := entry{V: v}
		if i > 0 {
			e.Previous = vs[i-1].ID
		}
		for _, c := range changes {
			if c.Version != v.ID {
				continue
			}
			cv := changeView{Change: c}
			for _, id := range c.Items {
				if it, ok := byID[id]; ok {
					cv.Answered = append(cv.Answered, it)
				}
			}
			e.Changes = append(e.Changes, cv)
		}
		entries = append(entries, e)
	}
	slices.Reverse(entries)
	s.render(w, r, vw, "changelog", http.StatusOK, "Changelog", entries, "", "")
}
