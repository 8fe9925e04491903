package fakeanthropic

import (
	"net/http"
	"net/http/httptest"
)

// TB is the part of testing.TB that Start uses, so that this package does
// not import testing.
type TB interface {
	Helper()
	Cleanup(func())
}

// Test is a fake Anthropic API listening on a loopback port for one test.
type Test struct {
	*Server
	// HTTP is the running httptest server.
	HTTP *httptest.Server
	// BaseURL is the API's base URL without /v1, as the Anthropic SDKs and
	// the gateway's upstream configuration take it.
	BaseURL string
}

// Start starts a fake API on 127.0.0.1 (or [::1]) and closes it when the
// test ends.
func Start(tb TB, opts Options) *Test {
	tb.Helper()
	s := New(opts)
	hs := httptest.NewServer(s)
	tb.Cleanup(hs.Close)
	return &Test{Server: s, HTTP: hs, BaseURL: hs.URL}
}

// Client returns an HTTP client that adds header to every request, so that
// a test can pick a behaviour for a client whose requests it does not
// build.
func (t *Test) Client(header http.Header) *http.Client {
	c := *t.HTTP.Client()
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = headerTransport{base: base, header: header}
	return &c
}

type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range h.header {
		r.Header[k] = append([]string(nil), vs...)
	}
	return h.base.RoundTrip(r)
}
