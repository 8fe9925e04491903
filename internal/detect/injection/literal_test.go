package injection

import (
	"bytes"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestPrefixFilter(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []string // nil: no filter
	}{
		{`(?:ab|cd)e`, []string{"abe", "cde"}},
		{`x?y`, []string{"xy", "y"}},
		{`ab(?:c|d)*e`, []string{"ab"}},
		{`(?:you|you are) now\b`, []string{"you are now", "you now"}},
		{`a[bc]d`, []string{"abd", "acd"}},
		{`a[b-z]d`, []string{"a"}},
		{`(?:a|ab)c`, []string{"abc", "ac"}},
		{`(?:go|gone)`, []string{"go"}}, // "gone" starts with "go"
		{`\bfoo$`, []string{"foo"}},
		{`x*y`, nil},
		{`(?i)abc`, nil},
		{`(?:a|)b`, []string{"ab", "b"}},
	} {
		var got []string
		for _, s := range newPrefixFilter(parse(tc.pattern)).strs {
			got = append(got, string(s))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("newPrefixFilter(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestPrefixFilterAdmits(t *testing.T) {
	f := newPrefixFilter(parse(`(?:ignore|forget|dis(?:card|regard)) (?:all|the)`))
	for _, tc := range []struct {
		w    string
		want bool
	}{
		{"ignore all", true}, {"ignore the rest", true}, {"discard the", true}, {"disregard all of", true},
		{"ignore", false}, {"ignore a", false}, {"forget al", false}, {"", false}, {"zzz", false}, {"a", false},
	} {
		if got := f.admits([]byte(tc.w)); got != tc.want {
			t.Errorf("admits(%q) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

// TestPrefixFilterKeys checks admits, whose search compares eight-byte
// keys first, against trying every string, on the filters of the rules and
// texts cut around their strings: shorter and longer than eight bytes,
// sharing the first eight bytes with other strings, one byte changed.
func TestPrefixFilterKeys(t *testing.T) {
	for _, r := range compiled().rules {
		f := r.prefix
		for _, s := range f.strs {
			for cut := range len(s) + 2 {
				w := append(bytes.Clone(s), " and more"...)[:cut]
				for _, v := range [][]byte{w, append(bytes.Clone(w), 'z'), bumped(w)} {
					want := slices.ContainsFunc(f.strs, func(p []byte) bool { return bytes.HasPrefix(v, p) })
					if got := f.admits(v); got != want {
						t.Fatalf("rule %s: admits(%q) = %v, want %v", r.name, v, got, want)
					}
				}
			}
		}
	}
}

// bumped returns w with its last byte one greater, or w when empty.
func bumped(w []byte) []byte {
	v := bytes.Clone(w)
	if len(v) > 0 {
		v[len(v)-1]++
	}
	return v
}

func TestSuffixFilter(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{`\b(?:your|the|my) $`, []string{"your ", "the ", "my "}},
		{`\bthe $`, []string{"the "}},
		{`\byour (?:[a-z']+ )?$`, []string{" "}},
		{`\bthe `, nil},    // not anchored at the end
		{`(?:a|b)*$`, nil}, // may match the empty string
	} {
		var got []string
		for _, s := range newSuffixFilter(parse(tc.pattern)) {
			got = append(got, string(s))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("newSuffixFilter(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestByteFilter(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    string
	}{
		{`(?:https?://|www\.)[^ ]*(?:\{x\}|\[y\]|<z>)`, "{[<"},
		{`ab[^ ]*cd`, ""},   // letters: too common to be worth a search
		{`ab(?:\{)?cd`, ""}, // optional
		{`(?:a|b)`, ""},     // not a concatenation
	} {
		if got := string(newByteFilter(parse(tc.pattern))); got != tc.want {
			t.Errorf("newByteFilter(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

// TestMaxMatchLen checks that an unbounded pattern gives -1 (retree tests
// the lengths).
func TestMaxMatchLen(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    int
	}{
		{`abc`, 3}, {`ab{1,3}`, 4}, {`a+`, -1}, {`a*`, -1}, {`a{2,}`, -1}, {`(?:ab|cde)f?\b$`, 4},
	} {
		if got := maxMatchLen(parse(tc.pattern)); got != tc.want {
			t.Errorf("maxMatchLen(%q) = %d, want %d", tc.pattern, got, tc.want)
		}
	}
}

// TestCutWindow checks that an anchored pattern of bounded length finds
// the same match in the cut window, on windows that end or hold a
// character of several bytes around the cut, and an assertion there.
func TestCutWindow(t *testing.T) {
	for _, pattern := range []string{`ab\b`, `a[^ ]{1,3}`, `(?:ab|a)(?:cé|c)?$`, `x?[^a]{2}\B`, `ab(?:c|cd)?`} {
		re := regexp.MustCompile(`^(?:` + pattern + `)`)
		n := maxMatchLen(parse(pattern))
		for _, w := range []string{"ab", "abc", "ab ", "abé", "acé", "acéx", "ac", "aéé ", "abcd", "abcdé", "xéa", "xéé", "éé", strings.Repeat("ab", 10)} {
			cut := cutWindow([]byte(w), n)
			if got, want := re.FindIndex(cut), re.FindIndex([]byte(w)); !reflect.DeepEqual(got, want) {
				t.Errorf("%s on %q cut to %q: %v, whole %v", pattern, w, cut, got, want)
			}
		}
	}
}
