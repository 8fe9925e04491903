// Command fakeupstream runs the fake OpenAI-compatible server of
// internal/testutil/fakeupstream on a loopback address, for trying the
// gateway, the evaluator or a client by hand:
//
//	go run ./cmd/fakeupstream -listen 127.0.0.1:8089
//	curl -s 127.0.0.1:8089/v1/chat/completions -H 'X-Fake-Latency: 50ms' \
//	  -d '{"model":"m","messages":[{"role":"user","content":"hi"}]}'
//
// Behaviour is chosen per request by the X-Fake-* headers listed in the
// package's documentation. It refuses to listen on any address that is not
// loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx is done. It prints "listening on http://ADDR/v1" on
// stdout once the port is open, and returns 0 on a clean stop, 2 on a usage
// or listen error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fakeupstream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8089", "loopback `address` to listen on (port 0 picks one)")
	models := fs.String("models", fakeupstream.DefaultModel, "comma-separated `models` listed by GET /v1/models")
	reply := fs.String("reply", "", "fixed reply `text` (default: echo the last user message)")
	apiKey := fs.String("api-key", "", "require this bearer `key` (default: none)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fakeupstream: unexpected arguments %q\n", fs.Args())
		return 2
	}
	opts := fakeupstream.Options{Models: strings.Split(*models, ","), APIKey: *apiKey}
	if *reply != "" {
		opts.Reply = fakeupstream.Fixed(*reply)
	}
	ln, err := fakeupstream.ListenLoopback(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
		return 2
	}
	srv := &http.Server{Handler: fakeupstream.New(opts), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "listening on http://%s/v1\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
		return 2
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
		return 2
	}
	return 0
}
