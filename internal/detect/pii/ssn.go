package pii

import (
	"github.com/modelspec/modelspec/internal/detect"
)

// SSN finds US social security numbers: AAA-GG-SSSS (or with spaces, or
// nine plain digits) whose area is not 000, 666 or 900-999, whose group is
// not 00 and whose serial is not 0000 (the SSA's rules for numbers it never
// issues). Hyphenated numbers score 0.85; spaced ones 0.5 and plain ones 0.3
// unless a cue ("ssn", "social security", ...) precedes them (+0.35 or
// more). Numbers the SSA retired after they were published in adverts
// (078-05-1120, 219-09-9999) and the placeholder 123-45-6789 score 0.2.
type SSN struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*SSN)(nil)

// NewSSN returns a US SSN detector reporting findings from DefaultMinScore.
func NewSSN() *SSN { return &SSN{MinScore: DefaultMinScore} }

// ID returns "detect.pii.ssn".
func (*SSN) ID() string { return IDPrefix + CatSSN }

var ssnCues = []string{"ssn", "ss#", "ssn#", "social security", "social sec", "social-security", "soc sec", "ss no", "ss number", "taxpayer", "tin"}

var ssnExamples = map[string]bool{"078051120": true, "219099999": true, "123456789": true}

// Detect returns one finding per social security number.
func (d *SSN) Detect(text string) []detect.Finding { return d.detect(text, true) }

// detect is Detect; skip as in scan.go.
func (d *SSN) detect(text string, skip bool) []detect.Finding {
	em := newEmitter(IDPrefix+CatSSN, CatSSN, d.MinScore)
	var buf [16]byte
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i = nextDigit(text, i, skip)
			continue
		}
		if wordBefore(text, i) || i > 0 && (text[i-1] == '.' || text[i-1] == '-' || text[i-1] == '+' || text[i-1] == '/' || text[i-1] == '$') {
			for i < len(text) && isDigit(text[i]) {
				i++
			}
			continue
		}
		r, next, ok := readRun(text, i, "- ", 9, buf[:0])
		i = next
		if !ok || len(r.digits) != 9 || r.mixed || wordAfter(text, r.end) {
			continue
		}
		if r.end < len(text)-1 && (text[r.end] == '-' || text[r.end] == '.') && isDigit(text[r.end+1]) {
			continue // runs on: "123-45-6789-0", a decimal
		}
		var ev string
		var score float64
		switch {
		case r.groups == 1:
			ev, score = "ssn_plain", 0.3
		case r.groups == 3 && shape(text[r.start:r.end], 3, 2, 4):
			if r.sep == '-' {
				ev, score = "ssn_dashed", 0.85
			} else {
				ev, score = "ssn_spaced", 0.5
			}
		default:
			continue
		}
		if !validSSN(r.digits) {
			continue
		}
		if hasCue(text, r.start, ssnCues) {
			score = max(score+0.35, 0.9)
		}
		if ssnExamples[string(r.digits)] {
			score = 0.2
		}
		em.add(min(score, 0.99), r.start, r.end, ev)
	}
	return em.out
}

// shape reports whether s is digit groups of the given lengths separated by
// single bytes.
func shape(s string, groups ...int) bool {
	i := 0
	for k, g := range groups {
		if k > 0 {
			if i >= len(s) || isDigit(s[i]) {
				return false
			}
			i++
		}
		for range g {
			if i >= len(s) || !isDigit(s[i]) {
				return false
			}
			i++
		}
	}
	return i == len(s)
}

// validSSN applies the SSA's rules to nine digits.
func validSSN(d []byte) bool {
	area, group, serial := string(d[:3]), string(d[3:5]), string(d[5:])
	return area != "000" && area != "666" && d[0] != '9' && group != "00" && serial != "0000"
}
