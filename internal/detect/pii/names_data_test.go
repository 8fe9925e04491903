package pii

import (
	"strings"
	"testing"
	"unicode"
)

// TestFakerJSData checks names/fakerjs.txt as generate.mjs writes it: after
// the comments, lines of a known kind, names of one lower-case word, each
// kind sorted without repeats; and that every name reaches the gazetteer
// with its flags.
func TestFakerJSData(t *testing.T) {
	g := gazetteer()
	prev := map[string]string{}
	counts := map[string]int{}
	for i, line := range strings.Split(strings.TrimSuffix(fakerJS, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		kind, name, ok := strings.Cut(line, "\t")
		switch {
		case !ok || (kind != "f" && kind != "l" && kind != "fc" && kind != "lc"):
			t.Fatalf("names/fakerjs.txt:%d: %q is no \"f|l[c]\\tname\" line", i+1, line)
		case name == "" || strings.ContainsAny(name, " \t") || strings.ToLower(name) != name:
			t.Fatalf("names/fakerjs.txt:%d: %q is not one lower-case word", i+1, name)
		case !unicode.IsLetter([]rune(name)[0]):
			t.Fatalf("names/fakerjs.txt:%d: %q does not open with a letter", i+1, name)
		}
		k := kind[:1]
		if p, seen := prev[k]; seen && p >= name {
			t.Fatalf("names/fakerjs.txt:%d: %q after %q: not sorted or repeated", i+1, name, p)
		}
		prev[k] = name
		counts[kind]++
		want := uint8(fFirst)
		if k == "l" {
			want = fLast
		}
		if f := lookup(g, name); f&want == 0 {
			t.Errorf("%q (%s) has flags %06b in the gazetteer, without %06b", name, kind, f, want)
		}
	}
	// A regenerated file with far fewer names means the package's layout
	// changed under generate.mjs.
	if counts["f"]+counts["fc"] < 10000 || counts["l"]+counts["lc"] < 10000 {
		t.Errorf("names/fakerjs.txt holds %v names by kind; generate.mjs read too few", counts)
	}
}
