// Package web holds the HTTP pieces that every page of modelspec serve
// shares: signed-cookie sessions, CSRF tokens, security headers,
// buffered template rendering and per-key rate limits. The labeling
// workbench (web/label) and the spec site (web/specsite) build on it.
//
// It knows nothing of labels, feedback or specs, and keeps no state on
// disk: a session lives in its signed cookie, and a CSRF token is derived
// from the session id with the same key, so any replica that has the key
// can check both.
package web
