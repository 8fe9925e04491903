package web

import (
	"crypto/subtle"
	"net/http"
)

// Where a request carries its CSRF token: a form field for HTML forms, a
// header for scripts.
const (
	CSRFFormField = "csrf_token"
	CSRFHeader    = "X-CSRF-Token"
)

// MaxFormBytes bounds a form body read by Protect: the token check parses
// the form before the handler runs, so the bound must be set here.
const MaxFormBytes = 1 << 20

// Protect guards next against cross-site request forgery. Safe methods
// (GET, HEAD, OPTIONS) pass. Any other request must come from the same
// origin (Go's CrossOriginProtection, which reads Sec-Fetch-Site and
// Origin) AND carry the token of the session in its cookie; a request
// with no session, a wrong token or a cross-origin source gets 403.
// Two checks, because the header check alone trusts the browser and the
// token alone can leak through a page; together a forged request needs both.
func (s *Sessions) Protect(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forbid(w, "cross-origin request refused")
	}))
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		sess, ok := s.Get(r)
		if !ok {
			forbid(w, "no session: reload the page and try again")
			return
		}
		token := r.Header.Get(CSRFHeader)
		if token == "" {
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
			token = r.PostFormValue(CSRFFormField)
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
			forbid(w, "missing or wrong form token: reload the page and try again")
			return
		}
		next.ServeHTTP(w, r)
	})
	return cop.Handler(check)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func forbid(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte("403 forbidden: " + msg + "\n"))
}
