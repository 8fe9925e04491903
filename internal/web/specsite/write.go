package specsite

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
)

// writer is who a submission comes from.
type writer struct {
	p       feedback.Participant
	email   string // the normalised address, when not signed in
	pending bool   // the submission waits for the address to be confirmed
}

// writer resolves the author of a submission: the signed-in participant,
// or the participant the form's email address stands for (made if new),
// whose submission then waits for confirmation: knowing an address is not
// owning it. It answers the request itself when it returns false (bad
// address, rate limit).
func (s *Site) writer(w http.ResponseWriter, r *http.Request, vw viewer) (writer, bool) {
	if vw.Participant != nil {
		if s.limited(w, r, "p:"+vw.Participant.ID) {
			return writer{}, false
		}
		return writer{p: *vw.Participant}, true
	}
	group := feedback.Group(r.PostFormValue("group"))
	if !slices.Contains(feedback.Groups, group) {
		s.fail(w, r, http.StatusBadRequest, "Choose the stakeholder group you belong to.")
		return writer{}, false
	}
	email, err := feedback.NormalizeEmail(r.PostFormValue("email"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "Give your email address: we send a link to it to confirm that the feedback is yours. It is never shown. ("+err.Error()+")")
		return writer{}, false
	}
	hash := feedback.HashEmail(s.opts.EmailKey, email)
	if s.limited(w, r, "e:"+hash) {
		return writer{}, false
	}
	p, _, err := s.st.AddParticipant(r.Context(), feedback.Participant{ID: s.opts.NewID(), EmailHash: hash, Group: group, CreatedAt: s.opts.Now()}, email)
	if err != nil {
		s.storeErr(w, r, err)
		return writer{}, false
	}
	return writer{p: p, email: email, pending: true}, true
}

// screen screens a submission's free-text fields (masking personal data
// in place) and returns what the submission records: the masks, the
// flags, the status screening chose and the status it takes now, Pending
// until its author is confirmed.
func (wr writer) screen(sc *feedback.Screener, fields ...*string) (masked, flags []string, screened, status feedback.Status) {
	res := sc.Screen(fields...)
	status = res.Status()
	if wr.pending {
		status = feedback.Pending
	}
	return res.Masked, res.Flags, res.Status(), status
}

// sendConfirmation stores a new single-use token for p and mails the link.
func (s *Site) sendConfirmation(r *http.Request, p feedback.Participant, email string) error {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.opts.Random, b); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.opts.Now()
	if err := s.st.AddToken(r.Context(), feedback.Token{Hash: feedback.HashToken(token), Participant: p.ID, Expires: now.Add(s.opts.TokenTTL)}); err != nil {
		return err
	}
	m := feedback.ConfirmationMessage(s.opts.NewID(), email, s.opts.BaseURL+"/spec/confirm?token="+token, s.opts.SiteName)
	m.CreatedAt = now
	return s.mailer.Send(r.Context(), m)
}

// done answers a stored submission: the check-your-email page for a
// pending one, else the submission's own page.
func (s *Site) done(w http.ResponseWriter, r *http.Request, vw viewer, wr writer, next string) {
	if !wr.pending {
		seeOther(w, r, next)
		return
	}
	if err := s.sendConfirmation(r, wr.p, wr.email); err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, vw, "check", http.StatusAccepted, "Check your email", nil, "", "")
}

// writablePeriod is the comment period open for clause ("" for any) of
// version, answering the request itself when it returns false: writing is
// closed outside a period.
func (s *Site) writablePeriod(w http.ResponseWriter, r *http.Request, version, clause string) (*feedback.Period, bool) {
	open, err := s.openPeriod(r, version, clause)
	if err != nil {
		s.internal(w, r, err)
		return nil, false
	}
	if open == nil {
		s.fail(w, r, http.StatusForbidden, "Writing is closed: no comment period is open for this part of version "+version+". The pages stay readable.")
		return nil, false
	}
	return open, true
}

// save stores a submission with add once it is valid (invalid is its
// Validate error), answering 400 with what is wrong, or the store's error,
// itself when it returns false.
func (s *Site) save(w http.ResponseWriter, r *http.Request, invalid error, add func(context.Context) error) bool {
	if invalid != nil {
		s.fail(w, r, http.StatusBadRequest, invalid.Error())
		return false
	}
	if err := add(r.Context()); err != nil {
		s.storeErr(w, r, err)
		return false
	}
	return true
}

func (s *Site) submitFeedback(w http.ResponseWriter, r *http.Request) {
	vw, v, sp, ok := s.pathVersion(w, r)
	if !ok {
		return
	}
	sec, ok := s.section(w, r, v, sp)
	if !ok {
		return
	}
	open, ok := s.writablePeriod(w, r, v.ID, sec.ID)
	if !ok {
		return
	}
	wr, ok := s.writer(w, r, vw)
	if !ok {
		return
	}
	f := r.PostFormValue
	it := feedback.Item{ID: s.opts.NewID(), Version: v.ID, Period: open.ID, Kind: feedback.OnClause, Clause: sec.ID,
		Participant: wr.p.ID, Alias: wr.p.Alias(), Group: groupOf(r, wr.p),
		Stance: feedback.Stance(f("stance")), Understood: feedback.Understanding(f("understood")),
		Reading: clean(f("reading")), Missing: clean(f("missing")), Comment: clean(f("comment")), Edit: clean(f("edit")),
		CreatedAt: s.opts.Now()}
	it.Masked, it.Flags, it.Screened, it.Status = wr.screen(s.opts.Screener, &it.Reading, &it.Missing, &it.Comment, &it.Edit)
	if s.save(w, r, it.Validate(), func(ctx context.Context) error { return s.st.AddItem(ctx, it) }) {
		s.done(w, r, vw, wr, "/spec/item/"+it.ID)
	}
}

// groupOf is the group the form names, or the participant's own.
func groupOf(r *http.Request, p feedback.Participant) feedback.Group {
	if g := feedback.Group(r.PostFormValue("group")); g != "" {
		return g
	}
	return p.Group
}

// clean normalises line ends and trims; the text is otherwise kept as
// written (the templates escape it).
func clean(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

func (s *Site) proposeForm(w http.ResponseWriter, r *http.Request) {
	vw, v, _, ok := s.pathVersion(w, r)
	if !ok {
		return
	}
	open, err := s.openPeriod(r, v.ID, "")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, vw, "propose", http.StatusOK, "Propose a clause", struct {
		V      feedback.Version
		Open   *feedback.Period
		Groups []feedback.Group
		Kinds  []spec.Kind
	}{v, open, feedback.Groups, []spec.Kind{spec.Objective, spec.Rule, spec.Default}}, v.ID, "")
}

func (s *Site) submitProposal(w http.ResponseWriter, r *http.Request) {
	vw, v, _, ok := s.pathVersion(w, r)
	if !ok {
		return
	}
	open, ok := s.writablePeriod(w, r, v.ID, "")
	if !ok {
		return
	}
	wr, ok := s.writer(w, r, vw)
	if !ok {
		return
	}
	f := r.PostFormValue
	it := feedback.Item{ID: s.opts.NewID(), Version: v.ID, Period: open.ID, Kind: feedback.NewClause,
		Participant: wr.p.ID, Alias: wr.p.Alias(), Group: groupOf(r, wr.p),
		ProposedKind: spec.Kind(f("kind")), ProposedTitle: clean(f("title")), ProposedText: clean(f("text")),
		Comment: clean(f("comment")), CreatedAt: s.opts.Now()}
	it.Masked, it.Flags, it.Screened, it.Status = wr.screen(s.opts.Screener, &it.ProposedTitle, &it.ProposedText, &it.Comment)
	if s.save(w, r, it.Validate(), func(ctx context.Context) error { return s.st.AddItem(ctx, it) }) {
		s.done(w, r, vw, wr, "/spec/item/"+it.ID)
	}
}

// pathStatements is the viewer, the version the path names and its
// published statements, answering 404 or 500 itself when it returns false.
func (s *Site) pathStatements(w http.ResponseWriter, r *http.Request) (viewer, feedback.Version, []feedback.Statement, bool) {
	vw, v, _, ok := s.pathVersion(w, r)
	if !ok {
		return vw, v, nil, false
	}
	sts, err := s.st.Statements(r.Context(), published(v.ID))
	if err != nil {
		s.internal(w, r, err)
		return vw, v, nil, false
	}
	return vw, v, sts, true
}

// statementRow is a statement with the viewer's vote.
type statementRow struct {
	feedback.Statement
	Voted bool
	Mine  int
}

func (s *Site) statements(w http.ResponseWriter, r *http.Request) {
	vw, v, sts, ok := s.pathStatements(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	mine := map[string]int{}
	if vw.Participant != nil {
		votes, err := s.st.Votes(ctx, v.ID)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		for _, vt := range votes {
			if vt.Participant == vw.Participant.ID {
				mine[vt.Statement] = vt.Value
			}
		}
	}
	rows := make([]statementRow, len(sts))
	for i, st := range sts {
		m, voted := mine[st.ID]
		rows[i] = statementRow{Statement: st, Voted: voted, Mine: m}
	}
	open, err := s.openPeriod(r, v.ID, "")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, vw, "statements", http.StatusOK, "Statements on "+v.ID, struct {
		V      feedback.Version
		Rows   []statementRow
		Open   *feedback.Period
		Groups []feedback.Group
	}{v, rows, open, feedback.Groups}, v.ID, "")
}

func (s *Site) submitStatement(w http.ResponseWriter, r *http.Request) {
	vw, v, sp, ok := s.pathVersion(w, r)
	if !ok {
		return
	}
	open, ok := s.writablePeriod(w, r, v.ID, "")
	if !ok {
		return
	}
	clause, ok := s.formClause(w, r, v, sp)
	if !ok {
		return
	}
	wr, ok := s.writer(w, r, vw)
	if !ok {
		return
	}
	st := feedback.Statement{ID: s.opts.NewID(), Version: v.ID, Period: open.ID, Clause: clause, Text: clean(r.PostFormValue("text")),
		Participant: wr.p.ID, Alias: wr.p.Alias(), CreatedAt: s.opts.Now()}
	st.Masked, st.Flags, st.Screened, st.Status = wr.screen(s.opts.Screener, &st.Text)
	if s.save(w, r, st.Validate(), func(ctx context.Context) error { return s.st.AddStatement(ctx, st) }) {
		s.done(w, r, vw, wr, "/spec/v/"+v.ID+"/statements")
	}
}

// vote records a signed-in participant's vote. Voting needs a session
// (sign in once by email): a vote is too small to confirm one by one.
func (s *Site) vote(w http.ResponseWriter, r *http.Request) {
	vw := s.who(w, r)
	if vw.Participant == nil {
		s.fail(w, r, http.StatusForbidden, "Sign in with your email address to vote (Sign in, at the top of the page).")
		return
	}
	if !s.byVote.Allow(vw.Participant.ID) {
		w.Header().Set("Retry-After", "60")
		s.fail(w, r, http.StatusTooManyRequests, "Too many votes in a short time. Wait a minute and try again.")
		return
	}
	value, ok := map[string]int{"agree": feedback.VoteAgree, "disagree": feedback.VoteDisagree, "pass": feedback.VotePass}[r.PostFormValue("vote")]
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "Vote agree, disagree or pass.")
		return
	}
	st, err := s.st.Statement(r.Context(), r.PostFormValue("statement"))
	if err != nil || st.Status != feedback.Published {
		s.fail(w, r, http.StatusNotFound, "There is no such statement to vote on.")
		return
	}
	if _, ok := s.writablePeriod(w, r, st.Version, ""); !ok {
		return
	}
	if err := s.st.Vote(r.Context(), feedback.Vote{Statement: st.ID, Participant: vw.Participant.ID, Value: value, At: s.opts.Now()}); err != nil {
		s.storeErr(w, r, err)
		return
	}
	seeOther(w, r, "/spec/v/"+st.Version+"/statements#s-"+st.ID)
}

func (s *Site) signinForm(w http.ResponseWriter, r *http.Request) {
	vw := s.who(w, r)
	s.render(w, r, vw, "signin", http.StatusOK, "Sign in", feedback.Groups, "", "")
}

func (s *Site) signin(w http.ResponseWriter, r *http.Request) {
	vw := s.who(w, r)
	vw.Participant = nil // signing in again (another address) goes through the link too
	wr, ok := s.writer(w, r, vw)
	if !ok {
		return
	}
	s.done(w, r, vw, wr, "/spec/")
}

func (s *Site) confirmForm(w http.ResponseWriter, r *http.Request) {
	vw := s.who(w, r)
	// The link opens a page with a button rather than confirming at once:
	// mail scanners that fetch links must not use up the token.
	s.render(w, r, vw, "confirm", http.StatusOK, "Confirm", r.URL.Query().Get("token"), "", "")
}

func (s *Site) confirm(w http.ResponseWriter, r *http.Request) {
	s.who(w, r)
	token := r.PostFormValue("token")
	if s.limited(w, r, "") {
		return
	}
	t, err := s.st.UseToken(r.Context(), feedback.HashToken(token), s.opts.Now())
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusBadRequest, "This link was already used or has expired. Submit again, or sign in, to get a new one.")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	n, err := s.st.ConfirmParticipant(r.Context(), t.Participant, s.opts.Now())
	if err != nil {
		s.storeErr(w, r, err)
		return
	}
	sess := s.opts.Sessions.SignIn(w, r, t.Participant)
	vw := viewer{Session: sess}
	if p, err := s.st.Participant(r.Context(), t.Participant); err == nil {
		vw.Participant = &p
		vw.Role, _ = s.st.Role(r.Context(), p.EmailHash)
	}
	s.render(w, r, vw, "confirmed", http.StatusOK, "Confirmed", n, "", "")
}

func (s *Site) signout(w http.ResponseWriter, r *http.Request) {
	s.opts.Sessions.SignOut(w)
	seeOther(w, r, "/spec/")
}
