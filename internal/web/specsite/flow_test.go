package specsite

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
)

func feedbackForm(tok string, extra map[string]string) url.Values {
	v := url.Values{"csrf_token": {tok}, "stance": {"oppose"}, "understood": {"partly"}, "group": {"domain_expert"},
		"comment": {"Please is too much for a terse tool."}}
	for k, x := range extra {
		v.Set(k, x)
	}
	return v
}

// TestFeedbackFlow: anonymous feedback waits for the address to be
// confirmed, is published on confirmation, the author answers it in a new
// version, and the answer shows on the item.
func TestFeedbackFlow(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(specV1)
	ctx := context.Background()
	c := f.client()
	tok := c.token("/spec/v/v1/c/be_kind")

	code, _, body := c.post("/spec/v/v1/c/be_kind/feedback", feedbackForm(tok, map[string]string{"email": "ada@example.org"}))
	if code != http.StatusAccepted || !strings.Contains(body, "Check your email") {
		t.Fatalf("anonymous feedback: %d\n%s", code, body)
	}
	items, _ := f.st.Items(ctx, store.FeedbackFilter{})
	if len(items) != 1 || items[0].Status != feedback.Pending {
		t.Fatalf("items %+v, want one pending", items)
	}
	if _, b := c.get("/spec/v/v1/c/be_kind"); strings.Contains(b, "too much for a terse tool") {
		t.Error("pending feedback is shown before confirmation")
	}
	c.confirm("ada@example.org")
	it, _ := f.st.Item(ctx, items[0].ID)
	if it.Status != feedback.Published {
		t.Fatalf("after confirmation: %s", it.Status)
	}
	if _, b := c.get("/spec/v/v1/c/be_kind"); !strings.Contains(b, "too much for a terse tool") || !strings.Contains(b, "Signed in as participant") {
		t.Error("confirmed feedback not shown, or not signed in")
	}
	// A token works once.
	link := f.confirmLink("ada@example.org")
	u, _ := url.Parse(link)
	if code, _, _ := c.post("/spec/confirm", url.Values{"csrf_token": {c.token(link)}, "token": {u.Query().Get("token")}}); code != http.StatusBadRequest {
		t.Errorf("reused token: %d, want 400", code)
	}

	// Signed in, feedback is published at once.
	tok = c.token("/spec/v/v1/c/no_lies")
	code, loc, _ := c.post("/spec/v/v1/c/no_lies/feedback", url.Values{"csrf_token": {tok}, "stance": {"support"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/spec/item/") {
		t.Fatalf("signed-in feedback: %d %s", code, loc)
	}

	// The author publishes v2 and answers the first item.
	f.role("author@example.org", feedback.Author)
	a := f.client()
	a.signIn("author@example.org")
	f.clock.Add(time.Hour)
	tok = a.token("/spec/admin")
	code, loc, body = a.post("/spec/admin/publish", url.Values{"csrf_token": {tok}, "source": {specV2}, "notes": {"Softer politeness."}})
	if code != http.StatusSeeOther || loc != "/spec/v/v2/" {
		t.Fatalf("publish: %d %s\n%s", code, loc, body)
	}
	tok = a.token("/spec/item/" + it.ID)
	code, _, body = a.post("/spec/admin/answer", url.Values{"csrf_token": {tok}, "item": {it.ID}, "version": {"v2"},
		"response": {"accepted"}, "summary": {"We now say please only when it helps."}})
	if code != http.StatusSeeOther {
		t.Fatalf("answer: %d\n%s", code, body)
	}
	anon := f.client()
	_, b := anon.get("/spec/item/" + it.ID)
	if !strings.Contains(b, "We now say please only when it helps.") || !strings.Contains(b, `href="/spec/v/v2/c/be_kind"`) {
		t.Errorf("item page lacks the answer and the version it led to:\n%s", b)
	}
	if _, b := anon.get("/spec/changelog"); !strings.Contains(b, "Softer politeness.") || !strings.Contains(b, "/spec/item/"+it.ID) {
		t.Error("changelog lacks the notes or the answered item")
	}
	trail, _ := f.st.Audit(ctx, 0)
	actions := map[string]int{}
	for _, e := range trail {
		actions[e.Action]++
	}
	if actions["publish_version"] != 2 || actions["answer"] != 1 {
		t.Errorf("audit %v", actions)
	}
	// A participant without a role cannot publish or answer.
	tok = c.token("/spec/v/v1/")
	if code, _, _ := c.post("/spec/admin/publish", url.Values{"csrf_token": {tok}, "source": {specV2}}); code != http.StatusForbidden {
		t.Errorf("publish by a participant: %d, want 403", code)
	}
}

// TestCSRF: every form needs the session's token.
func TestCSRF(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(specV1)
	c := f.client()
	c.token("/spec/v/v1/c/be_kind") // a session, but no token sent
	for path, form := range map[string]url.Values{
		"/spec/v/v1/c/be_kind/feedback": feedbackForm("", map[string]string{"email": "x@example.org"}),
		"/spec/v/v1/propose":            {"kind": {"rule"}, "title": {"t"}, "text": {"x"}, "email": {"x@example.org"}, "group": {"public"}},
		"/spec/v/v1/statements":         {"text": {"a statement"}, "email": {"x@example.org"}, "group": {"public"}},
		"/spec/vote":                    {"statement": {"s"}, "vote": {"agree"}},
		"/spec/signin":                  {"email": {"x@example.org"}, "group": {"public"}},
		"/spec/confirm":                 {"token": {"t"}},
		"/spec/signout":                 {},
		"/spec/admin/moderate":          {"what": {"item"}, "id": {"i"}, "to": {"published"}},
		"/spec/admin/publish":           {"source": {specV1}},
		"/spec/admin/period":            {"version": {"v1"}},
		"/spec/admin/answer":            {"item": {"i"}},
		"/spec/admin/statement":         {"version": {"v1"}, "text": {"t"}},
	} {
		for _, tok := range []string{"", "forged-token"} {
			form.Set("csrf_token", tok)
			if code, _, _ := c.post(path, form); code != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d, want 403", path, tok, code)
			}
		}
	}
	if items, _ := f.st.Items(context.Background(), store.FeedbackFilter{}); len(items) != 0 {
		t.Errorf("a forged request stored %d items", len(items))
	}
	// A cross-site browser request is refused even with a good token.
	tok := c.token("/spec/v/v1/c/be_kind")
	req, _ := http.NewRequest("POST", f.srv.URL+"/spec/v/v1/c/be_kind/feedback", strings.NewReader(feedbackForm(tok, map[string]string{"email": "x@example.org"}).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
}

// TestRateLimitBurst: 1,000 submissions at once from one address store
// at most the burst; the rest get 429.
func TestRateLimitBurst(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Burst = 5; o.WritesPerMinute = 6 })
	f.publish(specV1)
	c := f.client()
	c.signIn("burst@example.org") // one confirmation: a write from the sign-in form
	tok := c.token("/spec/v/v1/c/be_kind")
	form := url.Values{"csrf_token": {tok}, "stance": {"support"}}.Encode()
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for range 1000 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			req, _ := http.NewRequest("POST", f.srv.URL+"/spec/v/v1/c/be_kind/feedback", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.c.Do(req)
			if err != nil {
				other.Add(1)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusSeeOther:
				ok.Add(1)
			case http.StatusTooManyRequests:
				limited.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	items, _ := f.st.Items(context.Background(), store.FeedbackFilter{})
	// The sign-in used one token of the address's bucket; the burst is 5
	// and the clock does not move, so at most 4 more get through.
	if ok.Load() > 4 || int64(len(items)) != ok.Load() || other.Load() != 0 || ok.Load()+limited.Load() != 1000 {
		t.Errorf("accepted %d, limited %d, other %d, stored %d; want at most 4 accepted and stored, the rest 429", ok.Load(), limited.Load(), other.Load(), len(items))
	}
	// The same burst of anonymous submissions, each naming another
	// address, is held by the per-IP limit.
	anon := f.client()
	tok = anon.token("/spec/v/v1/c/be_kind")
	accepted := 0
	for i := range 200 {
		code, _, _ := anon.post("/spec/v/v1/c/be_kind/feedback", feedbackForm(tok, map[string]string{"email": "a" + strings.Repeat("x", i%50) + "@example.org"}))
		if code == http.StatusAccepted {
			accepted++
		}
	}
	if accepted > 5 {
		t.Errorf("%d anonymous submissions from one IP accepted, want at most the burst of 5", accepted)
	}
}

// xss is a payload for every text field.
const xss = `<script>alert("x")</script>"'><img src=x onerror=alert(1)><svg onload=alert(2)>`

// TestXSSEscaped: markup in every field comes back as text.
func TestXSSEscaped(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(specV1)
	f.role("mod@example.org", feedback.Moderator)
	c := f.client()
	c.signIn("writer@example.org")
	tok := c.token("/spec/v/v1/c/be_kind")
	_, loc, _ := c.post("/spec/v/v1/c/be_kind/feedback", url.Values{"csrf_token": {tok}, "stance": {"unsure"}, "understood": {"no"},
		"reading": {xss}, "missing": {xss}, "comment": {xss}, "edit": {xss}})
	_, ploc, _ := c.post("/spec/v/v1/propose", url.Values{"csrf_token": {tok}, "kind": {"rule"}, "title": {xss}, "text": {xss}, "comment": {xss}})
	c.post("/spec/v/v1/statements", url.Values{"csrf_token": {tok}, "text": {xss}})
	// A statement with many links is held: the desk shows it.
	c.post("/spec/v/v1/statements", url.Values{"csrf_token": {tok}, "text": {xss + " http://a.example http://b.example http://c.example http://d.example"}})
	// An answer and release notes written with markup.
	it, _ := f.st.Item(context.Background(), strings.TrimPrefix(loc, "/spec/item/"))
	if err := f.st.AddChange(context.Background(), feedback.Change{ID: "cx", Version: "v1", Clause: "be_kind", Summary: xss, Response: feedback.Declined,
		Items: []string{it.ID}, At: f.clock.Now()}, feedback.AuditEntry{ID: "ax", At: f.clock.Now(), Action: "answer"}); err != nil {
		t.Fatal(err)
	}
	m := f.client()
	m.signIn("mod@example.org")
	for _, path := range []string{loc, ploc, "/spec/v/v1/c/be_kind", "/spec/v/v1/statements", "/spec/admin", "/spec/changelog"} {
		if path == "" {
			t.Fatal("a submission was refused")
		}
		_, body := m.get(path)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, "<svg onload") {
			t.Errorf("%s holds live markup", path)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("%s does not show the payload as text", path)
		}
	}
	// Error pages escape what they repeat.
	code, body := c.get("/spec/v/" + url.PathEscape(`<b>x</b>`) + "/")
	if code != http.StatusNotFound || strings.Contains(body, "<b>x</b>") {
		t.Errorf("error page: %d, unescaped input", code)
	}
}

// TestModeration: abuse and spam wait for a moderator; what a moderator
// decides is recorded.
func TestModeration(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(specV1)
	c := f.client()
	c.signIn("angry@example.org")
	tok := c.token("/spec/v/v1/c/be_kind")
	_, loc, _ := c.post("/spec/v/v1/c/be_kind/feedback", url.Values{"csrf_token": {tok}, "comment": {"I hate black people, they are animals."}})
	id := strings.TrimPrefix(loc, "/spec/item/")
	it, err := f.st.Item(context.Background(), id)
	if err != nil || it.Status != feedback.Held || !strings.Contains(strings.Join(it.Flags, ","), "hate") {
		t.Fatalf("abusive item %+v, %v: want held for hate", it, err)
	}
	anon := f.client()
	if code, _ := anon.get("/spec/item/" + id); code != http.StatusNotFound {
		t.Errorf("held item visible to the public: %d", code)
	}
	if _, b := c.get("/spec/item/" + id); !strings.Contains(b, "waiting for a moderator") {
		t.Error("the author does not see that it waits")
	}
	f.role("mod@example.org", feedback.Moderator)
	m := f.client()
	m.signIn("mod@example.org")
	_, desk := m.get("/spec/admin")
	if !strings.Contains(desk, "held-"+id) {
		t.Fatal("held item not on the desk")
	}
	// A moderator may not publish versions.
	tok = m.token("/spec/admin")
	if code, _, _ := m.post("/spec/admin/publish", url.Values{"csrf_token": {tok}, "source": {specV2}}); code != http.StatusForbidden {
		t.Errorf("moderator publishing: %d, want 403", code)
	}
	if code, _, _ := m.post("/spec/admin/moderate", url.Values{"csrf_token": {tok}, "what": {"item"}, "id": {id}, "to": {"rejected"}, "reason": {"abuse"}}); code != http.StatusSeeOther {
		t.Fatalf("moderate: %d", code)
	}
	it, _ = f.st.Item(context.Background(), id)
	trail, _ := f.st.Audit(context.Background(), 1)
	if it.Status != feedback.Rejected || trail[0].Action != "moderate" || trail[0].Detail != "held -> rejected: abuse" || trail[0].Target != "item:"+id {
		t.Errorf("after moderation: %s, audit %+v", it.Status, trail[0])
	}
	// A published item can be hidden from its page; the desk's audit
	// trail shows it.
	tok = c.token("/spec/v/v1/c/be_kind")
	_, ok2, _ := c.post("/spec/v/v1/c/be_kind/feedback", url.Values{"csrf_token": {tok}, "comment": {"Fine as it is."}})
	id2 := strings.TrimPrefix(ok2, "/spec/item/")
	_, page := m.get(ok2)
	if !strings.Contains(page, `id="hide"`) {
		t.Fatal("no hide button for the moderator")
	}
	tok = m.token(ok2)
	m.post("/spec/admin/moderate", url.Values{"csrf_token": {tok}, "what": {"item"}, "id": {id2}, "to": {"rejected"}, "reason": {"off topic"}})
	if code, _ := anon.get(ok2); code != http.StatusNotFound {
		t.Errorf("hidden item still public: %d", code)
	}
	if _, d := m.get("/spec/admin"); !strings.Contains(d, "published -&gt; rejected: off topic") {
		t.Error("the desk's audit trail lacks the hiding")
	}
	// Personal data is masked before anyone sees it.
	tok = c.token("/spec/v/v1/c/be_kind")
	_, loc, _ = c.post("/spec/v/v1/c/be_kind/feedback", url.Values{"csrf_token": {tok}, "comment": {"I led the study; write to grace.hopper@navy.example.mil or phone +1 415 555 0132 for the data."}})
	_, b := anon.get(loc)
	if strings.Contains(b, "grace.hopper") || strings.Contains(b, "555 0132") || !strings.Contains(b, "[EMAIL_1]") {
		t.Errorf("personal data not masked:\n%s", b)
	}
}

// TestClosedPeriod: outside a period the pages stay readable and every
// write is refused.
func TestClosedPeriod(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(specV1)
	c := f.client()
	c.signIn("late@example.org")
	f.clock.Add(8 * 24 * time.Hour) // the week is over
	code, body := c.get("/spec/v/v1/c/be_kind")
	if code != http.StatusOK || strings.Contains(body, "feedback-form") || !strings.Contains(body, "Writing is closed") {
		t.Errorf("clause page after the period: %d", code)
	}
	tok := c.token("/spec/v/v1/c/be_kind")
	if code, _, _ := c.post("/spec/v/v1/c/be_kind/feedback", url.Values{"csrf_token": {tok}, "stance": {"support"}}); code != http.StatusForbidden {
		t.Errorf("feedback after the period: %d, want 403", code)
	}
	if code, _, _ := c.post("/spec/v/v1/propose", url.Values{"csrf_token": {tok}, "kind": {"rule"}, "title": {"t"}, "text": {"x"}}); code != http.StatusForbidden {
		t.Errorf("proposal after the period: %d, want 403", code)
	}
	if code, _, _ := c.post("/spec/v/v1/statements", url.Values{"csrf_token": {tok}, "text": {"Kindness is a default."}}); code != http.StatusForbidden {
		t.Errorf("statement after the period: %d, want 403", code)
	}
	// An unknown clause is a 404, to read or to write.
	if code, body := c.get("/spec/v/v1/c/no_such_clause"); code != http.StatusNotFound || !strings.Contains(body, "has no clause no_such_clause") {
		t.Errorf("page of an unknown clause: %d", code)
	}
	if code, _, _ := c.post("/spec/v/v1/c/no_such_clause/feedback", url.Values{"csrf_token": {tok}, "stance": {"support"}}); code != http.StatusNotFound {
		t.Errorf("feedback on an unknown clause: %d, want 404", code)
	}
	// A period limited to some clauses leaves the others closed.
	ctx := context.Background()
	f.st.CreatePeriod(ctx, feedback.Period{ID: "narrow", Version: "v1", Title: "Only rules", Start: f.clock.Now(), End: f.clock.Now().Add(time.Hour), Clauses: []string{"no_lies"}},
		feedback.AuditEntry{ID: "n", At: f.clock.Now(), Action: "open_period"})
	if code, _, _ := c.post("/spec/v/v1/c/be_kind/feedback", url.Values{"csrf_token": {tok}, "stance": {"support"}}); code != http.StatusForbidden {
		t.Errorf("feedback on a clause out of scope: %d, want 403", code)
	}
	if code, _, _ := c.post("/spec/v/v1/c/no_lies/feedback", url.Values{"csrf_token": {tok}, "stance": {"support"}}); code != http.StatusSeeOther {
		t.Errorf("feedback on a clause in scope: %d, want 303", code)
	}
}

// TestVotesAndConsensus: two opinion groups vote; the consensus page
// draws them and ranks the shared statement first; the export holds the
// votes and no address.
func TestVotesAndConsensus(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(specV1)
	ctx := context.Background()
	texts := []string{"Politeness matters.", "Terse tools need no please.", "Rudeness is never acceptable.", "Lies are never acceptable."}
	for i, text := range texts {
		f.st.AddParticipant(ctx, feedback.Participant{ID: "author", EmailHash: "h-author", Group: feedback.Public, CreatedAt: f.clock.Now()}, "")
		if err := f.st.AddStatement(ctx, feedback.Statement{ID: "st" + string(rune('a'+i)), Version: "v1", Text: text, Participant: "author",
			Alias: "the authors", Status: feedback.Published, CreatedAt: f.clock.Now().Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	// Group A agrees with a and c, disagrees with b; group B the
	// opposite; everyone agrees with d.
	stance := map[bool][]string{true: {"agree", "disagree", "agree", "agree"}, false: {"disagree", "agree", "disagree", "agree"}}
	var emails []string
	for i := range 6 {
		email := "voter" + string(rune('0'+i)) + "@example.org"
		emails = append(emails, email)
		c := f.client()
		c.signIn(email)
		tok := c.token("/spec/v/v1/statements")
		for j, v := range stance[i < 3] {
			if code, _, body := c.post("/spec/vote", url.Values{"csrf_token": {tok}, "statement": {"st" + string(rune('a'+j))}, "vote": {v}}); code != http.StatusSeeOther {
				t.Fatalf("vote: %d %s", code, body)
			}
		}
		// Voting again replaces the vote.
		c.post("/spec/vote", url.Values{"csrf_token": {tok}, "statement": {"std"}, "vote": {"agree"}})
	}
	_, page := f.client().get("/spec/v/v1/consensus")
	if strings.Count(page, `class="pt g0"`) != 3 || strings.Count(page, `class="pt g1"`) != 3 {
		t.Errorf("chart does not show two groups of three")
	}
	unite := page[strings.Index(page, `id="unite"`):strings.Index(page, `id="divide"`)]
	if i := strings.Index(unite, "Lies are never acceptable."); i < 0 || i > strings.Index(unite, "Politeness matters.") {
		t.Error("the shared statement does not rank first among those that unite")
	}
	if !strings.Contains(page[strings.Index(page, `id="divide"`):], "Terse tools need no please.") {
		t.Error("a dividing statement is missing")
	}
	_, raw := f.client().get("/spec/export.json")
	var e feedback.Export
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Votes) != 24 || len(e.Statements) != 4 {
		t.Errorf("export: %d votes, %d statements; want 24 and 4", len(e.Votes), len(e.Statements))
	}
	for _, em := range emails {
		if strings.Contains(raw, em) {
			t.Errorf("export holds %s", em)
		}
	}
	// Anonymous visitors cannot vote.
	anon := f.client()
	tok := anon.token("/spec/v/v1/statements")
	if code, _, _ := anon.post("/spec/vote", url.Values{"csrf_token": {tok}, "statement": {"sta"}, "vote": {"agree"}}); code != http.StatusForbidden {
		t.Errorf("anonymous vote: %d, want 403", code)
	}
}

// TestNoEmailShown: after every kind of submission, no page (public,
// the participant's own, the moderation desk), no export and no log line
// holds an address.
func TestNoEmailShown(t *testing.T) {
	var logs strings.Builder
	var logMu sync.Mutex
	f := newFixture(t, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			logMu.Lock()
			defer logMu.Unlock()
			return logs.Write(p)
		}), nil))
	})
	f.publish(specV1)
	f.role("boss@example.org", feedback.Author)
	c := f.client()
	tok := c.token("/spec/v/v1/c/be_kind")
	c.post("/spec/v/v1/c/be_kind/feedback", feedbackForm(tok, map[string]string{"email": "first.last@example.org"}))
	c.confirm("first.last@example.org")
	tok = c.token("/spec/v/v1/c/be_kind")
	_, loc, _ := c.post("/spec/v/v1/c/be_kind/feedback", url.Values{"csrf_token": {tok}, "stance": {"support"}, "group": {"institution"}})
	c.post("/spec/v/v1/propose", url.Values{"csrf_token": {tok}, "kind": {"default"}, "title": {"Cite"}, "text": {"Cite sources."}})
	c.post("/spec/v/v1/statements", url.Values{"csrf_token": {tok}, "text": {"Sources matter."}})
	boss := f.client()
	boss.signIn("boss@example.org")
	var pages []string
	for _, path := range []string{"/spec/", "/spec/v/v1/", "/spec/v/v1/c/be_kind", "/spec/v/v1/statements", "/spec/v/v1/consensus",
		"/spec/changelog", "/spec/export.json", "/spec/export/items.csv", "/spec/export/votes.csv", loc} {
		for _, cl := range []*client{f.client(), c, boss} {
			_, body := cl.get(path)
			pages = append(pages, path+"\n"+body)
		}
	}
	_, desk := boss.get("/spec/admin")
	pages = append(pages, "/spec/admin\n"+desk)
	for _, p := range pages {
		for _, em := range []string{"first.last", "boss@", "@example.org"} {
			if strings.Contains(p, em) {
				t.Errorf("%s shows %q", strings.SplitN(p, "\n", 2)[0], em)
			}
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	if strings.Contains(logs.String(), "@example.org") || !strings.Contains(logs.String(), "confirmation written") {
		t.Errorf("logs hold an address, or the outbox writes are not logged:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
