package specsite

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/sqlite"
	"github.com/modelspec/modelspec/internal/web"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a site on a fresh SQLite store, a test server and helpers.
type fixture struct {
	t     *testing.T
	st    store.Feedback
	site  *Site
	srv   *httptest.Server
	clock *clock
	key   []byte
}

var screenerOnce = sync.OnceValues(func() (*feedback.Screener, error) {
	reg, err := builtin.Registry(builtin.Options{})
	if err != nil {
		return nil, err
	}
	return feedback.NewScreener(reg), nil
})

// newFixture starts a site. mod may change the options.
func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	st, err := sqlite.OpenFeedback(context.Background(), filepath.Join(t.TempDir(), "fb.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sessions, err := web.NewSessions([]byte(strings.Repeat("k", 32)), web.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scr, err := screenerOnce()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, clock: &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}, key: []byte("email-key")}
	var n atomic.Int64
	src := rand.NewChaCha8([32]byte{1})
	var srcMu sync.Mutex
	// Each test client sends its own X-Forwarded-For, so that the per-IP
	// limit sees them as the different people they stand for.
	opts := Options{Store: st, Sessions: sessions, Screener: scr, EmailKey: f.key, BaseURL: "http://spec.test", TrustForwarded: true,
		Now: f.clock.Now, NewID: func() string { return fmt.Sprintf("id%04d", n.Add(1)) },
		Random: readerFunc(func(p []byte) (int, error) { srcMu.Lock(); defer srcMu.Unlock(); return src.Read(p) })}
	if mod != nil {
		mod(&opts)
	}
	f.site, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.site.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

const specV1 = `---
name: acme
version: v1
---
## Be kind {#be_kind authority=user kind=default}

Say please, and see [the rule](#no_lies).

**Example**: a rude request

~~~xml
<user>
Give me the answer.
</user>
<comparison>
<assistant> <!-- GOOD -->
Here it is, and thank you.
</assistant>
<assistant> <!-- BAD: rude -->
Whatever.
</assistant>
</comparison>
~~~

## No lies {#no_lies authority=root kind=rule}

Never state what you know to be false.
`

var specV2 = strings.Replace(strings.Replace(specV1, "version: v1", "version: v2", 1),
	"Say please, and see", "Say please when it helps the user, and see", 1)

// publish stores a version as the CLI would, with an open period of a
// week on it.
func (f *fixture) publish(src string) feedback.Version {
	f.t.Helper()
	ctx := context.Background()
	v, err := feedback.NewVersion("spec.md", []byte(src), "", "notes", "cli", f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.PublishVersion(ctx, v, feedback.AuditEntry{ID: "pub-" + v.ID, At: f.clock.Now(), Actor: "cli", Action: "publish_version"}); err != nil {
		f.t.Fatal(err)
	}
	p := feedback.Period{ID: "round-" + v.ID, Version: v.ID, Title: "Round " + v.ID, Start: f.clock.Now().Add(-time.Hour), End: f.clock.Now().Add(7 * 24 * time.Hour)}
	if err := f.st.CreatePeriod(ctx, p, feedback.AuditEntry{ID: "per-" + v.ID, At: f.clock.Now(), Actor: "cli", Action: "open_period"}); err != nil {
		f.t.Fatal(err)
	}
	return v
}

// role gives an address a role.
func (f *fixture) role(email string, r feedback.Role) {
	f.t.Helper()
	h := feedback.HashEmail(f.key, email)
	if err := f.st.SetRole(context.Background(), h, r, feedback.AuditEntry{ID: "role-" + email, At: f.clock.Now(), Actor: "cli", Action: "set_role"}); err != nil {
		f.t.Fatal(err)
	}
}

// client is a browser-like HTTP client with its own cookies and its own
// client address.
type client struct {
	f *fixture
	c *http.Client
}

var clientIPs atomic.Int64

func (f *fixture) client() *client {
	jar, _ := cookiejar.New(nil)
	n := clientIPs.Add(1)
	ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	return &client{f: f, c: &http.Client{Jar: jar, Transport: forwarded{ip},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// forwarded sets X-Forwarded-For as a proxy in front of the site would.
type forwarded struct{ ip string }

func (f forwarded) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// get fetches a page and returns its status and body.
func (c *client) get(path string) (int, string) {
	c.f.t.Helper()
	resp, err := c.c.Get(c.f.srv.URL + path)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// token reads the CSRF token from a page the client fetches.
func (c *client) token(path string) string {
	c.f.t.Helper()
	_, body := c.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		c.f.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// post submits a form (with the token given, if any) and returns the
// status, the Location header and the body.
func (c *client) post(path string, form url.Values) (int, string, string) {
	c.f.t.Helper()
	resp, err := c.c.PostForm(c.f.srv.URL+path, form)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

var linkRE = regexp.MustCompile(`http://spec\.test(/spec/confirm\?token=[A-Za-z0-9_-]+)`)

// confirmLink returns the path of the newest confirmation link sent to email.
func (f *fixture) confirmLink(email string) string {
	f.t.Helper()
	ms, err := f.st.Messages(context.Background(), email)
	if err != nil || len(ms) == 0 {
		f.t.Fatalf("no message to %s (%v)", email, err)
	}
	m := linkRE.FindStringSubmatch(ms[len(ms)-1].Body)
	if m == nil {
		f.t.Fatalf("no link in %q", ms[len(ms)-1].Body)
	}
	return m[1]
}

// confirm follows the newest link sent to email.
func (c *client) confirm(email string) string {
	c.f.t.Helper()
	link := c.f.confirmLink(email)
	tok := c.token(link)
	u, _ := url.Parse(link)
	code, _, body := c.post("/spec/confirm", url.Values{"csrf_token": {tok}, "token": {u.Query().Get("token")}})
	if code != http.StatusOK || !strings.Contains(body, "you are signed in") {
		c.f.t.Fatalf("confirm: %d %s", code, body)
	}
	return body
}

// signIn signs the client in as email.
func (c *client) signIn(email string) {
	c.f.t.Helper()
	tok := c.token("/spec/signin")
	if code, _, body := c.post("/spec/signin", url.Values{"csrf_token": {tok}, "email": {email}, "group": {"public"}}); code != http.StatusAccepted {
		c.f.t.Fatalf("sign in: %d %s", code, body)
	}
	c.confirm(email)
}

func TestPagesRender(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(specV1)
	f.clock.Add(time.Minute)
	f.publish(specV2)
	c := f.client()
	for path, want := range map[string]string{
		"/spec/":                       "Published versions",
		"/spec/v/v1/":                  "Be kind",
		"/spec/v/v1/c/be_kind":         "a rude request",
		"/spec/v/v2/diff":              "<ins>please when it helps the user,</ins>",
		"/spec/v/v2/diff?from=v1":      "reworded",
		"/spec/v/v1/statements":        "No statements yet",
		"/spec/v/v1/consensus":         "No votes yet",
		"/spec/v/v1/propose":           "Propose a new clause",
		"/spec/changelog":              "v2",
		"/spec/signin":                 "Send me the link",
		"/spec/static/site.css":        "font:",
		"/spec/go?version=v2&clause=x": "",
	} {
		code, body := c.get(path)
		if code != http.StatusOK && code != http.StatusSeeOther {
			t.Errorf("%s: %d\n%s", path, code, body)
		} else if !strings.Contains(body, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
	for path, want := range map[string]int{
		"/spec/v/v9/":                 404,
		"/spec/v/v1/c/nope":           404,
		"/spec/v/v1/diff":             404, // the first version
		"/spec/item/nope":             404,
		"/spec/nowhere":               404,
		"/spec/admin":                 403,
		"/spec/go?version=..%2F..%2F": 400,
	} {
		if code, body := c.get(path); code != want {
			t.Errorf("%s: %d, want %d\n%s", path, code, want, body)
		}
	}
	// The clause page links cross references within the version and
	// carries the security headers.
	resp, err := http.Get(f.srv.URL + "/spec/v/v1/c/be_kind")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `href="/spec/v/v1/c/no_lies"`) {
		t.Error("cross reference not linked to the clause page")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}
