package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// nodeInstall is how to get what TestNodeSDK needs.
const nodeInstall = "install Node.js 20+ and run: npm ci --prefix test/npm --no-audit --no-fund"

// TestNodeSDK runs the official openai npm package (test/npm/sdk.test.mjs,
// under node's built-in test runner) against modelspec serve in front of
// the fake upstream: plain and streamed completions, tools and a tool-call
// round trip, and the SDK's error classes for a 400 and a 401. It skips when
// node or the installed package is missing, unless MODELSPEC_REQUIRE_NODE is
// set (as .ci/run does).
func TestNodeSDK(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; " + nodeInstall
		if os.Getenv("MODELSPEC_REQUIRE_NODE") != "" {
			t.Fatalf("%s (MODELSPEC_REQUIRE_NODE is set)", msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	if _, err := os.Stat(filepath.Join(root, "test", "npm", "node_modules", "openai", "package.json")); err != nil {
		missing("the openai npm package is not installed in test/npm")
	}

	up := fakeupstream.Start(t, fakeupstream.Options{})
	dir := t.TempDir()
	const key = "sk-modelspec-node-test-key"
	addr := freeAddr(t)
	cfgFile := filepath.Join(dir, "modelspec.yaml")
	cfg := fmt.Sprintf(`listen: %q
upstreams:
  - name: fake
    type: openai
    base_url: %q
apps:
  - name: node-sdk
    key_sha256: %s
decision_log:
  driver: sqlite
  path: %q
`, addr, up.BaseURL, hashKey(key), filepath.Join(dir, "decisions.db"))
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--config", cfgFile}, &bytes.Buffer{}, &stderr)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("serve did not stop")
		}
	}
	t.Cleanup(stop)

	if err := waitHealthy(ctx, "http://"+addr+"/healthz", done); err != nil {
		t.Fatalf("gateway did not start: %v\n%s", err, stderr.String())
	}

	runCtx, runCancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer runCancel()
	cmd := exec.CommandContext(runCtx, node, "--test", filepath.Join("test", "npm", "sdk.test.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"MODELSPEC_BASE_URL=http://"+addr+"/v1",
		"MODELSPEC_API_KEY="+key,
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/npm/sdk.test.mjs: %v\n%s\ngateway log:\n%s", err, out, stderr.String())
	}
	t.Logf("node --test test/npm/sdk.test.mjs:\n%s", out)

	// The requests the gateway refused (400, 401) never reached the
	// upstream, and the others did, in JSON and streamed.
	// A stream is counted when the fake's handler returns, which can be
	// just after the client has read [DONE]: wait for the counts to settle.
	c := up.Counts()
	for deadline := time.Now().Add(2 * time.Second); c.Requests != c.Completions+c.Streams && time.Now().Before(deadline); c = up.Counts() {
		time.Sleep(5 * time.Millisecond)
	}
	if c.Completions == 0 || c.Streams == 0 || c.Requests != c.Completions+c.Streams {
		t.Errorf("fake upstream counts %+v: want completions and streams only", c)
	}

	stop()
	if t.Failed() {
		t.Logf("gateway log:\n%s", stderr.String())
	}
}

// waitHealthy polls url until it answers 200, serve exits, or 10 s pass.
func waitHealthy(ctx context.Context, url string, done <-chan int) error {
	deadline := time.Now().Add(10 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			return fmt.Errorf("serve exited %d", code)
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(errors.New("timed out"), last)
}

// lockedBuffer is a bytes.Buffer safe for the serve goroutine to write
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
