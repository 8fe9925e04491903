package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
)

// RunFeedback checks the store.Feedback contract against stores made by
// open (each fresh and empty).
func RunFeedback(t *testing.T, open func(t *testing.T) store.Feedback) {
	runChecks(t, open, true, []check[store.Feedback]{
		{"Secret", testFbSecret},
		{"Versions", testFbVersions},
		{"Periods", testFbPeriods},
		{"Participants", testFbParticipants},
		{"Tokens", testFbTokens},
		{"Items", testFbItems},
		{"Statements", testFbStatements},
		{"Confirm", testFbConfirm},
		{"Moderate", testFbModerate},
		{"Votes", testFbVotes},
		{"Changes", testFbChanges},
		{"Roles", testFbRoles},
		{"Outbox", testFbOutbox},
		{"Invalid", testFbInvalid},
		{"Concurrent", testFbConcurrent},
		{"Closed", testFbClosed},
		{"CanceledCtx", testFbContext},
		{"AuditComplete", testFbAudit},
	})
}

// fbBase has nanoseconds and a zone other than UTC: stores keep
// microseconds and return UTC.
var fbBase = time.Date(2026, 11, 27, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(store.TimePrecision)
}

const fbSpec = "---\nname: tiny\nversion: v1\n---\n## Be kind {#be_kind authority=user kind=default}\n\nSay «please» 🙏.\n"

func audit(id, action, target string) feedback.AuditEntry {
	return feedback.AuditEntry{ID: id, At: fbBase, Actor: "author-1", Action: action, Target: target, Detail: "why: «test»"}
}

func fbVersion(id string, at time.Time) feedback.Version {
	return feedback.Version{ID: id, Name: "tiny", Source: fbSpec, Notes: "notes for " + id, PublishedAt: at, PublishedBy: "author-1"}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seed stores a version v1, participant p1 and returns them.
func seed(t *testing.T, s store.Feedback) (feedback.Version, feedback.Participant) {
	t.Helper()
	ctx := context.Background()
	v := fbVersion("v1", fbBase)
	must(t, s.PublishVersion(ctx, v, audit("a-v1", "publish_version", "version:v1")))
	p := feedback.Participant{ID: "p1", EmailHash: "aa11", Group: feedback.Public, CreatedAt: fbBase}
	if _, _, err := s.AddParticipant(ctx, p, "p1@example.org"); err != nil {
		t.Fatal(err)
	}
	return v, p
}

func fbItem(id string, status feedback.Status) feedback.Item {
	return feedback.Item{ID: id, Version: "v1", Period: "round-1", Kind: feedback.OnClause, Clause: "be_kind",
		Participant: "p1", Alias: "participant aa11", Group: feedback.DomainExpert, Stance: feedback.Oppose,
		Understood: feedback.UnderstandPartly, Reading: "I read «please» as required", Missing: "tone for children",
		Comment: "<script>alert(1)</script> & 'quotes'", Edit: "Say please when it helps.",
		Status: status, Screened: feedback.Published, Masked: []string{"email"}, Flags: []string{}, CreatedAt: fbBase}
}

func fbStatement(id string, status feedback.Status) feedback.Statement {
	return feedback.Statement{ID: id, Version: "v1", Period: "round-1", Clause: "be_kind", Text: "Politeness should be a default, not a rule.",
		Participant: "p1", Alias: "participant aa11", Status: status, Screened: feedback.Held, Masked: []string{}, Flags: []string{"spam_links"}, CreatedAt: fbBase}
}

func normItem(it feedback.Item) feedback.Item {
	it.CreatedAt = norm(it.CreatedAt)
	if it.Masked == nil {
		it.Masked = []string{}
	}
	if it.Flags == nil {
		it.Flags = []string{}
	}
	return it
}

func normStatement(s feedback.Statement) feedback.Statement {
	s.CreatedAt = norm(s.CreatedAt)
	if s.Masked == nil {
		s.Masked = []string{}
	}
	if s.Flags == nil {
		s.Flags = []string{}
	}
	return s
}

func testFbSecret(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	a, err := s.Secret(ctx, "session", []byte("first-candidate"))
	must(t, err)
	b, err := s.Secret(ctx, "session", []byte("second-candidate"))
	must(t, err)
	if string(a) != "first-candidate" || string(b) != "first-candidate" {
		t.Errorf("Secret = %q then %q, want the first candidate both times", a, b)
	}
	c, err := s.Secret(ctx, "other", []byte{0, 1, 255})
	must(t, err)
	if !reflect.DeepEqual(c, []byte{0, 1, 255}) {
		t.Errorf("binary secret %v", c)
	}
}

func testFbVersions(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	if _, err := s.Version(ctx, "v1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Version on empty store: %v, want ErrNotFound", err)
	}
	// Published in this order; v0 has an earlier time than v2.
	for i, v := range []feedback.Version{fbVersion("v2", fbBase.Add(time.Hour)), fbVersion("v0", fbBase), fbVersion("v3", fbBase.Add(time.Hour))} {
		must(t, s.PublishVersion(ctx, v, audit(fmt.Sprint("a", i), "publish_version", "version:"+v.ID)))
	}
	if err := s.PublishVersion(ctx, fbVersion("v2", fbBase), audit("a9", "publish_version", "version:v2")); !errors.Is(err, store.ErrExists) {
		t.Errorf("second v2: %v, want ErrExists", err)
	}
	vs, err := s.Versions(ctx)
	must(t, err)
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	if fmt.Sprint(ids) != "[v0 v2 v3]" {
		t.Errorf("Versions order %v, want [v0 v2 v3] (time, then order of publication)", ids)
	}
	got, err := s.Version(ctx, "v2")
	must(t, err)
	want := fbVersion("v2", norm(fbBase.Add(time.Hour)))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Version round trip:\n got %+v\nwant %+v", got, want)
	}
	if got.PublishedAt.Location() != time.UTC {
		t.Error("time not in UTC")
	}
}

func testFbPeriods(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	p := feedback.Period{ID: "round-1", Version: "v1", Title: "First round", Invitation: "Everyone <b>welcome</b>",
		Start: fbBase, End: fbBase.Add(48 * time.Hour), Clauses: []string{"be_kind"}, CreatedBy: "author-1", CreatedAt: fbBase}
	must(t, s.CreatePeriod(ctx, p, audit("ap1", "open_period", "period:round-1")))
	p2 := p
	p2.ID, p2.Start, p2.Clauses = "round-0", fbBase.Add(-time.Hour), nil
	must(t, s.CreatePeriod(ctx, p2, audit("ap2", "open_period", "period:round-0")))
	if err := s.CreatePeriod(ctx, p, audit("ap3", "open_period", "x")); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate period: %v", err)
	}
	bad := p
	bad.ID, bad.Version = "round-x", "nope"
	if err := s.CreatePeriod(ctx, bad, audit("ap4", "open_period", "x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("period of unknown version: %v, want ErrNotFound", err)
	}
	ps, err := s.Periods(ctx, "v1")
	must(t, err)
	if len(ps) != 2 || ps[0].ID != "round-0" || ps[1].ID != "round-1" {
		t.Fatalf("Periods %+v, want round-0 then round-1", ps)
	}
	want := p
	want.Start, want.End, want.CreatedAt = norm(p.Start), norm(p.End), norm(p.CreatedAt)
	if !reflect.DeepEqual(ps[1], want) {
		t.Errorf("period round trip:\n got %+v\nwant %+v", ps[1], want)
	}
	if len(ps[0].Clauses) != 0 {
		t.Errorf("no clauses came back as %v", ps[0].Clauses)
	}
	if ps, _ := s.Periods(ctx, "v9"); len(ps) != 0 {
		t.Errorf("periods of another version: %v", ps)
	}
}

func testFbParticipants(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	p := feedback.Participant{ID: "p1", EmailHash: "aa11", Group: feedback.Policymaker, CreatedAt: fbBase}
	got, created, err := s.AddParticipant(ctx, p, "p1@example.org")
	must(t, err)
	want := p
	want.CreatedAt = norm(p.CreatedAt)
	if !created || !reflect.DeepEqual(got, want) {
		t.Errorf("AddParticipant = %+v, %v", got, created)
	}
	again := feedback.Participant{ID: "p2", EmailHash: "aa11", Group: feedback.Public, CreatedAt: fbBase}
	got, created, err = s.AddParticipant(ctx, again, "p1@example.org")
	must(t, err)
	if created || got.ID != "p1" || got.Group != feedback.Policymaker {
		t.Errorf("same email hash: %+v created=%v, want the first participant unchanged", got, created)
	}
	if got, err := s.ParticipantByEmail(ctx, "aa11"); err != nil || got.ID != "p1" {
		t.Errorf("ParticipantByEmail = %+v, %v", got, err)
	}
	if _, err := s.Participant(ctx, "p2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("p2: %v, want ErrNotFound", err)
	}
	if _, err := s.ParticipantByEmail(ctx, "zz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: %v, want ErrNotFound", err)
	}
	if _, err := s.ConfirmParticipant(ctx, "nobody", fbBase); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("confirm unknown: %v, want ErrNotFound", err)
	}
}

func testFbTokens(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.AddToken(ctx, feedback.Token{Hash: "h1", Participant: "p1", Expires: fbBase.Add(time.Hour)}))
	must(t, s.AddToken(ctx, feedback.Token{Hash: "h2", Participant: "p1", Expires: fbBase.Add(time.Hour)}))
	if _, err := s.UseToken(ctx, "h2", fbBase.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired token: %v, want ErrNotFound", err)
	}
	tok, err := s.UseToken(ctx, "h1", fbBase)
	must(t, err)
	if tok.Participant != "p1" || !tok.Expires.Equal(norm(fbBase.Add(time.Hour))) {
		t.Errorf("token %+v", tok)
	}
	if _, err := s.UseToken(ctx, "h1", fbBase); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token used twice: %v, want ErrNotFound", err)
	}
}

func testFbItems(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	full := fbItem("i1", feedback.Published)
	must(t, s.AddItem(ctx, full))
	if err := s.AddItem(ctx, full); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate item: %v, want ErrExists", err)
	}
	got, err := s.Item(ctx, "i1")
	must(t, err)
	if !reflect.DeepEqual(got, normItem(full)) {
		t.Errorf("item round trip:\n got %+v\nwant %+v", got, normItem(full))
	}
	prop := feedback.Item{ID: "i2", Version: "v1", Kind: feedback.NewClause, Participant: "p1", Group: feedback.Public,
		ProposedKind: spec.Rule, ProposedTitle: "Cite sources", ProposedText: "Say where facts come from.",
		Status: feedback.Held, Screened: feedback.Held, Flags: []string{"hate"}, CreatedAt: fbBase.Add(time.Second)}
	must(t, s.AddItem(ctx, prop))
	i3 := fbItem("i3", feedback.Pending)
	i3.Clause, i3.CreatedAt = "other", fbBase.Add(2*time.Second)
	must(t, s.AddItem(ctx, i3))
	for _, tc := range []struct {
		f    store.FeedbackFilter
		want string
	}{
		{store.FeedbackFilter{}, "[i1 i2 i3]"},
		{store.FeedbackFilter{Clause: "be_kind"}, "[i1]"},
		{store.FeedbackFilter{Kind: feedback.NewClause}, "[i2]"},
		{store.FeedbackFilter{Status: []feedback.Status{feedback.Published, feedback.Pending}}, "[i1 i3]"},
		{store.FeedbackFilter{Participant: "p1", Limit: 2}, "[i1 i2]"},
		{store.FeedbackFilter{Version: "v2"}, "[]"},
		{store.FeedbackFilter{Period: "round-1"}, "[i1 i3]"},
	} {
		items, err := s.Items(ctx, tc.f)
		must(t, err)
		var ids []string
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		if got := fmt.Sprint(ids); got != tc.want && !(tc.want == "[]" && ids == nil) {
			t.Errorf("Items(%+v) = %s, want %s", tc.f, got, tc.want)
		}
	}
	orphan := fbItem("i4", feedback.Published)
	orphan.Version = "v9"
	if err := s.AddItem(ctx, orphan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("item of unknown version: %v, want ErrNotFound", err)
	}
	orphan = fbItem("i5", feedback.Published)
	orphan.Participant = "ghost"
	if err := s.AddItem(ctx, orphan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("item of unknown participant: %v, want ErrNotFound", err)
	}
	if _, err := s.Item(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown item: %v", err)
	}
}

func testFbStatements(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	st := fbStatement("s1", feedback.Published)
	must(t, s.AddStatement(ctx, st))
	if err := s.AddStatement(ctx, st); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate statement: %v", err)
	}
	got, err := s.Statement(ctx, "s1")
	must(t, err)
	if !reflect.DeepEqual(got, normStatement(st)) {
		t.Errorf("statement round trip:\n got %+v\nwant %+v", got, normStatement(st))
	}
	s2 := fbStatement("s2", feedback.Held)
	s2.Clause, s2.CreatedAt = "", fbBase.Add(time.Second)
	must(t, s.AddStatement(ctx, s2))
	list, err := s.Statements(ctx, store.FeedbackFilter{Status: []feedback.Status{feedback.Published}})
	must(t, err)
	if len(list) != 1 || list[0].ID != "s1" {
		t.Errorf("published statements %+v", list)
	}
	list, _ = s.Statements(ctx, store.FeedbackFilter{Version: "v1"})
	if len(list) != 2 || list[0].ID != "s1" {
		t.Errorf("statements of v1: %+v", list)
	}
	bad := fbStatement("s3", feedback.Published)
	bad.Version = "v9"
	if err := s.AddStatement(ctx, bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("statement of unknown version: %v", err)
	}
}

func testFbConfirm(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	a := fbItem("i1", feedback.Pending)
	a.Screened = feedback.Published
	b := fbItem("i2", feedback.Pending)
	b.Screened = feedback.Held
	st := fbStatement("s1", feedback.Pending)
	st.Screened = feedback.Published
	must(t, s.AddItem(ctx, a))
	must(t, s.AddItem(ctx, b))
	must(t, s.AddStatement(ctx, st))
	n, err := s.ConfirmParticipant(ctx, "p1", fbBase.Add(time.Minute))
	must(t, err)
	if n != 3 {
		t.Errorf("moved %d submissions, want 3", n)
	}
	for id, want := range map[string]feedback.Status{"i1": feedback.Published, "i2": feedback.Held} {
		if it, _ := s.Item(ctx, id); it.Status != want {
			t.Errorf("%s is %s, want %s", id, it.Status, want)
		}
	}
	if got, _ := s.Statement(ctx, "s1"); got.Status != feedback.Published {
		t.Errorf("statement is %s", got.Status)
	}
	p, _ := s.Participant(ctx, "p1")
	if !p.Confirmed.Equal(norm(fbBase.Add(time.Minute))) {
		t.Errorf("confirmed at %v", p.Confirmed)
	}
	n, err = s.ConfirmParticipant(ctx, "p1", fbBase.Add(time.Hour))
	must(t, err)
	p, _ = s.Participant(ctx, "p1")
	if n != 0 || !p.Confirmed.Equal(norm(fbBase.Add(time.Minute))) {
		t.Errorf("second confirmation moved %d and set %v; the first time stays", n, p.Confirmed)
	}
}

func testFbModerate(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.AddItem(ctx, fbItem("i1", feedback.Held)))
	must(t, s.AddStatement(ctx, fbStatement("s1", feedback.Held)))
	must(t, s.Moderate(ctx, store.ModerateItem, "i1", feedback.Published, audit("m1", "moderate", "item:i1")))
	must(t, s.Moderate(ctx, store.ModerateStatement, "s1", feedback.Rejected, audit("m2", "moderate", "statement:s1")))
	if it, _ := s.Item(ctx, "i1"); it.Status != feedback.Published {
		t.Errorf("item %s", it.Status)
	}
	if st, _ := s.Statement(ctx, "s1"); st.Status != feedback.Rejected {
		t.Errorf("statement %s", st.Status)
	}
	if err := s.Moderate(ctx, store.ModerateItem, "nope", feedback.Published, audit("m3", "moderate", "item:nope")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown item: %v", err)
	}
	if err := s.Moderate(ctx, store.ModerateItem, "i1", feedback.Pending, audit("m4", "moderate", "item:i1")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("to pending: %v, want ErrInvalid", err)
	}
	if err := s.Moderate(ctx, "user", "i1", feedback.Published, audit("m5", "moderate", "x")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown kind: %v, want ErrInvalid", err)
	}
	trail, err := s.Audit(ctx, 0)
	must(t, err)
	var ids []string
	for _, a := range trail {
		ids = append(ids, a.ID)
	}
	// Failed actions leave no entry.
	if fmt.Sprint(ids) != "[m2 m1 a-v1]" {
		t.Errorf("audit %v, want [m2 m1 a-v1] (newest first, failures not recorded)", ids)
	}
	want := audit("m2", "moderate", "statement:s1")
	want.At = norm(want.At)
	if !reflect.DeepEqual(trail[0], want) {
		t.Errorf("audit round trip:\n got %+v\nwant %+v", trail[0], want)
	}
	if trail, _ := s.Audit(ctx, 1); len(trail) != 1 {
		t.Errorf("limit 1 gave %d", len(trail))
	}
}

func testFbVotes(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.AddStatement(ctx, fbStatement("s1", feedback.Published)))
	must(t, s.AddStatement(ctx, fbStatement("s2", feedback.Published)))
	p2 := feedback.Participant{ID: "p2", EmailHash: "bb22", Group: feedback.Public, CreatedAt: fbBase}
	if _, _, err := s.AddParticipant(ctx, p2, "p2@example.org"); err != nil {
		t.Fatal(err)
	}
	must(t, s.Vote(ctx, feedback.Vote{Statement: "s1", Participant: "p1", Value: 1, At: fbBase}))
	must(t, s.Vote(ctx, feedback.Vote{Statement: "s1", Participant: "p1", Value: -1, At: fbBase.Add(time.Second)}))
	must(t, s.Vote(ctx, feedback.Vote{Statement: "s1", Participant: "p2", Value: 0, At: fbBase}))
	must(t, s.Vote(ctx, feedback.Vote{Statement: "s2", Participant: "p1", Value: 1, At: fbBase}))
	if err := s.Vote(ctx, feedback.Vote{Statement: "zz", Participant: "p1", Value: 1, At: fbBase}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("vote on unknown statement: %v", err)
	}
	votes, err := s.Votes(ctx, "v1")
	must(t, err)
	want := []feedback.Vote{
		{Statement: "s1", Participant: "p1", Value: -1, At: norm(fbBase.Add(time.Second))},
		{Statement: "s1", Participant: "p2", Value: 0, At: norm(fbBase)},
		{Statement: "s2", Participant: "p1", Value: 1, At: norm(fbBase)},
	}
	if !reflect.DeepEqual(votes, want) {
		t.Errorf("votes:\n got %+v\nwant %+v", votes, want)
	}
	if votes, _ := s.Votes(ctx, "v2"); len(votes) != 0 {
		t.Errorf("votes of another version: %v", votes)
	}
}

func testFbChanges(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.AddItem(ctx, fbItem("i1", feedback.Published)))
	must(t, s.AddItem(ctx, fbItem("i2", feedback.Published)))
	must(t, s.PublishVersion(ctx, fbVersion("v2", fbBase.Add(time.Hour)), audit("a-v2", "publish_version", "version:v2")))
	c := feedback.Change{ID: "c1", Version: "v2", Clause: "be_kind", Summary: "We softened it: «please» is now a suggestion.",
		Response: feedback.Accepted, Items: []string{"i2", "i1"}, At: fbBase.Add(time.Hour), By: "author-1"}
	must(t, s.AddChange(ctx, c, audit("ac1", "answer", "change:c1")))
	c2 := feedback.Change{ID: "c2", Version: "v2", Summary: "General tidying.", Response: feedback.Clarified, At: fbBase.Add(2 * time.Hour), By: "author-1"}
	must(t, s.AddChange(ctx, c2, audit("ac2", "answer", "change:c2")))
	bad := c
	bad.ID, bad.Items = "c3", []string{"i1", "ghost"}
	if err := s.AddChange(ctx, bad, audit("ac3", "answer", "change:c3")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("change answering an unknown item: %v, want ErrNotFound", err)
	}
	if got, _ := s.Changes(ctx, "", ""); len(got) != 2 {
		t.Errorf("a failed change left %d changes", len(got))
	}
	bad.ID, bad.Items, bad.Version = "c4", nil, "v9"
	if err := s.AddChange(ctx, bad, audit("ac4", "answer", "change:c4")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("change of unknown version: %v", err)
	}
	got, err := s.Changes(ctx, "", "i1")
	must(t, err)
	want := c
	want.At, want.Items = norm(c.At), []string{"i2", "i1"}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("changes answering i1:\n got %+v\nwant %+v", got, want)
	}
	all, _ := s.Changes(ctx, "v2", "")
	if len(all) != 2 || all[1].ID != "c2" || all[1].Items == nil || len(all[1].Items) != 0 {
		t.Errorf("changes of v2: %+v", all)
	}
	if none, _ := s.Changes(ctx, "v1", ""); len(none) != 0 {
		t.Errorf("changes of v1: %+v", none)
	}
}

func testFbRoles(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	must(t, s.SetRole(ctx, "h1", feedback.Author, audit("r1", "set_role", "h1")))
	must(t, s.SetRole(ctx, "h2", feedback.Moderator, audit("r2", "set_role", "h2")))
	must(t, s.SetRole(ctx, "h2", feedback.Author, audit("r3", "set_role", "h2")))
	must(t, s.SetRole(ctx, "h1", "", audit("r4", "set_role", "h1")))
	if r, err := s.Role(ctx, "h1"); err != nil || r != "" {
		t.Errorf("removed role: %q, %v", r, err)
	}
	if r, _ := s.Role(ctx, "h2"); r != feedback.Author {
		t.Errorf("role %q", r)
	}
	roles, err := s.Roles(ctx)
	must(t, err)
	if !reflect.DeepEqual(roles, map[string]feedback.Role{"h2": feedback.Author}) {
		t.Errorf("roles %v", roles)
	}
	if err := s.SetRole(ctx, "h3", "king", audit("r5", "set_role", "h3")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown role: %v", err)
	}
}

func testFbOutbox(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	m1 := feedback.Message{ID: "m1", To: "a@example.org", Subject: "Confirm", Body: "link 1", CreatedAt: fbBase}
	m2 := feedback.Message{ID: "m2", To: "b@example.org", Subject: "Confirm", Body: "link 2", CreatedAt: fbBase.Add(time.Second)}
	m3 := feedback.Message{ID: "m3", To: "a@example.org", Subject: "Confirm", Body: "link 3", CreatedAt: fbBase.Add(2 * time.Second)}
	for _, m := range []feedback.Message{m1, m2, m3} {
		must(t, s.AddMessage(ctx, m))
	}
	got, err := s.Messages(ctx, "a@example.org")
	must(t, err)
	m1.CreatedAt, m3.CreatedAt = norm(m1.CreatedAt), norm(m3.CreatedAt)
	if !reflect.DeepEqual(got, []feedback.Message{m1, m3}) {
		t.Errorf("outbox for a:\n got %+v", got)
	}
	if all, _ := s.Messages(ctx, ""); len(all) != 3 {
		t.Errorf("outbox has %d", len(all))
	}
}

func testFbInvalid(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	bad := fbItem("i1", feedback.Published)
	bad.Group = "martians"
	if err := s.AddItem(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("invalid item: %v, want ErrInvalid", err)
	}
	if err := s.AddStatement(ctx, feedback.Statement{ID: "s1", Version: "v1", Participant: "p1", Status: feedback.Published, CreatedAt: fbBase}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty statement: %v, want ErrInvalid", err)
	}
	if err := s.Vote(ctx, feedback.Vote{Statement: "s1", Participant: "p1", Value: 2, At: fbBase}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("vote 2: %v, want ErrInvalid", err)
	}
	if err := s.PublishVersion(ctx, feedback.Version{ID: "bad id", Source: "x", PublishedAt: fbBase}, audit("x", "publish_version", "x")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad version id: %v, want ErrInvalid", err)
	}
	if err := s.AddChange(ctx, feedback.Change{ID: "c", Version: "v1", At: fbBase, Response: feedback.Accepted}, audit("y", "answer", "x")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("change without summary: %v, want ErrInvalid", err)
	}
	if err := s.CreatePeriod(ctx, feedback.Period{ID: "p", Version: "v1", Title: "t", Start: fbBase, End: fbBase}, audit("z", "open_period", "x")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty period: %v, want ErrInvalid", err)
	}
	// What the records' own Validate does not check, every backend refuses
	// too (store.Check*).
	expect(t, store.ErrInvalid, map[string]error{
		"participant without an id": func() error {
			_, _, err := s.AddParticipant(ctx, feedback.Participant{EmailHash: "bb22", CreatedAt: fbBase}, "x@example.org")
			return err
		}(),
		"token without a hash":          s.AddToken(ctx, feedback.Token{Participant: "p1", Expires: fbBase}),
		"message without a recipient":   s.AddMessage(ctx, feedback.Message{ID: "m1", CreatedAt: fbBase}),
		"moderating a vote":             s.Moderate(ctx, "vote", "x", feedback.Published, audit("m", "moderate", "x")),
		"moderating to pending":         s.Moderate(ctx, store.ModerateItem, "x", feedback.Pending, audit("m", "moderate", "x")),
		"an unknown role":               s.SetRole(ctx, "aa11", "king", audit("r", "set_role", "x")),
		"an audit entry with no action": s.PublishVersion(ctx, fbVersion("v2", fbBase), feedback.AuditEntry{ID: "a", At: fbBase}),
		"items with a negative limit": func() error {
			_, err := s.Items(ctx, store.FeedbackFilter{Limit: -1})
			return err
		}(),
		"statements with a negative limit": func() error {
			_, err := s.Statements(ctx, store.FeedbackFilter{Limit: -1})
			return err
		}(),
		"audit with a negative limit": func() error {
			_, err := s.Audit(ctx, -1)
			return err
		}(),
	})
	if _, err := s.Version(ctx, "v2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a version published with an invalid audit entry was kept: %v", err)
	}
	if trail, _ := s.Audit(ctx, 0); len(trail) != 1 {
		t.Errorf("refused actions left audit entries: %+v", trail)
	}
}

// testFbConcurrent writes items and votes from many goroutines: nothing
// is lost, and each participant keeps one vote per statement.
func testFbConcurrent(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.AddStatement(ctx, fbStatement("s1", feedback.Published)))
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid := fmt.Sprint("w", w)
			if _, _, err := s.AddParticipant(ctx, feedback.Participant{ID: pid, EmailHash: "h" + pid, Group: feedback.Public, CreatedAt: fbBase}, pid+"@example.org"); err != nil {
				errs <- err
				return
			}
			for i := range each {
				it := fbItem(fmt.Sprintf("i-%d-%d", w, i), feedback.Published)
				it.Participant = pid
				errs <- s.AddItem(ctx, it)
				errs <- s.Vote(ctx, feedback.Vote{Statement: "s1", Participant: pid, Value: i%3 - 1, At: fbBase.Add(time.Duration(i) * time.Second)})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	items, _ := s.Items(ctx, store.FeedbackFilter{})
	votes, _ := s.Votes(ctx, "")
	if len(items) != workers*each || len(votes) != workers {
		t.Errorf("%d items and %d votes, want %d and %d", len(items), len(votes), workers*each, workers)
	}
}

func testFbClosed(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	closeTwice(t, s)
	calls := map[string]error{"AddMessage": s.AddMessage(ctx, feedback.Message{ID: "m", To: "a@example.org", CreatedAt: fbBase})}
	_, calls["Versions"] = s.Versions(ctx)
	expect(t, store.ErrClosed, calls)
}

func testFbContext(t *testing.T, s store.Feedback) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]error{"PublishVersion": s.PublishVersion(ctx, fbVersion("v1", fbBase), audit("a", "publish_version", "v1"))}
	_, calls["Versions"] = s.Versions(ctx)
	expect(t, context.Canceled, calls)
}

// testFbAudit: each staff action writes exactly one entry.
func testFbAudit(t *testing.T, s store.Feedback) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreatePeriod(ctx, feedback.Period{ID: "r", Version: "v1", Title: "t", Start: fbBase, End: fbBase.Add(time.Hour)}, audit("e2", "open_period", "period:r")))
	must(t, s.SetRole(ctx, "h", feedback.Moderator, audit("e3", "set_role", "h")))
	must(t, s.AddChange(ctx, feedback.Change{ID: "c", Version: "v1", Summary: "s", Response: feedback.Declined, At: fbBase}, audit("e4", "answer", "change:c")))
	trail, err := s.Audit(ctx, 0)
	must(t, err)
	var ids []string
	for _, a := range trail {
		ids = append(ids, a.ID)
	}
	if fmt.Sprint(ids) != "[e4 e3 e2 a-v1]" {
		t.Errorf("audit %v", ids)
	}
	if err := s.SetRole(ctx, "h", feedback.Author, audit("e3", "set_role", "h")); !errors.Is(err, store.ErrExists) {
		t.Errorf("audit id reused: %v, want ErrExists", err)
	}
	if r, _ := s.Role(ctx, "h"); r != feedback.Moderator {
		t.Errorf("an action whose audit entry failed took effect: role %q", r)
	}
}
