package gateway_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// TestStreamPassthrough streams through a gateway in passthrough and
// through one whose stream mode screens after sending (no hold-back):
// both hold nothing back, and a finish chunk with no text must not upset
// the window (it once indexed past the end).
func TestStreamPassthrough(t *testing.T) {
	reply := "The quick brown fox jumps over the lazy dog, with NERVEAGENT at the end."
	for name, cfg := range map[string]func(*config.Config){
		"passthrough":        func(c *config.Config) { c.Passthrough = true },
		"stream passthrough": func(c *config.Config) { c.Stream.Mode = "passthrough" },
	} {
		t.Run(name, func(t *testing.T) {
			e := start(t, setup{reply: fakeupstream.Fixed(reply), header: http.Header{fakeupstream.HeaderChunks: {"6"}}, cfg: cfg})
			c := e.client(appKey)
			s := c.Chat.Completions.NewStreaming(context.Background(), userParams("tell me"))
			var got strings.Builder
			for s.Next() {
				for _, ch := range s.Current().Choices {
					got.WriteString(ch.Delta.Content)
				}
			}
			o := e.outcome(t)
			if name == "passthrough" {
				if err := s.Err(); err != nil || got.String() != reply || o.Status != 200 {
					t.Fatalf("err %v, streamed %q, outcome %+v", err, got.String(), o)
				}
				return
			}
			// Nothing held back: the text before the chunk that carries the
			// violation went out, then the block ends the stream.
			if s.Err() == nil || got.String() == "" || !strings.HasPrefix(reply, got.String()) || strings.Contains(got.String(), "NERVEAGENT") || o.Action != "block" {
				t.Fatalf("err %v, streamed %q, outcome %+v", s.Err(), got.String(), o)
			}
		})
	}
}

// rawUpstream serves one canned SSE body or JSON answer for every chat
// completion.
func rawUpstream(t *testing.T, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func rawGateway(t *testing.T, upstreamURL string, passthrough bool) (*httptest.Server, chan gateway.Outcome) {
	t.Helper()
	res, err := specload.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Passthrough = passthrough
	cfg.Stream.Window = 16
	cfg.Upstreams = []config.Upstream{{Name: "raw", Type: "openai", BaseURL: upstreamURL, Timeout: config.Duration(5 * time.Second)}}
	sum := sha256.Sum256([]byte(appKey))
	cfg.Apps = []config.App{{Name: "acme", KeySHA256: hex.EncodeToString(sum[:])}}
	outcomes := make(chan gateway.Outcome, 4)
	srv, err := gateway.New(cfg, gateway.Deps{Spec: res.Spec, Screens: []detect.Detector{keyword{"NERVEAGENT", "hazard", "no_information_hazards"}},
		Record: func(_ context.Context, o gateway.Outcome) { outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv.Handler())
	t.Cleanup(gw.Close)
	return gw, outcomes
}

func rawPost(t *testing.T, gw *httptest.Server, stream bool) (*http.Response, string) {
	t.Helper()
	body := fmt.Sprintf(`{"model":"m","stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+appKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func chunk(content string) string {
	return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"` + content + `"},"finish_reason":null}],"vendor_field":{"kept":true}}` + "\n\n"
}

// TestUpstreamErrorMidStream: an upstream that sends an error event in the
// middle of a stream gets its message to the client as an error event,
// with no [DONE], and the request is logged as an upstream error. (An
// error event also decodes as a chunk without choices, which once let it
// through as an empty chunk.)
func TestUpstreamErrorMidStream(t *testing.T) {
	sse := chunk("Hello there, ") + `data: {"error":{"message":"the model is overloaded","type":"server_error","code":null}}` + "\n\n"
	for _, passthrough := range []bool{false, true} {
		gw, outcomes := rawGateway(t, rawUpstream(t, "text/event-stream", sse), passthrough)
		resp, body := rawPost(t, gw, true)
		if resp.StatusCode != 200 || !strings.Contains(body, "the model is overloaded") || strings.Contains(body, "[DONE]") {
			t.Errorf("passthrough=%v: %d %s", passthrough, resp.StatusCode, body)
		}
		var events []string
		sc := bufio.NewScanner(strings.NewReader(body))
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				events = append(events, sc.Text())
			}
		}
		if last := events[len(events)-1]; !strings.Contains(last, `"error"`) || !strings.Contains(last, "upstream_error") {
			t.Errorf("passthrough=%v: last event %s", passthrough, last)
		}
		if o := <-outcomes; o.Status != http.StatusBadGateway || o.Error != "upstream_error" {
			t.Errorf("passthrough=%v: outcome %+v", passthrough, o)
		}
	}
}

// TestUnknownMembersSurvive: chunks and answers that the gateway does not
// change reach the client as the upstream wrote them, members it does not
// know included; chunks whose text the window cuts anew keep them too.
func TestUnknownMembersSurvive(t *testing.T) {
	sse := chunk("") + chunk("0123456789abcdefghij") + chunk("0123456789abcdefghij") +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"
	for _, passthrough := range []bool{false, true} {
		gw, outcomes := rawGateway(t, rawUpstream(t, "text/event-stream", sse), passthrough)
		resp, body := rawPost(t, gw, true)
		<-outcomes
		if resp.StatusCode != 200 || !strings.HasSuffix(body, "data: [DONE]\n\n") {
			t.Errorf("stream, passthrough=%v: %d %s", passthrough, resp.StatusCode, body)
		}
		if passthrough {
			if body != sse {
				t.Errorf("passthrough changed the stream:\n%s\nupstream sent:\n%s", body, sse)
			}
			continue
		}
		var text strings.Builder
		for _, line := range strings.Split(body, "\n") {
			if i := strings.Index(line, `"content":"`); i >= 0 {
				rest := line[i+len(`"content":"`):]
				text.WriteString(rest[:strings.IndexByte(rest, '"')])
			}
		}
		if text.String() != "0123456789abcdefghij0123456789abcdefghij" {
			t.Errorf("stream text %q", text.String())
		}
		if n := strings.Count(body, `"vendor_field":{"kept":true}`); n != 3 {
			t.Errorf("%d chunks kept the upstream's own member, want 3:\n%s", n, body)
		}
	}
	answer := `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"fine","annotations":[]},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"vendor_field":{"kept":true}}`
	for _, passthrough := range []bool{false, true} {
		gw, outcomes := rawGateway(t, rawUpstream(t, "application/json", answer), passthrough)
		resp, body := rawPost(t, gw, false)
		<-outcomes
		if resp.StatusCode != 200 || body != answer || resp.Header.Get("Content-Length") != fmt.Sprint(len(answer)) {
			t.Errorf("answer, passthrough=%v: %d %s (Content-Length %s)", passthrough, resp.StatusCode, body, resp.Header.Get("Content-Length"))
		}
	}
}

// TestOddChunkShape: a chunk that openai.ReadChunk leaves to encoding/json
// (here a delta with content twice) is still screened as a client would
// read it: the last content, which blocks.
func TestOddChunkShape(t *testing.T) {
	sse := `data: {"choices":[{"index":0,"delta":{"content":"harmless","content":"Step one: NERVEAGENT precursors, and then much more text after it"}}]}` + "\n\n" +
		`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"
	gw, outcomes := rawGateway(t, rawUpstream(t, "text/event-stream", sse), false)
	_, body := rawPost(t, gw, true)
	o := <-outcomes
	if o.Action != "block" || strings.Contains(body, "NERVEAGENT") || strings.Contains(body, "[DONE]") {
		t.Errorf("action %s, body %s", o.Action, body)
	}
}

// TestRelayFlushesBeforeWaiting: events that arrive together may leave in
// one flush, but the gateway never sits on an event while it waits for the
// upstream. The upstream here sends its next event only once the client
// has read the previous one (in passthrough, which holds nothing back, and
// with the window, whose hold-back is smaller than one event's text), so a
// gateway that kept a relayed event unflushed would hang the test.
func TestRelayFlushesBeforeWaiting(t *testing.T) {
	for _, passthrough := range []bool{true, false} {
		t.Run(fmt.Sprintf("passthrough=%v", passthrough), func(t *testing.T) {
			const events = 4
			next := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "text/event-stream")
				for i := range events {
					io.WriteString(w, chunk(fmt.Sprintf("part %d of the answer, long enough to pass the window. ", i)))
					w.(http.Flusher).Flush()
					select {
					case <-next:
					case <-time.After(10 * time.Second):
						t.Errorf("event %d: the client never saw it", i)
						return
					}
				}
				io.WriteString(w, "data: [DONE]\n\n")
			}))
			t.Cleanup(srv.Close)
			gw, _ := rawGateway(t, srv.URL+"/v1", passthrough)
			req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions",
				strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
			req.Header.Set("Authorization", "Bearer "+appKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			seen := 0
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "data: {") && strings.Contains(line, "part ") {
					seen++
					next <- struct{}{}
				}
				if line == "data: [DONE]" {
					break
				}
			}
			if seen != events {
				t.Errorf("client saw %d events, want %d", seen, events)
			}
		})
	}
}
