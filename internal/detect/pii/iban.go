package pii

import (
	"github.com/modelspec/modelspec/internal/detect"
)

// IBAN finds international bank account numbers: a country code, two check
// digits and the basic bank account number, written plain or in groups of
// four separated by single spaces, in either case, whose length is the one
// the IBAN registry gives for the country and whose mod-97 checksum is 1.
type IBAN struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*IBAN)(nil)

// NewIBAN returns an IBAN detector reporting findings from DefaultMinScore.
func NewIBAN() *IBAN { return &IBAN{MinScore: DefaultMinScore} }

// ID returns "detect.pii.iban".
func (*IBAN) ID() string { return IDPrefix + CatIBAN }

// ibanLength is the IBAN length per country, from the SWIFT IBAN registry
// (release 99, 2024), including the countries that joined since 2020.
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
	"YE": 30,
}

const maxIBAN = 34

// Detect returns one finding per IBAN.
func (d *IBAN) Detect(text string) []detect.Finding { return d.detect(text, true) }

// detect is Detect; skip as in scan.go.
func (d *IBAN) detect(text string, skip bool) []detect.Finding {
	em := newEmitter(IDPrefix+CatIBAN, CatIBAN, d.MinScore)
	var buf [maxIBAN]byte
	for i := 0; i+4 <= len(text); i++ {
		if !isDigit(text[i+2]) {
			if skip {
				// The next candidate has its first check digit at the
				// next digit; the loop's i++ lands two bytes before it.
				i = indexDigit(text, i+3) - 3
			}
			continue
		}
		if !isAlpha(text[i]) || !isAlpha(text[i+1]) || !isDigit(text[i+2]) || !isDigit(text[i+3]) || wordBefore(text, i) {
			continue
		}
		cc := [2]byte{upper(text[i]), upper(text[i+1])}
		want, ok := ibanLength[string(cc[:])]
		if !ok {
			continue
		}
		// Read want alphanumerics, allowing one space after each group of
		// four.
		chars := buf[:0]
		j, group := i, 0
		for j < len(text) && len(chars) < want {
			c := text[j]
			if isAlnum(c) {
				chars = append(chars, upper(c))
				group++
				j++
				continue
			}
			if c == ' ' && group == 4 && j+1 < len(text) && isAlnum(text[j+1]) {
				group = 0
				j++
				continue
			}
			break
		}
		if len(chars) != want || wordAfter(text, j) {
			continue
		}
		if !mod97(chars) {
			continue
		}
		score := 0.95
		if hasLower(text[i:j]) {
			score = 0.9
		}
		em.add(score, i, j, "iban")
		i = j - 1
	}
	return em.out
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func hasLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// mod97 reports whether the IBAN chars (upper case) have checksum 1 (ISO
// 13616): the first four characters move to the end, letters become 10..35.
func mod97(chars []byte) bool {
	rem := 0
	add := func(c byte) bool {
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range chars[4:] {
		if !add(c) {
			return false
		}
	}
	for _, c := range chars[:4] {
		if !add(c) {
			return false
		}
	}
	return rem == 1
}
