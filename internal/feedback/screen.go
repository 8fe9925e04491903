package feedback

import (
	"regexp"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/redact"
)

// Screener checks a submission with the project's own detectors before
// anyone else sees it: personal data and secrets are masked in the text
// (only the masked text is kept), abuse found by the content classifiers
// and spam hold it for moderation.
type Screener struct {
	mask, hold []detect.Detector
}

// NewScreener picks the screens from a registry (builtin.Registry): the
// personal-data detectors (detect.pii.*) and detect.secrets mask; the
// content classifier (detect.classify: hate, harassment, sexual, violence,
// self-harm, hazards) holds. The chain-of-command screens are left out on
// purpose: a comment about prompt injection quotes injections.
func NewScreener(reg *detect.Registry) *Screener {
	s := &Screener{}
	for _, id := range reg.IDs() {
		d, _ := reg.Get(id)
		switch {
		case strings.HasPrefix(id, "detect.pii.") || id == "detect.secrets":
			s.mask = append(s.mask, d)
		case id == "detect.classify":
			s.hold = append(s.hold, d)
		}
	}
	return s
}

// Result is what screening found.
type Result struct {
	Masked []string // categories masked, sorted, each once
	Flags  []string // reasons to hold, sorted, each once
}

// Status is the status the submission takes once its author is known:
// Held when anything was flagged, else Published.
func (r Result) Status() Status {
	if len(r.Flags) > 0 {
		return Held
	}
	return Published
}

// Spam signs. Links are counted because link spam is what open comment
// forms attract; a long run of one character is keyboard noise.
var linkRE = regexp.MustCompile(`(?i)\bhttps?://|\bwww\.`)

// MaxLinks is the number of links a submission may hold before it waits
// for a moderator.
const MaxLinks = 3

// Screen masks personal data in every field, in place, and returns what
// it found. One masker serves all fields, so the same address in two
// fields gets the same placeholder.
func (s *Screener) Screen(fields ...*string) Result {
	m := redact.NewMasker()
	masked, flags := map[string]bool{}, map[string]bool{}
	links := 0
	for _, f := range fields {
		if *f == "" {
			continue
		}
		var fs []detect.Finding
		for _, d := range s.mask {
			fs = append(fs, d.Detect(*f)...)
		}
		for _, x := range redact.Select(*f, fs) {
			masked[x.Category] = true
		}
		*f = m.Mask(*f, fs)
		for _, d := range s.hold {
			for _, x := range d.Detect(*f) {
				flags[x.Category] = true
			}
		}
		links += len(linkRE.FindAllStringIndex(*f, -1))
		if longRun(*f) >= 30 {
			flags["spam_repeat"] = true
		}
	}
	if links > MaxLinks {
		flags["spam_links"] = true
	}
	return Result{Masked: keys(masked), Flags: keys(flags)}
}

// longRun is the longest run of one non-space character.
func longRun(s string) int {
	best, n := 0, 0
	var prev rune = -1
	for _, r := range s {
		if r == prev && r != ' ' {
			n++
		} else {
			n = 1
		}
		prev = r
		best = max(best, n)
	}
	return best
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
