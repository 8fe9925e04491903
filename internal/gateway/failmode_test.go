package gateway_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// crasher is a screen with a bug: it panics on any text holding word. It
// declares the kind of finding it would report, so the fail mode of its
// category applies.
type crasher struct{ word, category, clause string }

func (c crasher) ID() string { return "detect.test.crash_" + c.category }
func (c crasher) Kinds() []detect.Kind {
	return []detect.Kind{{Category: c.category, Clause: c.clause}}
}
func (c crasher) Detect(text string) []detect.Finding {
	if strings.Contains(text, c.word) {
		var fs []detect.Finding
		_ = fs[len(text)] // index out of range
	}
	return nil
}

// TestCheckFailModes checks that a screen that fails (here, panics) on
// the input or on the answer blocks the request when its category fails
// closed (hazard by default, or as the app's policy says) and lets it
// through when it fails open, and that the outcome reports the failure
// either way, so that nothing passes unchecked without a trace.
func TestCheckFailModes(t *testing.T) {
	for _, tc := range []struct {
		name, policy, input, reply string
		blocked, closed, output    bool
	}{
		{name: "hazard check fails on the input: closed", input: "CRASH-HAZARD please", reply: "ok", blocked: true, closed: true},
		{name: "email check fails on the input: open", input: "CRASH-EMAIL please", reply: "ok"},
		{name: "email check set to fail closed", policy: "checks:\n  email:\n    fail: closed\n", input: "CRASH-EMAIL please", reply: "ok", blocked: true, closed: true},
		{name: "hazard check set to fail open", policy: "checks:\n  hazard:\n    fail: open\n", input: "CRASH-HAZARD please", reply: "ok"},
		{name: "hazard check fails on the answer: closed", input: "hello", reply: "here is CRASH-HAZARD", blocked: true, closed: true, output: true},
		{name: "email check fails on the answer: open", input: "hello", reply: "here is CRASH-EMAIL", output: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, setup{reply: fakeupstream.Fixed(tc.reply), policy: tc.policy})
			var raw *http.Response
			c := e.client(appKey)
			resp, err := c.Chat.Completions.New(context.Background(), userParams(tc.input), option.WithResponseInto(&raw))
			if err != nil {
				t.Fatal(err)
			}
			o := e.outcome(t)
			got := resp.Choices[0]
			if tc.blocked {
				if got.FinishReason != "content_filter" || strings.Contains(got.Message.Content, "CRASH") || raw.Header.Get(gateway.HeaderAction) != "block" {
					t.Errorf("not blocked: choice %+v, action header %q", got, raw.Header.Get(gateway.HeaderAction))
				}
			} else if got.Message.Content != tc.reply {
				t.Errorf("answer %q, want the upstream's %q", got.Message.Content, tc.reply)
			}
			failures := o.OutputFailures
			if !tc.output {
				failures = o.Decision.Failures
			}
			if len(failures) != 1 || failures[0].Closed != tc.closed || !strings.Contains(failures[0].Error, "index out of range") {
				t.Fatalf("failures %+v (input %+v)", failures, o.Decision.Failures)
			}
			if strings.Contains(failures[0].Error, "CRASH") {
				t.Errorf("the failure quotes the text: %q", failures[0].Error)
			}
			if tc.blocked && o.Action != policy.Block {
				t.Errorf("outcome action %s", o.Action)
			}
		})
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// panicAfter is an upstream body that panics once n bytes have been read.
type panicAfter struct {
	body io.ReadCloser
	n    int
}

func (p *panicAfter) Read(b []byte) (int, error) {
	if p.n <= 0 {
		var m map[string]int
		m["x"]++ // assignment to a nil map
	}
	b = b[:min(len(b), p.n)]
	k, err := p.body.Read(b)
	p.n -= k
	return k, err
}

func (p *panicAfter) Close() error { return p.body.Close() }

// TestHandlerPanic checks that a panic in the handling of a request (a
// bug; here in the upstream transport, or while relaying a stream) reaches
// the client as an OpenAI-shaped error, a 500 or an error event ending the
// stream, and is recorded with its stack, where net/http would drop the
// connection and nothing would be recorded.
func TestHandlerPanic(t *testing.T) {
	t.Run("before the answer", func(t *testing.T) {
		e := start(t, setup{reply: fakeupstream.Fixed("ok"), transport: func(http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(*http.Request) (*http.Response, error) { panic("transport bug") })
		}})
		c := e.client(appKey)
		_, err := c.Chat.Completions.New(context.Background(), userParams("hello"))
		var apiErr *oai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError || apiErr.Code != "internal_error" {
			t.Fatalf("err = %v, want a 500 internal_error", err)
		}
		o := e.outcome(t)
		if o.Status != http.StatusInternalServerError || o.Error != "internal_error" || o.Fault == nil || len(o.Fault.Stack) == 0 {
			t.Errorf("outcome status %d error %q fault %v", o.Status, o.Error, o.Fault)
		}
		if strings.Contains(o.Fault.Error(), "transport bug") {
			t.Errorf("the fault quotes the panic's value: %q", o.Fault.Error())
		}
	})
	t.Run("mid-stream", func(t *testing.T) {
		e := start(t, setup{reply: fakeupstream.Fixed(strings.Repeat("a long answer ", 40)), header: http.Header{fakeupstream.HeaderChunks: {"20"}},
			transport: func(rt http.RoundTripper) http.RoundTripper {
				return roundTripFunc(func(r *http.Request) (*http.Response, error) {
					resp, err := rt.RoundTrip(r)
					if err == nil {
						resp.Body = &panicAfter{body: resp.Body, n: 600}
					}
					return resp, err
				})
			}})
		got, err := e.streamText("hello")
		if err == nil || !strings.Contains(err.Error(), "internal_error") {
			t.Errorf("stream ended with %v, want the error event", err)
		}
		if got == "" {
			t.Error("the stream failed before any text: the panic did not come mid-stream")
		}
		if o := e.outcome(t); o.Fault == nil || o.Error != "internal_error" {
			t.Errorf("outcome error %q fault %v", o.Error, o.Fault)
		}
	})
}

// TestCheckFailureOncePerStream checks that a check failing on every
// window of a streamed answer is recorded once, not once per window, and
// that the stream goes on when it fails open.
func TestCheckFailureOncePerStream(t *testing.T) {
	reply := strings.Repeat("CRASH-EMAIL and more words ", 30)
	e := start(t, setup{reply: fakeupstream.Fixed(reply), header: http.Header{fakeupstream.HeaderChunks: {"30"}}})
	got, err := e.streamText("hello")
	if err != nil || got != reply {
		t.Fatalf("stream err %v, %d of %d bytes", err, len(got), len(reply))
	}
	if o := e.outcome(t); len(o.OutputFailures) != 1 || o.OutputFailures[0].Closed {
		t.Errorf("output failures %+v, want one, open", o.OutputFailures)
	}
}

// TestHandlerPanicResponses checks the same through the Responses API,
// which runs the chat handler behind a translation: a 500 in its shape.
func TestHandlerPanicResponses(t *testing.T) {
	e := start(t, setup{reply: fakeupstream.Fixed("ok"), transport: func(http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(*http.Request) (*http.Response, error) { panic("transport bug") })
	}})
	c := e.client(appKey)
	_, err := c.Responses.New(context.Background(), textParams("hello"))
	var apiErr *oai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError {
		t.Fatalf("err = %v, want a 500", err)
	}
	if o := e.outcome(t); o.Fault == nil || o.Error != "internal_error" {
		t.Errorf("outcome error %q fault %v", o.Error, o.Fault)
	}
}
