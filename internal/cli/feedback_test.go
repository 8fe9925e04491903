package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// TestFeedbackCommands publishes the built-in spec, opens a period, gives
// roles, and exports, checking exit codes and messages on the way.
func TestFeedbackCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fb.db")
	spec := filepath.Join(repo, "specs/default.md")
	broken := writeFile(t, "broken.md", "---\nversion: x1\n---\n## A {#a authority=admin}\n\ntext\n")
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"publish", []string{"feedback", "publish", "--db", db, "--notes", "first", spec}, ExitOK, "published 2026-11-27", ""},
		{"publish again", []string{"feedback", "publish", "--db", db, spec}, ExitError, "", "already exists"},
		{"publish the built-in spec", []string{"feedback", "publish", "--db", db, "--id", "builtin-1"}, ExitOK, "published builtin-1 (modelspec-default)", ""},
		{"publish broken", []string{"feedback", "publish", "--db", db, broken}, ExitError, "", "broken.md:4:"},
		{"publish missing", []string{"feedback", "publish", "--db", db, "no/such.md"}, ExitError, "", "no/such.md"},
		{"period", []string{"feedback", "period", "--db", db, "--version", "2026-11-27", "--title", "Round one", "--days", "14", "--clauses", "protect_privacy,#no_nsfw"}, ExitOK, "open from", ""},
		{"period unknown clause", []string{"feedback", "period", "--db", db, "--version", "2026-11-27", "--title", "x", "--days", "1", "--clauses", "nope"}, ExitError, "", `clause "nope"`},
		{"period unknown version", []string{"feedback", "period", "--db", db, "--version", "v9", "--title", "x", "--days", "1"}, ExitError, "", "not found"},
		{"period bad end", []string{"feedback", "period", "--db", db, "--version", "2026-11-27", "--title", "x", "--end", "soon"}, ExitError, "", "--end"},
		{"period backwards", []string{"feedback", "period", "--db", db, "--version", "2026-11-27", "--title", "x", "--start", "2027-01-02", "--end", "2027-01-01"}, ExitError, "", "must come after"},
		{"role", []string{"feedback", "role", "--db", db, "--email", "Editor@Example.org", "--role", "author"}, ExitOK, "is now author", ""},
		{"role bad", []string{"feedback", "role", "--db", db, "--email", "editor@example.org", "--role", "king"}, ExitError, "", "want author"},
		{"role bad email", []string{"feedback", "role", "--db", db, "--email", "nobody", "--role", "author"}, ExitError, "", "--email"},
		{"roles", []string{"feedback", "role", "--db", db, "--list"}, ExitOK, "author", ""},
		{"moderate queue", []string{"feedback", "moderate", "--db", db}, ExitOK, "KIND", ""},
		{"moderate unknown", []string{"feedback", "moderate", "--db", db, "nope", "--to", "published"}, ExitError, "", "not found"},
		{"moderate bad status", []string{"feedback", "moderate", "--db", db, "nope", "--to", "gone"}, ExitError, "", "--to"},
		{"answer unknown item", []string{"feedback", "answer", "--db", db, "--version", "2026-11-27", "--response", "declined", "--summary", "no", "--items", "ghost"}, ExitError, "", "not found"},
		{"answer", []string{"feedback", "answer", "--db", db, "--version", "2026-11-27", "--response", "clarified", "--summary", "First release."}, ExitOK, "answers 0 item(s)", ""},
		{"export bad format", []string{"feedback", "export", "--db", db, "--format", "xml"}, ExitError, "", "--format"},
		{"export csv", []string{"feedback", "export", "--db", db, "--format", "items-csv"}, ExitOK, "id,version,period,kind,clause", ""},
		{"outbox", []string{"feedback", "outbox", "--db", db}, ExitOK, "", ""},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", c.name, code, c.code, out, errOut)
		}
	}
	out := filepath.Join(t.TempDir(), "export.json")
	if code, _, errOut := runCLI("feedback", "export", "--db", db, "--out", out); code != ExitOK {
		t.Fatalf("export: %s", errOut)
	}
	var e feedback.Export
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &e); err != nil || len(e.Versions) != 2 || len(e.Changes) != 1 || e.Versions[0].Notes != "first" || e.Versions[1].ID != "builtin-1" {
		t.Errorf("export %s: %v", b, err)
	}
	if bytes.Contains(b, []byte("xample.org")) {
		t.Error("export holds an address")
	}
}

// TestServeSpecSite: serve mounts /spec beside the gateway, on the store
// the commands wrote, and the role given on the command line works for a
// sign-in on the site (the two share the email key kept in the store).
func TestServeSpecSite(t *testing.T) {
	up := fakeupstream.Start(t, fakeupstream.Options{})
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	if code, _, errOut := runCLI("feedback", "publish", "--db", db, filepath.Join(repo, "specs/default.md")); code != ExitOK {
		t.Fatal(errOut)
	}
	if code, _, errOut := runCLI("feedback", "period", "--db", db, "--version", "2026-11-27", "--title", "Open", "--days", "3"); code != ExitOK {
		t.Fatal(errOut)
	}
	if code, _, errOut := runCLI("feedback", "role", "--db", db, "--email", "ed@example.org", "--role", "moderator"); code != ExitOK {
		t.Fatal(errOut)
	}
	addr := freeAddr(t)
	cfg := writeFile(t, "gw.yaml", "listen: "+addr+"\nupstreams:\n  - name: fake\n    base_url: "+up.BaseURL+"\n"+
		"decision_log: {driver: sqlite, path: "+db+"}\nfeedback: {site_name: Acme spec}\n")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve", "--config", cfg}, &bytes.Buffer{}, &stderr) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	get := func(path string) (int, string) {
		var resp *http.Response
		var err error
		for range 200 {
			if resp, err = http.Get("http://" + addr + path); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("serve did not start: %v\n%s", err, stderr.String())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/spec/v/2026-11-27/c/protect_privacy"); code != 200 || !strings.Contains(body, "Acme spec") || !strings.Contains(body, "feedback-form") {
		t.Errorf("clause page: %d\n%s", code, body)
	}
	// The gateway still answers beside it.
	if code, _ := get("/v1/models"); code != 200 {
		t.Errorf("/v1/models: %d", code)
	}
	// Sign in as the moderator: the link comes from the outbox.
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	form := func(path string, v url.Values) (int, string) {
		resp, err := cl.PostForm("http://"+addr+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	token := func(path string) string {
		resp, err := cl.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no token on %s", path)
		}
		return string(m[1])
	}
	if code, body := form("/spec/signin", url.Values{"csrf_token": {token("/spec/signin")}, "email": {"ed@example.org"}, "group": {"public"}}); code != http.StatusAccepted {
		t.Fatalf("sign in: %d %s", code, body)
	}
	_, outbox, _ := runCLI("feedback", "outbox", "--db", db, "--to", "ed@example.org")
	link := regexp.MustCompile(`http://[^ ]+/spec/confirm\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(outbox)
	if link == nil || !strings.Contains(link[0], addr) {
		t.Fatalf("outbox %q: no link to %s", outbox, addr)
	}
	if code, body := form("/spec/confirm", url.Values{"csrf_token": {token("/spec/confirm?token=" + link[1])}, "token": {link[1]}}); code != 200 {
		t.Fatalf("confirm: %d %s", code, body)
	}
	resp, err := cl.Get("http://" + addr + "/spec/admin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the moderator named on the command line gets %d on the desk", resp.StatusCode)
	}
	if !strings.Contains(stderr.String(), "spec site at /spec/") {
		t.Errorf("no log line for the site: %s", stderr.String())
	}
}
