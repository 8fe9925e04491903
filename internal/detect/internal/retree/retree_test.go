package retree

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
)

var cases = []struct {
	pattern string
	want    int
}{
	{`abc`, 3}, {`ab{1,3}`, 4}, {`a+`, Inf}, {`a*`, Inf}, {`a{2,}`, Inf}, {`[a-z]`, 1}, {`[^?]`, 4}, {`.`, 4},
	{`(?:ab|cde)f?\b$`, 4}, {`é`, 2}, {`(?:x|y{0,2})z`, 3}, {`(?s).`, 4}, {`[a-zé]`, 2},
	{`(?i)k`, 3}, {`(?i)s`, 2}, {`(?i)ab`, 2}, // K folds with the Kelvin sign, s with the long s
	{`(?:\b)*x`, 1}, {`(?:^|$)+`, 0}, {`x{0}`, 0}, {`(?:)`, 0}, {`[^\x00-\x{10FFFF}]`, 0},
	{`[a\x{D800}]`, 3}, {`\x{D800}`, 3}, // surrogates: the regexp reads U+FFFD
	{`(?:a{2,5}){3}`, 15}, {`(?:ab){0,2}[^a]{1000}`, 4004},
}

func parse(t *testing.T, pattern string) *syntax.Regexp {
	t.Helper()
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

// TestMaxLen checks MaxLen on parsed and on simplified trees, which detectors
// both pass.
func TestMaxLen(t *testing.T) {
	for _, tc := range cases {
		re := parse(t, tc.pattern)
		if got := MaxLen(re); got != tc.want {
			t.Errorf("MaxLen(%q) = %d, want %d", tc.pattern, got, tc.want)
		}
		if got := MaxLen(re.Simplify()); got != tc.want {
			t.Errorf("MaxLen(%q simplified) = %d, want %d", tc.pattern, got, tc.want)
		}
	}
}

// TestMaxLenBounds checks that no match is longer than MaxLen says, on
// text with every case and width of character the patterns hold.
func TestMaxLenBounds(t *testing.T) {
	text := "abcde f KkK\u212a sS\u017f \u00e9\u00c9 xyyz aaaa\xff\xed\xa0\x80 ?! " + strings.Repeat("a", 50)
	for _, tc := range cases {
		n := MaxLen(parse(t, tc.pattern))
		re := regexp.MustCompile(`^(?:` + tc.pattern + `)`)
		re.Longest()
		for i := range len(text) {
			if loc := re.FindStringIndex(text[i:]); loc != nil && loc[1] > n {
				t.Errorf("%s matches %q, longer than MaxLen %d", tc.pattern, text[i:i+loc[1]], n)
			}
		}
	}
}
