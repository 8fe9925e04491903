package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"

	"github.com/BurntSushi/toml"
)

// The gitleaks configuration format (v8), as far as it is used here. A rule
// or allowlist option that needs a file path or a commit (path, paths,
// commits) can never apply to a text without one: rules restricted to paths
// are skipped with a warning, and allowlist paths and commits never match.
type config struct {
	Title      string            `toml:"title"`
	MinVersion string            `toml:"minVersion"`
	Allowlist  *allowlistConfig  `toml:"allowlist"` // deprecated form of allowlists
	Allowlists []allowlistConfig `toml:"allowlists"`
	Rules      []ruleConfig      `toml:"rules"`
}

type ruleConfig struct {
	ID          string            `toml:"id"`
	Description string            `toml:"description"`
	Regex       string            `toml:"regex"`
	SecretGroup int               `toml:"secretGroup"`
	Entropy     float64           `toml:"entropy"`
	Keywords    []string          `toml:"keywords"`
	Path        string            `toml:"path"`
	Tags        []string          `toml:"tags"`
	SkipReport  bool              `toml:"skipReport"`
	Allowlist   *allowlistConfig  `toml:"allowlist"`
	Allowlists  []allowlistConfig `toml:"allowlists"`
	Required    []struct {
		ID            string `toml:"id"`
		WithinLines   *int   `toml:"withinLines"`
		WithinColumns *int   `toml:"withinColumns"`
	} `toml:"required"`
}

type allowlistConfig struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	Commits     []string `toml:"commits"`
	Paths       []string `toml:"paths"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	StopWords   []string `toml:"stopwords"`
}

// rule is one compiled gitleaks rule.
type rule struct {
	id          string
	re          *lazyRE
	secretGroup int
	entropy     float64
	keywords    []string // lowercase
	allow       []*allowlist
	index       int  // position in the configuration
	generic     bool // id contains "generic": yields to a specific rule's finding
	plan
}

const (
	targetSecret = iota
	targetMatch
	targetLine
)

type allowlist struct {
	target int
	and    bool // condition AND
	never  bool // AND with paths or commits: cannot hold without a path or commit
	re     *lazyRE
	stop   *dfa
}

// allowed reports whether the allowlist lets a finding go, as gitleaks'
// checkFindingAllowed does: regexes on the target, stopwords on the secret.
func (a *allowlist) allowed(secret, match, line string) bool {
	if a.never {
		return false
	}
	target := secret
	switch a.target {
	case targetMatch:
		target = match
	case targetLine:
		target = line
	}
	re := a.re != nil && target != "" && a.re.get().MatchString(target)
	stop := a.stop != nil && secret != "" && a.stop.first(secret) >= 0
	if a.and {
		return (a.re == nil || re) && (a.stop == nil || stop)
	}
	return re || stop
}

// ruleSet is a compiled configuration.
type ruleSet struct {
	rules    []*rule
	global   []*allowlist
	kw       *automaton
	kwRules  [][]kwUse // by keyword id: the rules it triggers
	warnings []string
	version  string
}

// kwUse is a rule triggered by a keyword, and whether the keyword is one
// where the rule's matches begin.
type kwUse struct {
	rule   int32
	anchor bool
}

// ErrConfig is returned, wrapped, for a configuration that cannot be used.
var ErrConfig = errors.New("secrets config")

// parseConfig compiles a gitleaks TOML configuration. A rule that cannot
// be used (a regex Go's regexp rejects, a path-only or path-restricted rule,
// a rule with required companion rules, a keyword that is not ASCII) is
// skipped and named in the warnings; an unknown key or an invalid allowlist
// is an error.
func parseConfig(data []byte) (*ruleSet, error) {
	var c config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		keys := make([]string, len(u))
		for i, k := range u {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%w: unknown keys %s", ErrConfig, strings.Join(keys, ", "))
	}
	rs := &ruleSet{version: c.Title}
	if c.Allowlist != nil {
		c.Allowlists = append(c.Allowlists, *c.Allowlist)
	}
	for i, ac := range c.Allowlists {
		a, err := compileAllowlist(ac)
		if err != nil {
			return nil, fmt.Errorf("%w: allowlist %d: %w", ErrConfig, i, err)
		}
		rs.global = append(rs.global, a)
	}
	var keywords []string
	kwID := map[string]int{}
	seen := map[string]bool{}
	for _, rc := range c.Rules {
		skip := func(format string, args ...any) {
			rs.warnings = append(rs.warnings, fmt.Sprintf("rule %s skipped: %s", rc.ID, fmt.Sprintf(format, args...)))
		}
		switch {
		case rc.ID == "":
			return nil, fmt.Errorf("%w: a rule has no id", ErrConfig)
		case seen[rc.ID]:
			return nil, fmt.Errorf("%w: rule %s: duplicate id", ErrConfig, rc.ID)
		}
		seen[rc.ID] = true
		switch {
		case rc.Regex == "":
			skip("matches file paths only")
			continue
		case rc.Path != "":
			skip("applies only to files whose path matches %q", rc.Path)
			continue
		case len(rc.Required) > 0:
			skip("needs companion rules (required), not supported")
			continue
		case rc.SkipReport:
			skip("skipReport")
			continue
		}
		tree, err := syntax.Parse(rc.Regex, syntax.Perl)
		if err != nil {
			skip("regex does not compile with Go's regexp: %v", err)
			continue
		}
		if groups := tree.MaxCap(); rc.SecretGroup < 0 || rc.SecretGroup > groups {
			skip("secretGroup %d, but the regex has %d groups", rc.SecretGroup, groups)
			continue
		}
		kws, ok := lowerKeywords(rc.Keywords)
		if !ok || len(kws) == 0 {
			skip("needs non-empty ASCII keywords (a rule without keywords would run on every text)")
			continue
		}
		p, err := makePlan(rc.Regex, kws)
		if err != nil {
			skip("plan: %v", err)
			continue
		}
		r := &rule{
			id:          rc.ID,
			index:       len(rs.rules),
			re:          &lazyRE{expr: rc.Regex}, // parsed above
			secretGroup: rc.SecretGroup,
			entropy:     rc.Entropy,
			keywords:    kws,
			generic:     strings.Contains(strings.ToLower(rc.ID), "generic"),
			plan:        p,
		}
		if rc.Allowlist != nil {
			rc.Allowlists = append(rc.Allowlists, *rc.Allowlist)
		}
		bad := false
		for i, ac := range rc.Allowlists {
			a, err := compileAllowlist(ac)
			if err != nil {
				skip("allowlist %d: %v", i, err)
				bad = true
				break
			}
			r.allow = append(r.allow, a)
		}
		if bad {
			continue
		}
		n := int32(len(rs.rules))
		rs.rules = append(rs.rules, r)
		for i, k := range kws {
			id, ok := kwID[k]
			if !ok {
				id = len(keywords)
				kwID[k] = id
				keywords = append(keywords, k)
				rs.kwRules = append(rs.kwRules, nil)
			}
			anchor := false
			for _, a := range p.anchors {
				anchor = anchor || a == i
			}
			rs.kwRules[id] = append(rs.kwRules[id], kwUse{n, anchor})
		}
	}
	rs.kw = newAutomaton(keywords)
	return rs, nil
}

func compileAllowlist(ac allowlistConfig) (*allowlist, error) {
	if len(ac.Commits) == 0 && len(ac.Paths) == 0 && len(ac.Regexes) == 0 && len(ac.StopWords) == 0 {
		return nil, errors.New("must contain at least one check for: commits, paths, regexes, or stopwords")
	}
	a := &allowlist{}
	switch strings.ToUpper(ac.Condition) {
	case "", "OR":
	case "AND", "&&":
		a.and = true
		a.never = len(ac.Paths) > 0 || len(ac.Commits) > 0
	default:
		return nil, fmt.Errorf("unknown condition %q", ac.Condition)
	}
	switch ac.RegexTarget {
	case "", "secret":
	case "match":
		a.target = targetMatch
	case "line":
		a.target = targetLine
	default:
		return nil, fmt.Errorf("unknown regexTarget %q", ac.RegexTarget)
	}
	if len(ac.Regexes) > 0 {
		parts := make([]string, len(ac.Regexes))
		for i, r := range ac.Regexes {
			parts[i] = "(?:" + r + ")"
		}
		re, err := newLazyRE(strings.Join(parts, "|"))
		if err != nil {
			return nil, err
		}
		a.re = re
	}
	if len(ac.StopWords) > 0 {
		sw, ok := lowerKeywords(ac.StopWords)
		if !ok {
			return nil, errors.New("stopwords must be non-empty ASCII")
		}
		a.stop = newDFA(sw)
	}
	if a.re == nil && a.stop == nil && !a.and {
		a.never = true // paths or commits only
	}
	return a, nil
}
