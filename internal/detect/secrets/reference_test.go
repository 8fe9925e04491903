package secrets

import (
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// reference finds secrets the way gitleaks does, with none of the windows
// of plan.go: every rule one of whose keywords occurs anywhere in the text
// runs over the whole text. For a rule without a plan it keeps only the
// matches Detect can find, those within the rule's reach of a keyword.
func reference(d *Detector, text string) []detect.Finding {
	rs := d.set()
	lower := strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, text)
	if len(lower) != len(text) { // invalid UTF-8 was replaced: fold bytes instead
		b := []byte(text)
		for i, c := range b {
			b[i] = swar.LowerASCII(c)
		}
		lower = string(b)
	}
	var fs []found
	for _, r := range rs.rules {
		var occ []cand
		for _, k := range r.keywords {
			for i := 0; ; {
				j := strings.Index(lower[i:], k)
				if j < 0 {
					break
				}
				occ = append(occ, cand{i + j, i + j + len(k)})
				i += j + 1
			}
		}
		if len(occ) == 0 {
			continue
		}
		for _, m := range r.re.get().FindAllStringSubmatchIndex(text, -1) {
			if !r.anchored && !slices.ContainsFunc(occ, func(c cand) bool {
				return c.start-r.head-1 <= m[0] && (m[1] < c.end+r.tail+1 || m[1] == len(text))
			}) {
				continue
			}
			fs = r.check(rs, text, m, 0, fs)
		}
	}
	return d.findings(fs)
}

// TestReference checks that Detect, which runs each rule only near its
// keywords, finds what a search of the whole text finds.
func TestReference(t *testing.T) {
	d := &Detector{}
	texts := []string{benchText(16 << 10), benchText(1 << 10)}
	var all strings.Builder
	for _, c := range mustLoadCases(t) {
		texts = append(texts, c.Text)
		all.WriteString(c.Text)
		all.WriteString("\n")
	}
	texts = append(texts, all.String(), strings.ReplaceAll(all.String(), "\n", " "), strings.ReplaceAll(all.String(), "\n", ""))
	for _, text := range texts {
		compareReference(t, d, text)
	}
}

func compareReference(t *testing.T, d *Detector, text string) {
	t.Helper()
	got, want := d.Detect(text), reference(d, text)
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("Detect and the whole-text reference differ on %.200q", text)
	for _, f := range got {
		if !slices.Contains(want, f) {
			t.Logf("  only Detect: %s %q", f.Evidence, text[f.Start:f.End])
		}
	}
	for _, f := range want {
		if !slices.Contains(got, f) {
			t.Logf("  only reference: %s %q", f.Evidence, text[f.Start:f.End])
		}
	}
}
