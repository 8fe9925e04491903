package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/config"
)

func TestOff(t *testing.T) {
	p, err := New(config.Default().Tracing, nil)
	if err != nil || p != nil {
		t.Fatalf("provider %v, err %v: want none when no endpoint is set", p, err)
	}
	if p.Tracer() != nil || p.Shutdown(context.Background()) != nil {
		t.Error("a nil provider must give no tracer and shut down cleanly")
	}
}

// TestExportAndFailure: spans reach the endpoint on shutdown, and a
// collector that fails is reported through onError, not to the caller.
func TestExportAndFailure(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
		var posts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			posts.Add(1)
			if r.URL.Path != "/v1/traces" {
				t.Errorf("path %s", r.URL.Path)
			}
			w.WriteHeader(status)
		}))
		cfg := config.Default().Tracing
		cfg.Endpoint = srv.URL + "/v1/traces"
		cfg.Timeout = config.Duration(2 * time.Second)
		var reported atomic.Int32
		p, err := New(cfg, func(error) { reported.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		_, span := p.Tracer().Start(context.Background(), "test")
		span.End()
		err = p.Shutdown(context.Background())
		srv.Close()
		if posts.Load() == 0 {
			t.Errorf("status %d: nothing exported", status)
		}
		if status == http.StatusOK && (err != nil || reported.Load() != 0) {
			t.Errorf("export to a working collector: shutdown %v, %d errors reported", err, reported.Load())
		}
		if status != http.StatusOK && err == nil && reported.Load() == 0 {
			t.Errorf("a failing collector went unreported")
		}
	}
}
