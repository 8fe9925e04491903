package labelweb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/testutil/browser"
)

// TestWorkbenchInBrowser drives the workbench in headless Chromium the way
// a trainer does: sign in, label a task with the keyboard only, see the
// auto-grader's suggestion only afterwards, rank the next task, then sign
// in as the lead and export. Every check is an assertion on the page or
// the store.
func TestWorkbenchInBrowser(t *testing.T) {
	f := newFixture(t)
	ctx := browser.New(t)
	ctxStore := context.Background()
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	location := func() string {
		t.Helper()
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(u, f.srv.URL)
	}
	keys := func(k string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatalf("key %q: %v", k, err)
		}
	}
	waitFor := func(sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatalf("wait for %s: %v (at %s)", sel, err, location())
		}
	}

	// Sign in: the protected page sends to the form and back.
	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/label/p/p1/next")); err != nil {
		t.Fatal(err)
	}
	waitFor("#name")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "ann"),
		chromedp.SendKeys(chromedp.CSS("#password"), annPassword+kb.Enter),
	); err != nil {
		t.Fatal(err)
	}
	waitFor("#task")
	if got := location(); got != "/label/p/p1/t/kill" {
		t.Fatalf("after sign-in at %s, want the next task", got)
	}
	if text("#who") != "ann" {
		t.Errorf("signed-in name = %q", text("#who"))
	}
	// Hostile text is shown as text: no script ran, no element injected.
	if title := eval(`document.title`); title == "pwned" {
		t.Fatal("a task's text ran as script")
	}
	if n := eval(`document.querySelectorAll("main img, main script").length`); n != float64(0) {
		t.Errorf("%v elements injected from task text", n)
	}
	if !strings.Contains(text("#resp-b .text"), `<script>document.title="pwned"</script>`) {
		t.Error("hostile text not shown literally")
	}
	// The suggestion is nowhere on the page before answering.
	if n := eval(`document.querySelectorAll("#suggestion, #autochoice").length + (document.body.innerText.includes("auto-grader") ? 1 : 0)`); n != float64(0) {
		t.Fatal("the auto-grader's suggestion shows before the trainer answered")
	}
	// The clause is shown with its title from the spec.
	if !strings.Contains(text("#clauses"), "Help the developer and the user") {
		t.Errorf("clauses panel = %q", text("#clauses"))
	}

	// Label with the keyboard only: 2 chooses B (and focuses it), a rates
	// it ideal; k back to A, d rates it unacceptable; c goes to the first
	// clause, space cites it, Esc back; m to the comment, type, Esc; Enter.
	keys("2")
	keys("a")
	keys("k")
	keys("d")
	keys("c")
	keys(" ")
	keys(kb.Escape)
	keys("m")
	keys("refuses a safe <request>")
	keys(kb.Escape)
	if got := eval(`document.querySelector('input[name="choice"]:checked').value + "|" +
		document.querySelector('input[name="rating_a"]:checked').value + "|" + document.querySelector('input[name="rating_b"]:checked').value`); got != "b|unacceptable|ideal" {
		t.Fatalf("form after the keys = %v", got)
	}
	keys(kb.Enter)
	waitFor("#suggestion")
	if got := location(); got != "/label/p/p1/t/kill/done" {
		t.Errorf("after saving at %s", got)
	}
	if text("#mychoice") != "b" || text("#autochoice") != "b" {
		t.Errorf("done page: mine %q, suggestion %q", text("#mychoice"), text("#autochoice"))
	}
	if !strings.Contains(text("#suggestion"), "help_developer_and_user unacceptable") {
		t.Errorf("suggestion without its reason: %q", text("#suggestion"))
	}
	ls, err := f.store.Labels(ctxStore, store.LabelFilter{Project: "p1", TaskID: "kill", Trainer: "ann"})
	if err != nil || len(ls) != 1 {
		t.Fatalf("stored: %v %v", ls, err)
	}
	l := ls[0]
	if l.Choice != "b" || l.Ratings["a"] != label.Unacceptable || l.Ratings["b"] != label.Ideal ||
		strings.Join(l.Clauses, ",") != "help_developer_and_user" || l.Comment != "refuses a safe <request>" {
		t.Errorf("stored label = %+v", l)
	}

	// n goes to the next task; rank it with the keyboard: r, then 1 2.
	keys("n")
	waitFor("#task")
	if got := location(); got != "/label/p/p1/t/poem" && got != "/label/p/p1/t/privacy" {
		t.Fatalf("next task at %s", got)
	}
	next := strings.TrimPrefix(location(), "/label/p/p1/t/")
	n := int(eval(`document.querySelectorAll(".response").length`).(float64))
	keys("r")
	order := ""
	for i := n; i >= 1; i-- { // the last response best, the first worst
		keys(string(rune('0' + i)))
		if order != "" {
			order += ","
		}
		order += label.DefaultResponseID(i - 1)
	}
	if got := eval(`document.getElementById("ranking").value`); got != order {
		t.Errorf("ranking field = %v, want %s", got, order)
	}
	if got := eval(`document.querySelector('#resp-a .rank').textContent`); got != "rank "+string(rune('0'+n)) {
		t.Errorf("rank shown on A = %v", got)
	}
	keys("k") // focus back to the first response
	for i := 0; i < n-1; i++ {
		keys("k")
	}
	for range n {
		keys("s") // acceptable each, moving down
	}
	keys(kb.Enter)
	waitFor("#suggestion")
	ls, _ = f.store.Labels(ctxStore, store.LabelFilter{Project: "p1", TaskID: next, Trainer: "ann"})
	if len(ls) != 1 || strings.Join(ls[0].Ranking, ",") != order || len(ls[0].Ratings) != n {
		t.Errorf("ranked label = %+v", ls)
	}

	// A second trainer's disagreement, then the lead's page and export.
	bobLabel := label.Label{Project: "p1", TaskID: "kill", Trainer: "bob", Kind: label.Human, Choice: "a",
		Ratings: map[string]label.Rating{"a": label.Acceptable, "b": label.Ideal}, Time: time.Now()}
	if err := f.store.PutLabel(ctxStore, bobLabel); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".signout button"))); err != nil {
		t.Fatal(err)
	}
	waitFor("#name")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(f.srv.URL+"/label/signin?next=/label/p/p1/lead"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "bob"),
		chromedp.SendKeys(chromedp.CSS("#password"), bobPassword),
		chromedp.Click(chromedp.CSS("#signin")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor("#disagreements")
	d := text("#disagreements")
	if !strings.Contains(d, "kill") || !strings.Contains(d, "ann → b") || !strings.Contains(d, "bob → a") {
		t.Errorf("disagreements = %q", d)
	}
	if !strings.Contains(text("#agreement"), "ann ↔ bob") {
		t.Errorf("agreement = %q", text("#agreement"))
	}
	exported := eval(`fetch(document.getElementById("export-openai").href).then(r => r.text())`).(string)
	lines := strings.Split(strings.TrimSpace(exported), "\n")
	if len(lines) == 0 || !strings.Contains(exported, `"preferred_output"`) || !strings.Contains(exported, `"task_id":"`+next+`"`) {
		t.Errorf("export from the lead page = %q", exported)
	}
}
