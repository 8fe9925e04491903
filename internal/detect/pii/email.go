package pii

import (
	"strings"

	"github.com/modelspec/modelspec/internal/detect"
)

// Email finds e-mail addresses: a local part of up to 64 characters, '@',
// and a domain of dot-separated labels ending in an alphabetic top-level
// domain. ASCII only (no internationalised addresses).
type Email struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*Email)(nil)

// NewEmail returns an e-mail detector reporting findings from DefaultMinScore.
func NewEmail() *Email { return &Email{MinScore: DefaultMinScore} }

// ID returns "detect.pii.email".
func (*Email) ID() string { return IDPrefix + CatEmail }

const (
	maxLocal  = 64
	maxDomain = 253
)

// fileTLDs are "top-level domains" that are really file extensions, as in
// "icon@2x.png".
var fileTLDs = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "ico": true}

// Detect returns one finding per e-mail address.
//
// Each '@' is found with strings.IndexByte; the local part is read back to
// the previous '@' or match (at most 64 bytes) and the domain forward to the
// next byte outside [A-Za-z0-9.-] (at most 253), so every byte is read at
// most twice whatever the number of '@' signs.
func (d *Email) Detect(text string) []detect.Finding {
	em := newEmitter(IDPrefix+CatEmail, CatEmail, d.MinScore)
	floor := 0 // no match may start before this
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		s := at
		for s > floor && at-s < maxLocal && class[text[s-1]]&cLocal != 0 {
			s--
		}
		for s < at && text[s] == '.' { // a local part never starts with '.'
			s++
		}
		if s == at || text[at-1] == '.' {
			continue
		}
		e := at + 1
		for e < len(text) && e-at <= maxDomain && class[text[e]]&cDomain != 0 {
			e++
		}
		for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		if !validDomain(text[at+1 : e]) {
			continue
		}
		if wordAfter(text, e) { // domain runs into a non-ASCII letter
			continue
		}
		score := 0.95
		if strings.Contains(text[s:at], "..") {
			score = 0.5
		}
		em.add(score, s, e, "email")
		floor = e
		i = e
	}
	return em.out
}

// validDomain reports whether d is at least two labels of letters, digits
// and inner hyphens, ending in a top-level domain of two or more letters.
func validDomain(d string) bool {
	if len(d) < 4 {
		return false
	}
	labels := 0
	for len(d) > 0 {
		label, rest, more := strings.Cut(d, ".")
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		labels++
		if !more {
			if len(label) < 2 || fileTLDs[strings.ToLower(label)] {
				return false
			}
			for k := 0; k < len(label); k++ {
				if !isAlpha(label[k]) {
					return strings.HasPrefix(label, "xn--")
				}
			}
		}
		d = rest
	}
	return labels >= 2
}
