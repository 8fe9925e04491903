package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// MinKeyLen is the shortest signing key accepted: a shorter key could be
// guessed from the cookies it signs.
const MinKeyLen = 32

// SessionOptions configures the session cookie.
type SessionOptions struct {
	Name   string        // cookie name; default "modelspec_session"
	Secure bool          // send the cookie over HTTPS only
	TTL    time.Duration // lifetime of a session; default 12 hours
	Path   string        // cookie path; default "/"
	Now    func() time.Time
}

// Session is one visitor's session. Subject is the signed-in user, or ""
// for an anonymous visitor (who still gets an id, so that anonymous forms
// carry a CSRF token).
type Session struct {
	ID      string
	Subject string
	Expires time.Time
	CSRF    string
}

// Sessions issues and checks signed session cookies.
type Sessions struct {
	key  []byte
	opts SessionOptions
}

// ErrShortKey is returned for a signing key shorter than MinKeyLen.
var ErrShortKey = errors.New("web: session key shorter than 32 bytes")

// NewSessions returns sessions signed with key (at least MinKeyLen bytes;
// give every replica the same key).
func NewSessions(key []byte, opts SessionOptions) (*Sessions, error) {
	if len(key) < MinKeyLen {
		return nil, ErrShortKey
	}
	if opts.Name == "" {
		opts.Name = "modelspec_session"
	}
	if opts.TTL <= 0 {
		opts.TTL = 12 * time.Hour
	}
	if opts.Path == "" {
		opts.Path = "/"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sessions{key: append([]byte(nil), key...), opts: opts}, nil
}

// RandomKey returns a new random signing key, for a server whose sessions
// need not survive a restart.
func RandomKey() []byte {
	k := make([]byte, MinKeyLen)
	rand.Read(k) // never fails (crypto/rand panics rather than return short)
	return k
}

// payload is what the cookie carries, signed.
type payload struct {
	ID  string `json:"id"`
	Sub string `json:"sub,omitempty"`
	Exp int64  `json:"exp"` // Unix seconds
}

// Get returns the request's session, if its cookie is present, signed by
// our key and not expired.
func (s *Sessions) Get(r *http.Request) (Session, bool) {
	c, err := r.Cookie(s.opts.Name)
	if err != nil {
		return Session{}, false
	}
	body, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return Session{}, false
	}
	want := s.mac("session:" + body)
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return Session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Session{}, false
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil || p.ID == "" {
		return Session{}, false
	}
	exp := time.Unix(p.Exp, 0)
	if !s.opts.Now().Before(exp) {
		return Session{}, false
	}
	return s.session(p.ID, p.Sub, exp), true
}

// Ensure returns the request's session, starting an anonymous one (and
// setting its cookie) when there is none.
func (s *Sessions) Ensure(w http.ResponseWriter, r *http.Request) Session {
	if sess, ok := s.Get(r); ok {
		return sess
	}
	return s.start(w, "")
}

// SignIn starts a new session for subject. The id is always new, so a
// session id planted before sign-in is worth nothing after it.
func (s *Sessions) SignIn(w http.ResponseWriter, r *http.Request, subject string) Session {
	return s.start(w, subject)
}

// SignOut clears the session cookie. The cookie is the session, so a copy
// taken before sign-out stays valid until it expires: keep TTL short
// where that matters.
func (s *Sessions) SignOut(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.opts.Name, Value: "", Path: s.opts.Path, MaxAge: -1,
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
}

func (s *Sessions) start(w http.ResponseWriter, subject string) Session {
	id := make([]byte, 18)
	rand.Read(id)
	exp := s.opts.Now().Add(s.opts.TTL).Truncate(time.Second)
	p := payload{ID: base64.RawURLEncoding.EncodeToString(id), Sub: subject, Exp: exp.Unix()}
	raw, _ := json.Marshal(p) // strings and an int: cannot fail
	body := base64.RawURLEncoding.EncodeToString(raw)
	value := body + "." + base64.RawURLEncoding.EncodeToString(s.mac("session:"+body))
	http.SetCookie(w, &http.Cookie{Name: s.opts.Name, Value: value, Path: s.opts.Path, Expires: exp,
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
	return s.session(p.ID, subject, exp)
}

func (s *Sessions) session(id, subject string, exp time.Time) Session {
	return Session{ID: id, Subject: subject, Expires: exp,
		CSRF: base64.RawURLEncoding.EncodeToString(s.mac("csrf:" + id))}
}

// mac signs msg; the prefixes keep a session signature from ever being
// usable as a CSRF token and the other way round.
func (s *Sessions) mac(msg string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// CSRFField is the hidden form input that carries the session's token.
func CSRFField(s Session) template.HTML {
	return template.HTML(`<input type="hidden" name="` + CSRFFormField + `" value="` +
		template.HTMLEscapeString(s.CSRF) + `">`)
}
