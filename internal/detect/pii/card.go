package pii

import (
	"github.com/modelspec/modelspec/internal/detect"
)

// Card finds payment card numbers: 12 to 19 digits, plain or grouped by
// single spaces or hyphens, that pass the Luhn check and start with the
// issuer identification number (IIN) of a known scheme at a length that
// scheme issues. Evidence names the scheme ("card_visa", ...). A Luhn-valid
// number of no known scheme scores 0.3, below DefaultMinScore.
type Card struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*Card)(nil)

// NewCard returns a payment card detector reporting findings from DefaultMinScore.
func NewCard() *Card { return &Card{MinScore: DefaultMinScore} }

// ID returns "detect.pii.card".
func (*Card) ID() string { return IDPrefix + CatCard }

// iin is a range of issuer prefixes, compared on the first len(lo) digits,
// and the lengths the scheme issues.
type iin struct {
	scheme  string
	lo, hi  string // inclusive, same length
	lengths uint32 // bit n set: n digits
}

func lens(ns ...int) uint32 {
	var m uint32
	for _, n := range ns {
		m |= 1 << n
	}
	return m
}

// iins lists the schemes' ranges, from the schemes' published IIN tables
// (current and legacy); the first matching entry wins, so more specific
// ranges come first.
var iins = []iin{
	{"card_amex", "34", "34", lens(15)},
	{"card_amex", "37", "37", lens(15)},
	{"card_diners", "300", "305", lens(14, 15, 16, 17, 18, 19)},
	{"card_diners", "3095", "3095", lens(14, 15, 16, 17, 18, 19)},
	{"card_diners", "36", "36", lens(14, 15, 16, 17, 18, 19)},
	{"card_diners", "38", "39", lens(14, 15, 16, 17, 18, 19)},
	{"card_jcb", "3528", "3589", lens(15, 16, 17, 18, 19)},
	{"card_jcb", "1800", "1800", lens(15)}, // legacy JCB
	{"card_jcb", "2131", "2131", lens(15)}, // legacy JCB
	{"card_mir", "2200", "2204", lens(16, 17, 18, 19)},
	{"card_mastercard", "2221", "2720", lens(16)},
	{"card_visa", "4", "4", lens(13, 16, 19)},
	{"card_mastercard", "51", "55", lens(16)},
	{"card_discover", "6011", "6011", lens(16, 17, 18, 19)},
	{"card_unionpay", "622126", "622925", lens(16, 17, 18, 19)},
	{"card_discover", "644", "649", lens(16, 17, 18, 19)},
	{"card_discover", "65", "65", lens(16, 17, 18, 19)},
	{"card_unionpay", "62", "62", lens(16, 17, 18, 19)},
	{"card_rupay", "60", "60", lens(16)},
	{"card_maestro", "50", "50", lens(12, 13, 14, 15, 16, 17, 18, 19)},
	{"card_maestro", "56", "69", lens(12, 13, 14, 15, 16, 17, 18, 19)},
}

var cardCues = []string{"card", "credit", "debit", "cc", "visa", "mastercard", "amex", "american express", "discover", "maestro", "payment", "pay with", "pan"}

// scheme returns the scheme of the card number digits, or "".
func scheme(digits []byte) string {
	for _, r := range iins {
		n := len(r.lo)
		if len(digits) < n || r.lengths&(1<<len(digits)) == 0 {
			continue
		}
		p := string(digits[:n])
		if r.lo <= p && p <= r.hi {
			return r.scheme
		}
	}
	return ""
}

// luhn reports whether digits pass the Luhn check.
func luhn(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// numberRun is a run of digits separated by at most single separators.
type numberRun struct {
	start, end int // span in text
	digits     []byte
	groups     int  // digit groups
	sep        byte // the separator used, 0 for none
	mixed      bool // more than one kind of separator
	minGroup   int  // length of the shortest group but the last
}

// readRun reads the run of digits starting at s, where groups of digits
// may be separated by one byte from seps, up to maxDigits digits (more makes
// the run too long: the whole run is still consumed so that the scan stays
// linear, and ok is false).
func readRun(text string, s int, seps string, maxDigits int, buf []byte) (r numberRun, next int, ok bool) {
	r = numberRun{start: s, digits: buf[:0], minGroup: 1 << 30}
	i, group := s, 0
	for i < len(text) {
		c := text[i]
		if isDigit(c) {
			if len(r.digits) < maxDigits+1 {
				r.digits = append(r.digits, c)
			}
			group++
			i++
			continue
		}
		if group > 0 && i+1 < len(text) && isDigit(text[i+1]) && containsByte(seps, c) {
			if r.sep != 0 && r.sep != c {
				r.mixed = true
			}
			r.sep = c
			r.groups++
			r.minGroup = min(r.minGroup, group)
			group = 0
			i++
			continue
		}
		break
	}
	r.groups++
	r.end = i
	return r, i, len(r.digits) <= maxDigits
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// Detect returns one finding per card number.
func (d *Card) Detect(text string) []detect.Finding { return d.detect(text, true) }

// detect is Detect; skip as in scan.go.
func (d *Card) detect(text string, skip bool) []detect.Finding {
	em := newEmitter(IDPrefix+CatCard, CatCard, d.MinScore)
	var buf [24]byte
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i = nextDigit(text, i, skip)
			continue
		}
		if wordBefore(text, i) || i > 0 && (text[i-1] == '.' || text[i-1] == '+' || text[i-1] == ',') {
			for i < len(text) && isDigit(text[i]) {
				i++
			}
			continue
		}
		r, next, ok := readRun(text, i, " -", 19, buf[:0])
		i = next
		n := len(r.digits)
		if !ok || n < 12 || r.mixed || wordAfter(text, r.end) {
			continue
		}
		if r.groups > 1 && (r.groups > 5 || r.minGroup < 4) {
			continue // "12 3456 7890 123" is not how cards are written
		}
		if allSame(r.digits) || !luhn(r.digits) {
			continue
		}
		ev := scheme(r.digits)
		score := 0.85
		if ev == "" {
			ev, score = "card_luhn", 0.3
		}
		if hasCue(text, r.start, cardCues) {
			score += 0.1
		}
		em.add(score, r.start, r.end, ev)
	}
	return em.out
}

func allSame(b []byte) bool {
	for i := 1; i < len(b); i++ {
		if b[i] != b[0] {
			return false
		}
	}
	return true
}
