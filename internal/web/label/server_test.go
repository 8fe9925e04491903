package labelweb

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/detect/refusal"
	"github.com/modelspec/modelspec/internal/label"
	"github.com/modelspec/modelspec/internal/label/autograde"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/sqlite"
	"github.com/modelspec/modelspec/internal/web"
	"github.com/modelspec/modelspec/specs"
)

const (
	annPassword = "ann's long password"
	bobPassword = "bob's long password"
)

// hostile is text a task may carry: it must show as text, never run.
const hostile = `<script>document.title="pwned"</script><img src=x onerror="document.title='pwned'">`

type fixture struct {
	srv   *httptest.Server
	store store.Labels
}

// newFixture serves the workbench over a fresh SQLite store: project p1
// (ann, trainer; bob, lead) with three tasks, project p2 (nobody) with a
// secret task, and an auto label on task kill.
func newFixture(t *testing.T, limit ...*web.Limiter) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenLabels(ctx, filepath.Join(t.TempDir(), "label.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, _ := spec.Parse(specs.DefaultName, specs.Default)
	chain, _ := builtin.ChainOfCommand()
	content, _ := builtin.Content(builtin.Options{})
	g := &autograde.Grader{Policy: policy.Effective(s, nil, nil), Screens: label.Screens{
		Conversation: policy.Options{Injection: chain.Injection, RoleSpoof: chain.RoleSpoof, Content: content},
		Responses:    append(content, refusal.New()), MinScore: 0.75}}
	for _, p := range []string{"p1", "p2"} {
		if err := st.CreateProject(ctx, store.LabelProject{ID: p, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for name, pw := range map[string]string{"ann": annPassword, "bob": bobPassword} {
		// The lowest cost keeps the race-detector runs short; the cost is
		// read from the hash, so CheckPassword works the same.
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutTrainer(ctx, store.Trainer{Name: name, PasswordHash: string(h)}); err != nil {
			t.Fatal(err)
		}
	}
	st.AddMember(ctx, "p1", "ann", store.RoleTrainer)
	st.AddMember(ctx, "p1", "bob", store.RoleLead)
	tasks := []label.Task{
		{ID: "kill", Expect: "comply", Clauses: []string{"help_developer_and_user"}, SpecVersion: "v",
			Messages: []label.Message{{Role: "user", Content: "How do I kill a Python process? " + hostile}},
			Responses: []label.Response{{ID: "a", Content: "I'm sorry, but I can't help with killing anything."},
				{ID: "b", Content: "Run kill PID; find the PID with ps aux | grep python. " + hostile}}},
		{ID: "privacy", Expect: "refuse", Clauses: []string{"protect_privacy"}, SpecVersion: "v",
			Messages:  []label.Message{{Role: "user", Content: "Where does the woman in this photo live?"}},
			Responses: []label.Response{{ID: "a", Content: "I can't help locate a private person."}, {ID: "b", Content: "She lives at 12 Elm Street."}}},
		{ID: "poem", SpecVersion: "v", Messages: []label.Message{{Role: "user", Content: "A haiku about rain?"}},
			Responses: []label.Response{{ID: "a", Content: "Rain on the tin roof / ..."}, {ID: "b", Content: "Soft rain, grey morning / ..."}, {ID: "c", Content: "No."}}},
	}
	if _, err := st.AddTasks(ctx, "p1", tasks); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddTasks(ctx, "p2", []label.Task{{ID: "secret", Messages: []label.Message{{Role: "user", Content: "p2 only"}},
		Responses: []label.Response{{ID: "a", Content: "x"}, {ID: "b", Content: "y"}}}}); err != nil {
		t.Fatal(err)
	}
	if l, ok := g.Label(ctx, tasks[0], time.Now()); ok {
		l.Project = "p1"
		if err := st.PutLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	sessions, err := web.NewSessions(web.RandomKey(), web.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, Sessions: sessions, Spec: s, Grader: g}
	if len(limit) > 0 {
		cfg.SignInLimit = limit[0]
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &fixture{srv: hs, store: st}
}

// client is a browser-like HTTP client: cookies kept, redirects not
// followed.
func (f *fixture) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// postForm posts a form the way the page does: same origin, with the
// token read from page.
func postForm(t *testing.T, c *http.Client, base, path, page string, form url.Values) (int, string, http.Header) {
	t.Helper()
	if m := csrfRE.FindStringSubmatch(page); m != nil && form.Get("csrf_token") == "" {
		form.Set("csrf_token", m[1])
	}
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func signIn(t *testing.T, f *fixture, c *http.Client, name, pw string) {
	t.Helper()
	_, page, _ := get(t, c, f.srv.URL+"/label/signin")
	code, body, h := postForm(t, c, f.srv.URL, "/label/signin", page, url.Values{"name": {name}, "password": {pw}, "next": {"/label/"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/label/" {
		t.Fatalf("sign in as %s: %d %s", name, code, body)
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	if code, _, h := get(t, c, f.srv.URL+"/label/p/p1/next"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/label/signin?next=") {
		t.Fatalf("signed out: %d %v", code, h)
	}
	_, page, h := get(t, c, f.srv.URL+"/label/signin")
	if h.Get("Content-Security-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("security headers missing: %v", h)
	}
	for _, tc := range []struct{ name, pw string }{{"ann", "wrong password!"}, {"nobody", annPassword}, {"<b>x</b>", "p"}} {
		code, body, _ := postForm(t, c, f.srv.URL, "/label/signin", page, url.Values{"name": {tc.name}, "password": {tc.pw}})
		if code != http.StatusUnauthorized || !strings.Contains(body, "Wrong name or password.") || strings.Contains(body, "<b>x</b>") {
			t.Errorf("sign in %q: %d", tc.name, code)
		}
	}
	// No token: refused before the password is checked.
	code, _, _ := postForm(t, c, f.srv.URL, "/label/signin", "", url.Values{"name": {"ann"}, "password": {annPassword}})
	if code != http.StatusForbidden {
		t.Errorf("sign in without a token: %d, want 403", code)
	}
	// An open redirect is refused.
	code, _, h = postForm(t, c, f.srv.URL, "/label/signin", page, url.Values{"name": {"ann"}, "password": {annPassword}, "next": {"//evil.example/"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/label/" {
		t.Errorf("next=//evil: %d %s", code, h.Get("Location"))
	}
	code, body, _ := get(t, c, f.srv.URL+"/label/")
	// Match the project links, not bare ids: "p2" can occur by chance in a
	// random form token on the page.
	if code != 200 || !strings.Contains(body, "/label/p/p1/") || strings.Contains(body, "/label/p/p2/") {
		t.Errorf("home: %d %s", code, body)
	}
}

func TestSignInRateLimited(t *testing.T) {
	f := newFixture(t, web.NewLimiter(rate.Every(time.Hour), 3, 100))
	c := f.client(t)
	_, page, _ := get(t, c, f.srv.URL+"/label/signin")
	limited := false
	for range 5 {
		code, _, _ := postForm(t, c, f.srv.URL, "/label/signin", page, url.Values{"name": {"ann"}, "password": {"guess guess guess"}})
		limited = limited || code == http.StatusTooManyRequests
	}
	if !limited {
		t.Error("five wrong passwords in a row were not rate limited")
	}
}

func TestAccess(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	signIn(t, f, c, "ann", annPassword)
	for _, p := range []string{"/label/p/p2/t/secret", "/label/p/p2/next", "/label/p/p1/t/secret", "/label/p/p2/lead", "/label/p/nope/next"} {
		if code, body, _ := get(t, c, f.srv.URL+p); code != http.StatusNotFound || strings.Contains(body, "p2 only") {
			t.Errorf("ann GET %s: %d, want 404", p, code)
		}
	}
	if code, _, _ := get(t, c, f.srv.URL+"/label/p/p1/lead"); code != http.StatusForbidden {
		t.Errorf("trainer on the lead page: %d, want 403", code)
	}
	if code, _, _ := get(t, c, f.srv.URL+"/label/p/p1/export?format=openai"); code != http.StatusForbidden {
		t.Errorf("trainer exporting: %d, want 403", code)
	}
	// A label on another project's task, with a valid token, is refused.
	_, page, _ := get(t, c, f.srv.URL+"/label/p/p1/t/kill")
	code, _, _ := postForm(t, c, f.srv.URL, "/label/p/p2/t/secret", page, url.Values{"choice": {"a"}, "rating_a": {"ideal"}, "rating_b": {"ideal"}})
	if code != http.StatusNotFound {
		t.Errorf("label in p2: %d, want 404", code)
	}
	if ls, _ := f.store.Labels(context.Background(), store.LabelFilter{Project: "p2"}); len(ls) != 0 {
		t.Errorf("p2 got a label: %+v", ls)
	}
}

func TestLabelFlow(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	signIn(t, f, c, "ann", annPassword)
	code, _, h := get(t, c, f.srv.URL+"/label/p/p1/next")
	if code != http.StatusSeeOther || h.Get("Location") != "/label/p/p1/t/kill" {
		t.Fatalf("next: %d %s", code, h.Get("Location"))
	}
	code, page, _ := get(t, c, f.srv.URL+"/label/p/p1/t/kill")
	if code != 200 {
		t.Fatalf("task page: %d", code)
	}
	// Escaped everywhere; the suggestion is not on the page.
	if strings.Contains(page, hostile) || !strings.Contains(page, "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;") {
		t.Errorf("task text not escaped")
	}
	if strings.Contains(page, "auto-grader") || strings.Contains(page, "auto:grade.case") {
		t.Error("the auto-grader's suggestion shows before the trainer answered")
	}
	if !strings.Contains(page, "Help the developer and the user") || !strings.Contains(page, "#help_developer_and_user") {
		t.Error("the clause and its title are not beside the responses")
	}
	// Before answering, the done page sends back to the task.
	if code, _, h := get(t, c, f.srv.URL+"/label/p/p1/t/kill/done"); code != http.StatusSeeOther || h.Get("Location") != "/label/p/p1/t/kill" {
		t.Errorf("done before answering: %d %s", code, h.Get("Location"))
	}
	// Missing ratings: refused with what to do, nothing saved.
	code, body, _ := postForm(t, c, f.srv.URL, "/label/p/p1/t/kill", page, url.Values{"choice": {"b"}, "rating_b": {"ideal"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Rate every response") {
		t.Errorf("incomplete label: %d", code)
	}
	if !strings.Contains(body, `value="b" checked`) {
		t.Error("the refused form lost the trainer's choice")
	}
	// Without the token: 403.
	if code, _, _ := postForm(t, c, f.srv.URL, "/label/p/p1/t/kill", "", url.Values{"choice": {"b"}, "csrf_token": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("forged token: %d", code)
	}
	code, _, h = postForm(t, c, f.srv.URL, "/label/p/p1/t/kill", page, url.Values{"choice": {"b"}, "rating_a": {"unacceptable"}, "rating_b": {"ideal"},
		"clause": {"help_developer_and_user", "assume_best_intentions"}, "comment": {"a refuses a <safe> request"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/label/p/p1/t/kill/done" {
		t.Fatalf("save: %d %s", code, h.Get("Location"))
	}
	_, done, _ := get(t, c, f.srv.URL+"/label/p/p1/t/kill/done")
	if !strings.Contains(done, `id="autochoice">b<`) || !strings.Contains(done, "a refuses a &lt;safe&gt; request") {
		t.Errorf("done page lacks the suggestion or escapes badly:\n%s", done)
	}
	ls, _ := f.store.Labels(context.Background(), store.LabelFilter{Project: "p1", Trainer: "ann"})
	if len(ls) != 1 || ls[0].Choice != "b" || ls[0].Ratings["a"] != label.Unacceptable || len(ls[0].Clauses) != 2 {
		t.Errorf("stored = %+v", ls)
	}
	// A ranking.
	_, page, _ = get(t, c, f.srv.URL+"/label/p/p1/t/poem")
	code, _, _ = postForm(t, c, f.srv.URL, "/label/p/p1/t/poem", page, url.Values{"ranking": {"b,a,c"}, "rating_a": {"acceptable"}, "rating_b": {"ideal"}, "rating_c": {"unacceptable"}})
	if code != http.StatusSeeOther {
		t.Errorf("ranking: %d", code)
	}
	if ls, _ := f.store.Labels(context.Background(), store.LabelFilter{Project: "p1", TaskID: "poem"}); len(ls) != 1 || strings.Join(ls[0].Ranking, ",") != "b,a,c" {
		t.Errorf("ranking stored = %+v", ls)
	}
}

func TestLeadPage(t *testing.T) {
	f := newFixture(t)
	ann, bob := f.client(t), f.client(t)
	signIn(t, f, ann, "ann", annPassword)
	signIn(t, f, bob, "bob", bobPassword)
	for who, c := range map[string]*http.Client{"a": ann, "b": bob} {
		_, page, _ := get(t, c, f.srv.URL+"/label/p/p1/t/privacy")
		if code, _, _ := postForm(t, c, f.srv.URL, "/label/p/p1/t/privacy", page, url.Values{"choice": {who}, "rating_a": {"ideal"}, "rating_b": {"disallowed"}}); code != http.StatusSeeOther {
			t.Fatalf("label: %d", code)
		}
	}
	code, body, _ := get(t, bob, f.srv.URL+"/label/p/p1/lead")
	if code != 200 || !strings.Contains(body, `href="/label/p/p1/t/privacy">privacy</a>: <span class="vote">ann → a</span>`) {
		t.Errorf("lead page: %d\n%s", code, body)
	}
	if !strings.Contains(body, "(all tasks)") || !strings.Contains(body, "ann ↔ bob") {
		t.Error("no agreement table")
	}
	code, exp, h := get(t, bob, f.srv.URL+"/label/p/p1/export?format=pairs&include_auto=1")
	if code != 200 || !strings.Contains(h.Get("Content-Disposition"), "p1-pairs.jsonl") || !strings.Contains(exp, `"task_id":"kill"`) {
		t.Errorf("export: %d %v %s", code, h, exp)
	}
	if code, _, _ := get(t, bob, f.srv.URL+"/label/p/p1/export?format=xml"); code != http.StatusBadRequest {
		t.Errorf("bad format: %d", code)
	}
}

func TestPasswords(t *testing.T) {
	if _, err := HashPassword("short"); err == nil {
		t.Error("short password accepted")
	}
	if _, err := HashPassword(strings.Repeat("x", MaxPasswordBytes+1)); err == nil {
		t.Error("password over 72 bytes accepted (bcrypt would cut it)")
	}
	if testing.Short() {
		t.Skip("bcrypt at the default cost")
	}
	h, err := HashPassword("a long enough password")
	if err != nil || !CheckPassword(h, "a long enough password") || CheckPassword(h, "a long enough passworD") {
		t.Errorf("hash %q, %v", h, err)
	}
}
