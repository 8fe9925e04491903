package pii

import (
	"net/netip"
	"strings"

	"github.com/modelspec/modelspec/internal/detect"
)

// IP finds IPv4 and IPv6 addresses. Candidates are maximal runs of digits
// and dots (IPv4) or of hex digits, colons and dots holding at least two
// colons (IPv6, also with an embedded IPv4 tail); each is validated with
// net/netip.ParseAddr, which rejects leading zeros in IPv4 and malformed
// groups, so times ("12:30:45"), MAC addresses and version strings with more
// or fewer than four parts are not reported.
type IP struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*IP)(nil)

// NewIP returns an IP address detector reporting findings from DefaultMinScore.
func NewIP() *IP { return &IP{MinScore: DefaultMinScore} }

// ID returns "detect.pii.ip".
func (*IP) ID() string { return IDPrefix + CatIP }

// maxIPv6 bounds an IPv6 candidate (45 is the longest textual form with an
// IPv4 tail).
const maxIPv6 = 45

var (
	ipCues      = []string{"ip", "ip address", "ipv4", "ipv6", "address", "host", "server", "client", "from", "blocked"}
	versionCues = []string{"version", "v", "ver", "release", "build", "oid", "chapter", "section"}
)

// Detect returns one finding per IP address.
func (d *IP) Detect(text string) []detect.Finding { return d.detect(text, true) }

// detect is Detect; skip as in scan.go.
func (d *IP) detect(text string, skip bool) []detect.Finding {
	em := newEmitter(IDPrefix+CatIP, CatIP, d.MinScore)
	d.v4(text, &em, skip)
	d.v6(text, &em)
	return em.out
}

func (d *IP) v4(text string, em *emitter, skip bool) {
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i = nextDigit(text, i, skip)
			continue
		}
		s := i
		dots := 0
		for i < len(text) && (isDigit(text[i]) || text[i] == '.') {
			if text[i] == '.' {
				dots++
			}
			i++
		}
		e := i
		for e > s && text[e-1] == '.' {
			e--
			dots--
		}
		if dots != 3 || e-s > 15 || wordBefore(text, s) || wordAfter(text, e) {
			continue
		}
		if s > 0 && (text[s-1] == '.' || text[s-1] == ':') {
			continue // part of a longer dotted run or an IPv6 tail
		}
		a, err := netip.ParseAddr(text[s:e])
		if err != nil || !a.Is4() {
			continue
		}
		score := 0.85
		if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsLinkLocalUnicast() {
			score = 0.6
		}
		if hasCue(text, s, ipCues) {
			score += 0.1
		}
		if hasCueIn(text, s-12, s, versionCues) {
			score = 0.3
		}
		em.add(score, s, e, "ipv4")
	}
}

func (d *IP) v6(text string, em *emitter) {
	floor := 0
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], ':')
		if j < 0 {
			return
		}
		c := i + j
		s := c
		for s > floor && (class[text[s-1]]&cHex != 0 || text[s-1] == ':') {
			s--
		}
		e := c
		colons := 0
		for e < len(text) && (class[text[e]]&cHex != 0 || text[e] == ':' || text[e] == '.') {
			if text[e] == ':' {
				colons++
			}
			e++
		}
		for k := s; k < c; k++ {
			if text[k] == ':' {
				colons++
			}
		}
		floor, i = e, e
		for e > s && text[e-1] == '.' {
			e--
		}
		if colons < 2 || e-s > maxIPv6 || e-s < 3 || wordBefore(text, s) || wordAfter(text, e) {
			continue
		}
		a, err := netip.ParseAddr(text[s:e])
		if err != nil || !a.Is6() || a.IsUnspecified() {
			continue
		}
		score := 0.85
		if colons < 3 { // "a::b": short forms are often something else
			score = 0.4
		}
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() {
			score = min(score, 0.6)
		}
		if hasCue(text, s, ipCues) {
			score += 0.1
		}
		em.add(score, s, e, "ipv6")
	}
}
