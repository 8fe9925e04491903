// Package browser starts a real headless Chromium for the web UI tests,
// driven with chromedp. It is test support only: nothing outside _test
// files imports it.
package browser

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is where Debian's chromium package installs the browser.
const Path = "/usr/bin/chromium"

// Timeout bounds one test's whole browser session, so that a page that
// never loads fails the test instead of hanging the run.
const Timeout = 90 * time.Second

// New returns a chromedp context on a fresh headless Chromium, closed when
// the test ends. Without Chromium the test is skipped, or fails when
// MODELSPEC_REQUIRE_CHROMIUM is set (CI installs it, so a skip there
// would hide a missing browser).
func New(t testing.TB) context.Context {
	t.Helper()
	path := Path
	if p := os.Getenv("MODELSPEC_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("MODELSPEC_REQUIRE_CHROMIUM") != "" {
			t.Fatalf("chromium not found at %s (apt-get install -y chromium): %v", path, err)
		}
		t.Skipf("chromium not found at %s; apt-get install -y chromium to run browser tests", path)
	}
	// The flags this machine needs: no sandbox (tests may run as root), no
	// GPU, and no background networking, whose connections the closed
	// network refuses many at a time.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	// Start the browser now, so that a launch failure is reported as such.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}
