package policy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/modelspec/modelspec/internal/detect/injection"
	"github.com/modelspec/modelspec/internal/detect/rolespoof"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/specload"
)

// conformanceCase is one file of testdata/conformance: a conversation, a
// developer policy and user settings, and the decision they must produce.
type conformanceCase struct {
	Name     string           `yaml:"name"`
	Spec     string           `yaml:"spec"` // "" for the built-in spec, or a path from the repo root
	Policy   string           `yaml:"policy"`
	Settings string           `yaml:"settings"`
	Messages []policy.Message `yaml:"messages"`
	Expect   struct {
		Action      policy.Action     `yaml:"action"`
		Authorities []string          `yaml:"authorities"`
		Overrides   []expectOverride  `yaml:"overrides"`
		Findings    []expectFinding   `yaml:"findings"`
		NoFindings  bool              `yaml:"no_findings"`
		Spans       map[int][]string  `yaml:"spans"`
		Citations   []string          `yaml:"citations"`
		States      map[string]string `yaml:"states"`
		Locked      []string          `yaml:"locked"`
		Problems    []string          `yaml:"problems"` // codes CheckDeveloper must report
	} `yaml:"expect"`
}

type expectOverride struct {
	Clause   string `yaml:"clause"`
	By       string `yaml:"by"`
	Accepted bool   `yaml:"accepted"`
	Cites    string `yaml:"cites"`
}

type expectFinding struct {
	Message  int    `yaml:"message"`
	Category string `yaml:"category"`
	Contains string `yaml:"contains"` // text the finding's span must contain
}

func detectors(t testing.TB) policy.Options {
	return policy.Options{Injection: injection.New(), RoleSpoof: rolespoof.New()}
}

func TestConformance(t *testing.T) {
	files, err := filepath.Glob("testdata/conformance/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c conformanceCase
			if err := yaml.UnmarshalWithOptions(src, &c, yaml.Strict()); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			runCase(t, file, c)
		})
	}
}

func runCase(t *testing.T, file string, c conformanceCase) {
	t.Helper()
	specPath := c.Spec
	if specPath != "" {
		specPath = filepath.Join("../..", specPath)
	}
	res, err := specload.Load(specPath)
	if err != nil {
		t.Skipf("spec: %v", err)
	}
	s := res.Spec
	var dev *policy.Developer
	if c.Policy != "" {
		var ps []spec.Problem
		dev, ps = policy.ParseDeveloper(file+"#policy", []byte(c.Policy))
		if dev == nil {
			t.Fatalf("policy does not parse: %v", ps)
		}
		var codes []string
		for _, p := range policy.CheckDeveloper(s, dev) {
			codes = append(codes, p.Code)
		}
		if !slices.Equal(codes, c.Expect.Problems) {
			t.Errorf("policy problems = %v, want %v", codes, c.Expect.Problems)
		}
	}
	var user *policy.Settings
	if c.Settings != "" {
		var ps []spec.Problem
		user, ps = policy.ParseSettings(file+"#settings", []byte(c.Settings))
		if user == nil {
			t.Fatalf("settings do not parse: %v", ps)
		}
	}
	p := policy.Effective(s, dev, user)
	d := policy.Decide(p, c.Messages, detectors(t))

	if c.Expect.Action != "" && d.Action != c.Expect.Action {
		t.Errorf("action = %s, want %s", d.Action, c.Expect.Action)
	}
	if c.Expect.Authorities != nil {
		var got []string
		for _, m := range d.Messages {
			got = append(got, string(m.Authority))
		}
		if !slices.Equal(got, c.Expect.Authorities) {
			t.Errorf("authorities = %v, want %v", got, c.Expect.Authorities)
		}
	}
	for _, want := range c.Expect.Overrides {
		i := slices.IndexFunc(d.Overrides, func(o policy.Override) bool { return o.Clause == want.Clause && o.By == want.By })
		if i < 0 {
			t.Errorf("no override of %s by %s in %+v", want.Clause, want.By, d.Overrides)
			continue
		}
		o := d.Overrides[i]
		if o.Accepted != want.Accepted || (want.Cites != "" && o.Cites != want.Cites) {
			t.Errorf("override of %s by %s = accepted %v cites %q (%s), want accepted %v cites %q", want.Clause, want.By, o.Accepted, o.Cites, o.Reason, want.Accepted, want.Cites)
		}
	}
	if c.Expect.NoFindings && len(d.Findings) > 0 {
		t.Errorf("want no findings, got %+v", d.Findings)
	}
	for _, want := range c.Expect.Findings {
		found := false
		for _, f := range d.Findings {
			if *f.Message == want.Message && f.Category == want.Category {
				text := c.Messages[want.Message].Content[f.Start:f.End]
				if want.Contains == "" || strings.Contains(text, want.Contains) || strings.Contains(want.Contains, text) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no %s finding in message %d (containing %q); findings: %+v", want.Category, want.Message, want.Contains, d.Findings)
		}
	}
	for msg, kinds := range c.Expect.Spans {
		var got []string
		for _, s := range d.Messages[msg].Spans {
			got = append(got, s.Kind)
		}
		if !slices.Equal(got, kinds) {
			t.Errorf("message %d spans = %v, want %v", msg, got, kinds)
		}
	}
	if c.Expect.Citations != nil && !slices.Equal(d.Citations, c.Expect.Citations) {
		t.Errorf("citations = %v, want %v", d.Citations, c.Expect.Citations)
	}
	for id, state := range c.Expect.States {
		cl, ok := p.Clause(id)
		if !ok || cl.State != state {
			t.Errorf("clause %s state = %q, want %q", id, cl.State, state)
		}
	}
	for _, id := range c.Expect.Locked {
		if cl, _ := p.Clause(id); !cl.Locked {
			t.Errorf("clause %s is not locked", id)
		}
	}
}
