package web

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newSessions(t *testing.T, now *time.Time) *Sessions {
	t.Helper()
	s, err := NewSessions([]byte(strings.Repeat("k", 32)), SessionOptions{TTL: time.Hour, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cookieOf returns the session cookie a response set.
func cookieOf(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == "modelspec_session" {
			return c
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

func TestShortKey(t *testing.T) {
	if _, err := NewSessions([]byte("short"), SessionOptions{}); err != ErrShortKey {
		t.Errorf("err = %v, want ErrShortKey", err)
	}
}

func TestSessionRoundTripTamperExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSessions(t, &now)
	rec := httptest.NewRecorder()
	in := s.SignIn(rec, httptest.NewRequest("GET", "/", nil), "ada")
	c := cookieOf(t, rec)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie flags: HttpOnly=%v SameSite=%v", c.HttpOnly, c.SameSite)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(c)
	got, ok := s.Get(req)
	if !ok || got != in || got.Subject != "ada" || got.CSRF == "" {
		t.Fatalf("Get = %+v, %v; want %+v", got, ok, in)
	}

	// Any change to the cookie, or another key, invalidates it.
	for _, v := range []string{c.Value + "x", "x" + c.Value, strings.Replace(c.Value, ".", "", 1), ""} {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: c.Name, Value: v})
		if _, ok := s.Get(r); ok {
			t.Errorf("tampered cookie %q accepted", v)
		}
	}
	other, _ := NewSessions([]byte(strings.Repeat("o", 32)), SessionOptions{Now: func() time.Time { return now }})
	if _, ok := other.Get(req); ok {
		t.Error("cookie accepted under another key")
	}

	now = now.Add(time.Hour)
	if _, ok := s.Get(req); ok {
		t.Error("expired session accepted")
	}
}

func TestEnsureAndSignInIDs(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSessions(t, &now)
	rec := httptest.NewRecorder()
	anon := s.Ensure(rec, httptest.NewRequest("GET", "/", nil))
	if anon.Subject != "" || anon.ID == "" {
		t.Fatalf("anonymous session = %+v", anon)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookieOf(t, rec))
	rec2 := httptest.NewRecorder()
	if again := s.Ensure(rec2, req); again != anon || len(rec2.Result().Cookies()) != 0 {
		t.Errorf("Ensure with a session started another: %+v", again)
	}
	in := s.SignIn(httptest.NewRecorder(), req, "ada")
	if in.ID == anon.ID || in.CSRF == anon.CSRF {
		t.Error("sign-in kept the anonymous session id (session fixation)")
	}
}

func TestProtect(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSessions(t, &now)
	rec := httptest.NewRecorder()
	sess := s.Ensure(rec, httptest.NewRequest("GET", "/", nil))
	cookie := cookieOf(t, rec)
	h := s.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))

	form := func(token string) *http.Request {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(url.Values{CSRFFormField: {token}, "a": {"1"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
		return r
	}
	cases := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"get passes", httptest.NewRequest("GET", "/x", nil), 200},
		{"form token", form(sess.CSRF), 200},
		{"wrong token", form(sess.CSRF + "x"), 403},
		{"no token", form(""), 403},
		{"no session", func() *http.Request {
			r := form(sess.CSRF)
			r.Header.Del("Cookie")
			return r
		}(), 403},
		{"header token", func() *http.Request {
			r := httptest.NewRequest("POST", "/x", strings.NewReader("{}"))
			r.AddCookie(cookie)
			r.Header.Set(CSRFHeader, sess.CSRF)
			return r
		}(), 200},
		{"cross-site with a valid token", func() *http.Request {
			r := form(sess.CSRF)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}(), 403},
		{"same-origin", func() *http.Request {
			r := form(sess.CSRF)
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			return r
		}(), 200},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, c.req)
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, c.want, rec.Body)
		}
	}
	// The hidden field carries exactly the token, escaped.
	if f := string(CSRFField(sess)); !strings.Contains(f, `name="csrf_token"`) || !strings.Contains(f, sess.CSRF) {
		t.Errorf("CSRFField = %s", f)
	}
}

func TestRender(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`{{define "ok"}}<p>{{.}}</p>{{end}}{{define "bad"}}<p>start {{.Missing}}</p>{{end}}`))
	rec := httptest.NewRecorder()
	Render(rec, tmpl, "ok", 201, `<script>alert(1)</script>`)
	if rec.Code != 201 || rec.Body.String() != "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" {
		t.Errorf("Render ok: %d %q", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	Render(rec, tmpl, "bad", 200, "a string has no field Missing")
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "start") {
		t.Errorf("a failing template: %d %q; want 500 without the partial page", rec.Code, rec.Body)
	}
}

func TestSecureHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	Secure(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("%s not set", h)
		}
	}
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'self'") {
		t.Error("CSP allows scripts from elsewhere")
	}
}

func TestLimiterBurstAndBound(t *testing.T) {
	l := NewLimiter(1, 5, 100) // 1/s, bursts of 5
	allowed := 0
	for range 1000 {
		if l.Allow("203.0.113.7") {
			allowed++
		}
	}
	// The loop takes well under a second, so at most one token refills.
	if allowed < 5 || allowed > 6 {
		t.Errorf("a burst of 1000 from one key: %d allowed, want 5 (or 6)", allowed)
	}
	for i := range 1000 {
		l.Allow("k" + strconv.Itoa(i))
	}
	if len(l.keys) != 100 || l.lru.Len() != 100 {
		t.Errorf("%d keys held, want the bound 100", len(l.keys))
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.2:5555"
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 203.0.113.9")
	if got := ClientIP(r, false); got != "198.51.100.2" {
		t.Errorf("untrusted: %s", got)
	}
	if got := ClientIP(r, true); got != "203.0.113.9" {
		t.Errorf("trusted: %s, want the rightmost address", got)
	}
	r.Header.Set("X-Forwarded-For", "garbage")
	if got := ClientIP(r, true); got != "198.51.100.2" {
		t.Errorf("unparsable header: %s, want the peer", got)
	}
}
