package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// benchBody is a 2 KB chat request, the size the load tests use.
func benchBody() string {
	user := strings.Repeat("Please summarise the quarterly report and list the three main risks for the board. ", 24)[:1900]
	return `{"model":"fake-model","messages":[{"role":"system","content":"You are a helpful analyst."},{"role":"user","content":"` + user + `"}]}`
}

// benchmarkGateway sends the same request through a gateway (in-process,
// no network) to an in-process fake upstream.
func benchmarkGateway(b *testing.B, passthrough bool) {
	up := fakeupstream.New(fakeupstream.Options{Reply: fakeupstream.Fixed("A deterministic answer of moderate length for the benchmark.")})
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()
	res, err := specload.Load("")
	if err != nil {
		b.Fatal(err)
	}
	chain, _ := builtin.ChainOfCommand()
	screens, _ := builtin.Content(builtin.Options{})
	cfg := config.Default()
	cfg.Passthrough = passthrough
	cfg.Upstreams = []config.Upstream{{Name: "fake", Type: "openai", BaseURL: upSrv.URL + "/v1", Timeout: config.Duration(10e9)}}
	srv, err := gateway.New(cfg, gateway.Deps{Spec: res.Spec, Screens: screens, Injection: chain.Injection, RoleSpoof: chain.RoleSpoof})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func BenchmarkGatewayPassthrough(b *testing.B) { benchmarkGateway(b, true) }
func BenchmarkGatewayFull(b *testing.B)        { benchmarkGateway(b, false) }
