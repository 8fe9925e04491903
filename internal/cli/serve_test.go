package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/modelspec/modelspec/internal/onnx/onnxtest"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeEndToEnd runs modelspec serve with no config in front of the
// fake upstream, sends requests, stops it, and reads the decision log
// back with modelspec logs: every request is there, and no message
// content is.
func TestServeEndToEnd(t *testing.T) {
	up := fakeupstream.Start(t, fakeupstream.Options{})
	dir := t.TempDir()
	t.Chdir(dir)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--upstream", up.BaseURL, "--listen", addr}, &bytes.Buffer{}, &stderr)
	}()
	url := "http://" + addr + "/v1/chat/completions"
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = http.Post(url, "application/json", strings.NewReader(`{"model":"fake-model","messages":[{"role":"user","content":"write to jane.doe@example.com"}]}`)); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("gateway did not start: %v\n%s", err, stderr.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Modelspec-Decision") == "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	for range 4 {
		r, err := http.Post(url, "application/json", strings.NewReader(`{"model":"fake-model","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stderr.String(), "written=5") {
		t.Errorf("flush not reported: %s", stderr.String())
	}
	code, out, errOut := runCLI("logs", "--json", "--db", filepath.Join(dir, "modelspec.db"))
	if code != 0 {
		t.Fatalf("logs exited %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d records, want 5:\n%s", len(lines), out)
	}
	if strings.Contains(out, "jane.doe") || strings.Contains(out, "example.com") {
		t.Errorf("message content reached the decision log:\n%s", out)
	}
	var first struct {
		Action   string
		Clauses  []string
		Findings []struct{ Content struct{ Hash string } }
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Action != "annotate" || len(first.Findings) == 0 || !strings.HasPrefix(first.Findings[0].Content.Hash, "sha256:") {
		t.Errorf("oldest record = %s", lines[len(lines)-1])
	}
	if _, err := os.Stat(filepath.Join(dir, "modelspec.db")); err != nil {
		t.Error(err)
	}
}

func TestServeRefusesOpenListenWithoutKeys(t *testing.T) {
	code, _, errOut := runCLI("serve", "--upstream", "http://127.0.0.1:1/v1", "--listen", "0.0.0.0:0")
	if code != ExitError || !strings.Contains(errOut, "loopback only") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	code, _, errOut = runCLI("serve")
	if code != ExitError || !strings.Contains(errOut, "no upstream") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestKeys(t *testing.T) {
	code, out, _ := runCLI("keys", "new")
	if code != 0 || !strings.Contains(out, "key_sha256: ") {
		t.Fatalf("exit %d: %s", code, out)
	}
	var key, sum string
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "key:        "); ok {
			key = v
		}
		if v, ok := strings.CutPrefix(l, "key_sha256: "); ok {
			sum = v
		}
	}
	if hashKey(key) != sum || len(sum) != 64 {
		t.Errorf("key %q hash %q", key, sum)
	}
}

// TestServeJudgeFailModes: a judge that cannot be reached blocks the
// request when it fails closed and lets it through when it fails open.
func TestServeJudgeFailModes(t *testing.T) {
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed("fine answer")})
	for _, mode := range []string{"closed", "open"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			addr := freeAddr(t)
			cfg := filepath.Join(dir, "gw.yaml")
			yaml := "listen: " + addr + "\nupstreams:\n  - name: fake\n    base_url: " + up.BaseURL + "\n" +
				"decision_log: {driver: sqlite, path: " + filepath.Join(dir, "d.db") + "}\n" +
				"judges:\n  - clause: protect_privacy\n    base_url: http://127.0.0.1:1/v1\n    model: judge\n    timeout: 1s\n    fail: " + mode + "\n"
			if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- Main(ctx, []string{"serve", "--config", cfg}, &bytes.Buffer{}, &stderr) }()
			var resp *http.Response
			var err error
			for range 100 {
				if resp, err = http.Post("http://"+addr+"/v1/chat/completions", "application/json",
					strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hello"}]}`)); err == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			var cc struct {
				Choices []struct {
					Message      struct{ Content string }
					FinishReason string `json:"finish_reason"`
				}
			}
			json.NewDecoder(resp.Body).Decode(&cc)
			resp.Body.Close()
			blocked := cc.Choices[0].FinishReason == "content_filter"
			if blocked != (mode == "closed") || (blocked && resp.Header.Get("X-Modelspec-Clauses") != "protect_privacy") {
				t.Errorf("fail %s: answer %+v, clauses %q", mode, cc.Choices[0], resp.Header.Get("X-Modelspec-Clauses"))
			}
			cancel()
			<-done
			// Either way the log shows the check did not run: a finding
			// that blocked, or one recording that the request went
			// through unchecked; an open failure is logged as an error.
			code, out, errOut := runCLI("logs", "--json", "--category", "check_failed", "--db", filepath.Join(dir, "d.db"))
			if code != 0 {
				t.Fatalf("logs exited %d: %s", code, errOut)
			}
			if code, other, _ := runCLI("logs", "--json", "--category", "email", "--db", filepath.Join(dir, "d.db")); code != 0 || other != "" {
				t.Errorf("logs --category email: exit %d, %q, want no record", code, other)
			}
			var rec struct {
				Findings []struct{ Category, Evidence string }
			}
			if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rec); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			want := map[string]string{"closed": "judge", "open": "failed_open"}[mode]
			if len(rec.Findings) != 1 || rec.Findings[0].Category != "check_failed" || rec.Findings[0].Evidence != want {
				t.Errorf("fail %s: record findings %+v, want one check_failed %s", mode, rec.Findings, want)
			}
			if !strings.Contains(stderr.String(), "check failed") {
				t.Errorf("the failed check was not logged:\n%s", stderr.String())
			}
		})
	}
}

// TestServeONNXClassifier: a user-supplied ONNX classifier from a local
// folder screens the input; its category (hazard) blocks by default.
func TestServeONNXClassifier(t *testing.T) {
	up := fakeupstream.Start(t, fakeupstream.Options{Reply: fakeupstream.Fixed("fine answer")})
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "model"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := onnxtest.WriteTinyModel(filepath.Join(dir, "model")); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "gw.yaml")
	yaml := "listen: " + addr + "\nupstreams:\n  - name: fake\n    base_url: " + up.BaseURL + "\n" +
		"decision_log: {driver: none}\n" +
		"classifiers:\n  - dir: model\n    name: tiny\n    clause: no_information_hazards\n    category: hazard\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve", "--config", cfg}, &bytes.Buffer{}, &stderr) }()
	ask := func(text string) (string, string) {
		var resp *http.Response
		var err error
		for range 200 {
			if resp, err = http.Post("http://"+addr+"/v1/chat/completions", "application/json",
				strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"`+text+`"}]}`)); err == nil {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		defer resp.Body.Close()
		var cc struct {
			Choices []struct {
				FinishReason string `json:"finish_reason"`
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&cc); err != nil || len(cc.Choices) == 0 {
			t.Fatalf("answer: %v", err)
		}
		return cc.Choices[0].FinishReason, resp.Header.Get("X-Modelspec-Clauses")
	}
	if finish, _ := ask("what a lovely day"); finish != "stop" {
		t.Errorf("a harmless request was blocked (%s)", finish)
	}
	if finish, clauses := ask("how do I build a bomb"); finish != "content_filter" || clauses != "no_information_hazards" {
		t.Errorf("finish %q clauses %q, want a block under no_information_hazards", finish, clauses)
	}
	cancel()
	<-done

	code, _, errOut := runCLI("serve", "--config", writeFile(t, "bad.yaml", "upstreams:\n  - name: f\n    base_url: http://127.0.0.1:1/v1\nclassifiers:\n  - dir: /no/such/model\n    name: x\n    clause: no_information_hazards\n"))
	if code != ExitError || !strings.Contains(errOut, "/no/such/model") {
		t.Errorf("missing model folder: exit %d: %s", code, errOut)
	}
}
