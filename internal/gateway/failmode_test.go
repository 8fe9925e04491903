package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

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
