package policy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/specload"
)

// failing is a check that cannot run: it panics, or returns an error from
// DetectContext, for the categories it declares.
type failing struct {
	kinds []detect.Kind
	panic any   // when non-nil, Detect and DetectContext panic with it
	err   error // else DetectContext returns it
}

func (f *failing) ID() string           { return "detect.test.failing" }
func (f *failing) Kinds() []detect.Kind { return f.kinds }
func (f *failing) Detect(text string) []detect.Finding {
	fs, _ := f.DetectContext(context.Background(), text)
	return fs
}
func (f *failing) DetectContext(context.Context, string) ([]detect.Finding, error) {
	if f.panic != nil {
		panic(f.panic)
	}
	return nil, f.err
}

// TestScreenFailModes checks that a check that cannot run blocks the
// request when its category fails closed (hazards by default, or as the
// developer policy says) and lets it through otherwise, and that the
// failure is reported either way.
func TestScreenFailModes(t *testing.T) {
	res, err := specload.Load(specload.BuiltIn)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Spec
	hazard := []detect.Kind{{Category: "hazard", Clause: "no_information_hazards"}}
	email := []detect.Kind{{Category: "email", Clause: "protect_privacy"}}
	const secret = "my card is 4111 1111 1111 1111"
	for _, tc := range []struct {
		name   string
		policy string // developer policy YAML, "" for none
		det    *failing
		action policy.Action
		closed bool
	}{
		{"hazard check panics: closed by default", "", &failing{kinds: hazard, panic: "boom " + secret}, policy.Block, true},
		{"hazard check errors: closed by default", "", &failing{kinds: hazard, err: errors.New("model unavailable")}, policy.Block, true},
		{"email check panics: open by default", "", &failing{kinds: email, panic: errors.New("boom")}, policy.Allow, false},
		{"email check set to fail closed", "checks:\n  email:\n    fail: closed\n", &failing{kinds: email, err: errors.New("x")}, policy.Block, true},
		{"hazard check set to fail open", "checks:\n  hazard:\n    fail: open\n", &failing{kinds: hazard, panic: "boom"}, policy.Allow, false},
		{"a check that declares nothing fails open", "", &failing{panic: "boom"}, policy.Allow, false},
		{"an operator's fail closed wins over the app's open", "checks:\n  email:\n    fail: open\n",
			&failing{kinds: []detect.Kind{{Category: "email", Clause: "protect_privacy", FailClosed: true}}, err: errors.New("x")}, policy.Block, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dev *policy.Developer
			if tc.policy != "" {
				var ps []spec.Problem
				if dev, ps = policy.ParseDeveloper("dev.yaml", []byte(tc.policy)); dev == nil {
					t.Fatalf("policy does not parse: %v", ps)
				}
			}
			p := policy.Effective(s, dev, nil)
			d := policy.Decide(p, []policy.Message{{Role: "user", Content: secret}}, policy.Options{Content: []detect.Detector{tc.det}})
			if d.Action != tc.action {
				t.Errorf("action %s, want %s (findings %+v)", d.Action, tc.action, d.Findings)
			}
			if len(d.Failures) != 1 {
				t.Fatalf("failures %+v, want one", d.Failures)
			}
			f := d.Failures[0]
			if f.Detector != tc.det.ID() || f.Closed != tc.closed || f.Message == nil || *f.Message != 0 || f.Error == "" {
				t.Errorf("failure %+v", f)
			}
			if strings.Contains(f.Error, "4111") {
				t.Errorf("the failure quotes the text: %q", f.Error)
			}
			var checkFailed []detect.Finding
			for _, fd := range d.Findings {
				if fd.Category == policy.CategoryCheckFailed {
					checkFailed = append(checkFailed, fd)
				}
			}
			if tc.closed {
				if len(checkFailed) != 1 || checkFailed[0].Clause != tc.det.kinds[0].Clause || checkFailed[0].End != len(secret) {
					t.Errorf("check_failed findings %+v, want one spanning the message and citing %s", checkFailed, tc.det.kinds[0].Clause)
				}
			} else if len(checkFailed) != 0 {
				t.Errorf("check_failed findings %+v for a check that fails open", checkFailed)
			}
		})
	}
}

// TestPanicErrorMessage checks that a panic's value never reaches the
// error's message (it could quote the text), while a runtime error does.
func TestPanicErrorMessage(t *testing.T) {
	e := &policy.PanicError{Where: "detect.x", Value: "secret text"}
	if strings.Contains(e.Error(), "secret") || !strings.Contains(e.Error(), "detect.x") {
		t.Errorf("%q", e.Error())
	}
	var re error
	func() {
		defer func() { re = recover().(error) }()
		var s []int
		_ = s[3]
	}()
	e = &policy.PanicError{Where: "detect.x", Value: re}
	if !strings.Contains(e.Error(), "index out of range") {
		t.Errorf("%q", e.Error())
	}
}
