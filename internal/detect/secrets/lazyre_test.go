package secrets

import "testing"

// TestLazyRegexps checks that building the embedded rule set compiles none
// of its regular expressions, and that every one of them compiles: the
// detector compiles each only when a text first needs it, in the middle of
// a request, where get must not fail.
func TestLazyRegexps(t *testing.T) {
	rs, err := parseConfig(defaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	var all []*lazyRE
	for _, r := range rs.rules {
		all = append(all, r.re, r.anch, r.pre, r.tailRe)
		for _, a := range r.allow {
			all = append(all, a.re)
		}
	}
	n := 0
	for _, l := range all {
		if l == nil {
			continue
		}
		if l.re != nil {
			t.Fatalf("%q was compiled while building the rule set", l.expr)
		}
		if l.get() == nil {
			t.Fatalf("%q did not compile", l.expr)
		}
		n++
	}
	if n < len(rs.rules)*2 {
		t.Errorf("%d regular expressions for %d rules", n, len(rs.rules))
	}
	t.Logf("%d regular expressions for %d rules", n, len(rs.rules))
}
