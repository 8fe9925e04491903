package specsite

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/testutil/browser"
)

// TestBrowserFlow is the whole loop in a real headless Chromium: read a
// clause, send feedback (with markup in it), confirm the address from the
// outbox, vote on statements, sign in as the author, publish a new
// version and answer the feedback, and see the answer from the item as an
// anonymous reader. No script from a submission ever runs.
func TestBrowserFlow(t *testing.T) {
	ctx := browser.New(t)
	f := newFixture(t, nil)
	f.publish(specV1)
	f.role("author@example.org", feedback.Author)
	bg := context.Background()
	f.st.AddParticipant(bg, feedback.Participant{ID: "seed", EmailHash: "h-seed", Group: feedback.Public, CreatedAt: f.clock.Now()}, "")
	for i, text := range []string{"Politeness is part of helpfulness.", "Terse tools need no please."} {
		if err := f.st.AddStatement(bg, feedback.Statement{ID: []string{"sa", "sb"}[i], Version: "v1", Text: text, Participant: "seed",
			Alias: "the authors", Status: feedback.Published, CreatedAt: f.clock.Now().Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}

	var dialogs atomic.Int64
	go func() {
		for _, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			dialogs.Add(1)
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	u := f.srv.URL

	// Read a clause.
	do("open the clause", chromedp.Navigate(u+"/spec/v/v1/c/be_kind"), chromedp.WaitVisible(chromedp.ID("clause-title")))
	if got := text("#clause-title"); got != "Be kind" {
		t.Errorf("title %q", got)
	}
	if body := text("#clause-body"); !strings.Contains(body, "Say please") {
		t.Errorf("body %q", body)
	}

	// Send feedback, markup and all, with an address.
	do("fill the feedback form",
		chromedp.Click(chromedp.CSS(`input[name=stance][value=oppose]`)),
		chromedp.Click(chromedp.CSS(`input[name=understood][value=partly]`)),
		chromedp.SendKeys(chromedp.ID("comment"), "Too much for a terse tool. "+xss),
		chromedp.SetValue(chromedp.ID("group"), "developer"),
		chromedp.SendKeys(chromedp.ID("email"), "reader@example.org"),
		chromedp.Click(chromedp.ID("submit-feedback")),
		chromedp.WaitVisible(chromedp.ID("check")))
	items, _ := f.st.Items(bg, store.FeedbackFilter{})
	if len(items) != 1 || items[0].Status != feedback.Pending || items[0].Group != feedback.DeveloperUser {
		t.Fatalf("stored %+v", items)
	}
	id := items[0].ID

	// Confirm from the outbox: the item is published and we are signed in.
	do("confirm", chromedp.Navigate(u+f.confirmLink("reader@example.org")), chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("confirmed")))
	do("see the item", chromedp.Navigate(u+"/spec/item/"+id), chromedp.WaitVisible(chromedp.ID("comment")))
	if got := text("#comment"); !strings.Contains(got, `<script>alert("x")</script>`) {
		t.Errorf("the markup is not shown as text: %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#item-`+id+` script, #item-`+id+` img").length`)); err != nil || n != 0 {
		t.Errorf("the item grew %d script/img elements (%v)", n, err)
	}

	// Vote on statements.
	do("vote", chromedp.Navigate(u+"/spec/v/v1/statements"),
		chromedp.Click(chromedp.CSS(`#s-sa button.agree`)), chromedp.WaitVisible(chromedp.CSS(`#s-sa .myvote`)),
		chromedp.Click(chromedp.CSS(`#s-sb button.disagree`)), chromedp.WaitVisible(chromedp.CSS(`#s-sb .myvote`)))
	if got := text("#s-sb .myvote"); got != "your vote: disagree" {
		t.Errorf("vote shown as %q", got)
	}
	if votes, _ := f.st.Votes(bg, "v1"); len(votes) != 2 {
		t.Errorf("%d votes stored, want 2", len(votes))
	}

	// Sign out, sign in as the author, publish v2 and answer the item.
	do("sign out", chromedp.Click(chromedp.CSS(`form[action="/spec/signout"] button`)), chromedp.WaitVisible(chromedp.ID("nav-signin")))
	do("sign in as the author", chromedp.Navigate(u+"/spec/signin"), chromedp.SendKeys(chromedp.ID("signin-email"), "author@example.org"),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("check")))
	do("confirm the author", chromedp.Navigate(u+f.confirmLink("author@example.org")), chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("nav-admin")))
	f.clock.Add(time.Hour)
	do("publish v2", chromedp.Navigate(u+"/spec/admin"), chromedp.WaitVisible(chromedp.ID("publish-source")),
		chromedp.SetValue(chromedp.ID("publish-source"), specV2),
		chromedp.SendKeys(chromedp.ID("publish-notes"), "Politeness where it helps."),
		chromedp.Click(chromedp.ID("submit-publish")), chromedp.WaitVisible(chromedp.CSS(`table.clauses`)))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/spec/v/v2/") {
		t.Fatalf("after publishing at %s", loc)
	}
	do("answer", chromedp.Navigate(u+"/spec/item/"+id), chromedp.WaitVisible(chromedp.ID("answer-form")),
		chromedp.SetValue(chromedp.ID("answer-version"), "v2"),
		chromedp.SetValue(chromedp.ID("answer-response"), "accepted"),
		chromedp.SendKeys(chromedp.ID("answer-summary"), "v2 asks for please only where it helps."),
		chromedp.Click(chromedp.ID("submit-answer")), chromedp.WaitNotPresent(chromedp.ID("no-answer")))

	// An anonymous reader sees the answer and follows it to v2.
	do("sign out again", chromedp.Click(chromedp.CSS(`form[action="/spec/signout"] button`)), chromedp.WaitVisible(chromedp.ID("nav-signin")))
	do("read the answer", chromedp.Navigate(u+"/spec/item/"+id), chromedp.WaitVisible(chromedp.ID("answers")))
	if got := text("#answers"); !strings.Contains(got, "v2 asks for please only where it helps.") || !strings.Contains(got, "accepted") {
		t.Errorf("answers %q", got)
	}
	do("follow it to v2", chromedp.Click(chromedp.CSS(`a.answer-version`)), chromedp.WaitVisible(chromedp.ID("clause-body")))
	if body := text("#clause-body"); !strings.Contains(body, "when it helps the user") {
		t.Errorf("v2 clause body %q", body)
	}
	// The version switcher takes the reader back to the same clause in v1.
	do("switch version", chromedp.SetValue(chromedp.ID("switch-version"), "v1"), chromedp.Submit(chromedp.ID("switcher")), chromedp.WaitVisible(chromedp.ID("clause-body")))
	if body := text("#clause-body"); strings.Contains(body, "when it helps the user") {
		t.Error("switcher did not go to v1")
	}
	if d := dialogs.Load(); d != 0 {
		t.Errorf("%d script dialogs opened: a payload ran", d)
	}
}
