// Package specsite is the public spec site at /spec in modelspec serve:
// every published version as readable pages (one per clause, with its
// examples and authority), a version switcher and clause-level diffs;
// feedback on clauses, proposals of new clauses, statements and votes
// during comment periods; the consensus view; the changelog that answers
// feedback; exports for researchers; and the moderation desk.
//
// The boundary: HTTP and HTML only. It decides nothing itself: the
// domain rules are internal/feedback, the maths internal/consensus, the
// records internal/store (store.Feedback), and the sessions, CSRF checks,
// security headers and rate limits internal/web. Every page is an
// html/template with embedded assets; nothing is loaded from elsewhere.
// Email addresses are read from forms, hashed, and handed to the Mailer;
// no page, export or log line shows one.
package specsite

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Site. Store, Sessions, Screener, EmailKey and
// BaseURL are required.
type Options struct {
	Store    store.Feedback
	Sessions *web.Sessions
	Screener *feedback.Screener
	// Mailer sends confirmation messages; nil means the store's outbox
	// (OutboxMailer).
	Mailer Mailer
	// EmailKey keys the hashes that stand for addresses (EmailKey gives
	// one kept in the store).
	EmailKey []byte
	// BaseURL is the site's address as people reach it (scheme and host,
	// e.g. https://spec.example.org), used in confirmation links. It is
	// configured, never taken from a request's Host header, so that a
	// forged header cannot put another site's link in a confirmation.
	BaseURL string
	// SiteName appears in titles and messages; default "the Model Spec".
	SiteName string
	// WritesPerMinute and Burst bound writes per client address and per
	// participant (or email address); defaults 6 and 10.
	WritesPerMinute float64
	Burst           int
	// TrustForwarded takes the client address from X-Forwarded-For (set
	// it only behind a proxy that sets that header).
	TrustForwarded bool
	// TokenTTL is how long a confirmation link works; default 24h.
	TokenTTL time.Duration
	// Now, NewID and Random are the clock, the id source and the
	// randomness for tokens; defaults time.Now, random ids and
	// crypto/rand.
	Now    func() time.Time
	NewID  func() string
	Random io.Reader
	Log    *slog.Logger
}

// Site serves the pages.
type Site struct {
	opts   Options
	st     store.Feedback
	pages  map[string]*template.Template
	byIP   *web.Limiter
	byWho  *web.Limiter
	byVote *web.Limiter
	mailer Mailer
	log    *slog.Logger
	parsed sync.Map // version id -> *spec.Spec
}

// New checks the options and parses the templates.
func New(opts Options) (*Site, error) {
	if opts.Store == nil || opts.Sessions == nil || opts.Screener == nil || len(opts.EmailKey) == 0 {
		return nil, errors.New("specsite: Store, Sessions, Screener and EmailKey are required")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("specsite: base URL %q: want http(s)://host[:port]", opts.BaseURL)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.SiteName == "" {
		opts.SiteName = "the Model Spec"
	}
	if opts.WritesPerMinute <= 0 {
		opts.WritesPerMinute = 6
	}
	if opts.Burst <= 0 {
		opts.Burst = 10
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Random == nil {
		opts.Random = rand.Reader
	}
	if opts.NewID == nil {
		opts.NewID = func() string { return randomID(rand.Reader) }
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Site{opts: opts, st: opts.Store, log: opts.Log, mailer: opts.Mailer}
	if s.mailer == nil {
		s.mailer = OutboxMailer{Store: opts.Store, Log: opts.Log}
	}
	perSec := rate.Limit(opts.WritesPerMinute / 60)
	// Bounded memory: 100,000 keys is a few MB; a key dropped for room
	// starts again with a full bucket, which a flood of distinct keys
	// could use, but each of those keys is itself limited.
	s.byIP = web.NewLimiter(perSec, opts.Burst, 100_000)
	s.byWho = web.NewLimiter(perSec, opts.Burst, 100_000)
	// Votes come in quick runs (a statement a few seconds), so they get
	// ten times the rate, per signed-in participant.
	s.byVote = web.NewLimiter(perSec*10, opts.Burst*10, 100_000)
	if s.pages, err = parseTemplates(); err != nil {
		return nil, err
	}
	return s, nil
}

// randomID is 16 random bytes, base32-like in URL-safe base64.
func randomID(r io.Reader) string {
	b := make([]byte, 12)
	io.ReadFull(r, b)
	return strings.ToLower(strings.NewReplacer("-", "a", "_", "b").Replace(base64.RawURLEncoding.EncodeToString(b)))
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"group": func(g feedback.Group) string { return g.Label() },
	"join":  strings.Join,
	"pct":   func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"f2":    func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"add":   func(a, b int) int { return a + b },
}

// parseTemplates makes one template set per page: the layout plus the
// page, so that every page defines its own "content".
func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("specsite: template %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

// Handler serves the site under /spec/. Every page gets the security
// headers; every unsafe request needs the session's CSRF token.
func (s *Site) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /spec/static/", http.StripPrefix("/spec/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /spec/{$}", s.index)
	mux.HandleFunc("GET /spec/go", s.switchVersion)
	mux.HandleFunc("GET /spec/v/{version}/{$}", s.version)
	mux.HandleFunc("GET /spec/v/{version}/c/{clause}", s.clause)
	mux.HandleFunc("POST /spec/v/{version}/c/{clause}/feedback", s.submitFeedback)
	mux.HandleFunc("GET /spec/v/{version}/diff", s.diff)
	mux.HandleFunc("GET /spec/v/{version}/propose", s.proposeForm)
	mux.HandleFunc("POST /spec/v/{version}/propose", s.submitProposal)
	mux.HandleFunc("GET /spec/v/{version}/statements", s.statements)
	mux.HandleFunc("POST /spec/v/{version}/statements", s.submitStatement)
	mux.HandleFunc("POST /spec/vote", s.vote)
	mux.HandleFunc("GET /spec/v/{version}/consensus", s.consensus)
	mux.HandleFunc("GET /spec/item/{id}", s.item)
	mux.HandleFunc("GET /spec/changelog", s.changelog)
	mux.HandleFunc("GET /spec/export.json", s.exportJSON)
	mux.HandleFunc("GET /spec/export/items.csv", s.exportItems)
	mux.HandleFunc("GET /spec/export/votes.csv", s.exportVotes)
	mux.HandleFunc("GET /spec/signin", s.signinForm)
	mux.HandleFunc("POST /spec/signin", s.signin)
	mux.HandleFunc("GET /spec/confirm", s.confirmForm)
	mux.HandleFunc("POST /spec/confirm", s.confirm)
	mux.HandleFunc("POST /spec/signout", s.signout)
	mux.HandleFunc("GET /spec/admin", s.admin)
	mux.HandleFunc("POST /spec/admin/moderate", s.moderate)
	mux.HandleFunc("POST /spec/admin/publish", s.publish)
	mux.HandleFunc("POST /spec/admin/period", s.createPeriod)
	mux.HandleFunc("POST /spec/admin/answer", s.answer)
	mux.HandleFunc("POST /spec/admin/statement", s.authorStatement)
	mux.HandleFunc("/spec/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "There is no such page.")
	})
	return web.Secure(s.opts.Sessions.Protect(mux))
}

// viewer is who is asking.
type viewer struct {
	Session     web.Session
	Participant *feedback.Participant // signed in
	Role        feedback.Role
}

// CanModerate and CanAuthor are for templates.
func (v viewer) CanModerate() bool { return v.Role.CanModerate() }
func (v viewer) CanAuthor() bool   { return v.Role.CanAuthor() }

// who returns the visitor, starting an anonymous session so that every
// form has a CSRF token.
func (s *Site) who(w http.ResponseWriter, r *http.Request) viewer {
	v := viewer{Session: s.opts.Sessions.Ensure(w, r)}
	if v.Session.Subject == "" {
		return v
	}
	p, err := s.st.Participant(r.Context(), v.Session.Subject)
	if err != nil {
		return v
	}
	v.Participant = &p
	if role, err := s.st.Role(r.Context(), p.EmailHash); err == nil {
		v.Role = role
	}
	return v
}

// pageData is what every template gets.
type pageData struct {
	Title    string
	Site     string
	Viewer   viewer
	CSRF     template.HTML
	Versions []feedback.Version
	Version  string // the version the page is about, for the switcher
	Clause   string // the clause, for the switcher
	Data     any
}

func (s *Site) render(w http.ResponseWriter, r *http.Request, v viewer, name string, status int, title string, data any, version, clause string) {
	vs, err := s.st.Versions(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	t, ok := s.pages[name]
	if !ok {
		s.internal(w, r, fmt.Errorf("no template %s", name))
		return
	}
	web.Render(w, t, "layout.html", status, pageData{Title: title, Site: s.opts.SiteName, Viewer: v, CSRF: web.CSRFField(v.Session),
		Versions: vs, Version: version, Clause: clause, Data: data})
}

// fail shows an error page with a message for people. The message is
// text (escaped by the template).
func (s *Site) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := s.who(w, r)
	t := s.pages["error"]
	web.Render(w, t, "layout.html", status, pageData{Title: http.StatusText(status), Site: s.opts.SiteName, Viewer: v,
		CSRF: web.CSRFField(v.Session), Data: struct {
			Status  int
			Message string
		}{status, msg}})
}

// internal logs err and shows a 500 that does not repeat it.
func (s *Site) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.log.Error("spec site", "path", r.URL.Path, "err", err)
	s.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side; the error was logged. Try again later.")
}

// storeErr maps a store error to a page: not found, conflict, bad input,
// or internal.
func (s *Site) storeErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "Not found: "+err.Error())
	case errors.Is(err, store.ErrExists):
		s.fail(w, r, http.StatusConflict, "That already exists: "+err.Error())
	case errors.Is(err, store.ErrInvalid), errors.Is(err, feedback.ErrInvalid):
		s.fail(w, r, http.StatusBadRequest, "That cannot be saved: "+err.Error())
	default:
		s.internal(w, r, err)
	}
}

// limited reports whether a write from r (and from who, if given) is over
// the rate limits, and if so answers 429.
func (s *Site) limited(w http.ResponseWriter, r *http.Request, who string) bool {
	ok := s.byIP.Allow(web.ClientIP(r, s.opts.TrustForwarded))
	if ok && who != "" {
		ok = s.byWho.Allow(who)
	}
	if ok {
		return false
	}
	w.Header().Set("Retry-After", "60")
	s.fail(w, r, http.StatusTooManyRequests, "Too many submissions from you in a short time. Wait a minute and try again.")
	return true
}

// seeOther redirects after a successful POST.
func seeOther(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}
