package fakeupstream

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
)

// TB is the part of testing.TB the helpers use, so that this package does
// not import testing (cmd/fakeupstream links it).
type TB interface {
	Helper()
	Cleanup(func())
}

// Test is a fake upstream listening on a loopback port for one test.
type Test struct {
	*Server
	// HTTP is the running httptest server.
	HTTP *httptest.Server
	// BaseURL is what a client takes as base_url: the server's URL + "/v1".
	BaseURL string
}

// Start starts a fake upstream on 127.0.0.1 (or [::1]) and closes it when
// the test ends.
func Start(tb TB, opts Options) *Test {
	tb.Helper()
	s := New(opts)
	hs := httptest.NewServer(s) // binds 127.0.0.1:0, or [::1]:0 without IPv4
	tb.Cleanup(hs.Close)
	return &Test{Server: s, HTTP: hs, BaseURL: hs.URL + "/v1"}
}

// Client returns an HTTP client that adds header to every request, so a
// test can pick a behaviour for a client it does not build requests for.
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

// ErrNotLoopback is returned by ListenLoopback for an address whose host is
// not a loopback address.
var ErrNotLoopback = fmt.Errorf("fake upstream listens on loopback addresses only")

// ListenLoopback listens on addr (host:port) after checking that host is a
// loopback IP address or "localhost".
func ListenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("listen %s: %w", addr, ErrNotLoopback)
		}
	}
	if host == "localhost" {
		addr = net.JoinHostPort("127.0.0.1", addr[len(host)+1:])
	}
	return net.Listen("tcp", addr)
}
