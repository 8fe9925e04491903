// Package pii finds personal information in text: e-mail addresses, phone
// numbers, payment cards, US social security numbers, IBANs, IP addresses,
// street addresses, dates of birth and person names. There is one detector
// per entity type, each with its own id ("detect.pii.email", ...), category
// (the entity type, "email", ...) and the clause protect_privacy.
//
// Every detector finds candidates with a linear scan over the bytes of the
// text (an index of '@' for e-mail, digit runs for numbers, capitalised words
// for names) and then validates each candidate within a bounded window:
// checksums (Luhn for cards, mod-97 for IBANs), registries (card IIN ranges,
// IBAN lengths per country, SSN area rules, phone metadata from
// github.com/nyaruka/phonenumbers), net/netip for IP addresses, and
// gazetteers (first names and surnames from github.com/brianvoe/gofakeit/v7,
// street suffixes) with context cues ("my name is", "Dear", "born on",
// "phone:"). No pattern ever reads more than a bounded window around its
// anchor, so every detector is linear in the length of the text.
//
// Like every detector the package is pure: it must never import net/http or
// database/sql, and it does no I/O, reads no clock and draws no randomness
// at detection time; gazetteers are built once, on first construction.
package pii

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// Clause is the clause every PII finding serves.
const Clause = "protect_privacy"

// DefaultMinScore is the score from which the detectors returned by the New
// functions report a finding. Weak candidates (a first name alone, a date in
// the range of birth dates but with no birth cue, a Luhn-valid number with
// no known issuer) score below it; the zero value of each detector type
// reports them too, for precision/recall curves.
const DefaultMinScore = 0.5

// Categories, one per entity type; the detector id is "detect.pii." + category.
const (
	CatEmail   = "email"
	CatPhone   = "phone"
	CatCard    = "card"
	CatSSN     = "ssn"
	CatIBAN    = "iban"
	CatIP      = "ip"
	CatAddress = "address"
	CatDOB     = "dob"
	CatPerson  = "person"
)

// Categories lists every category in the order All returns the detectors.
var Categories = []string{CatEmail, CatPhone, CatCard, CatSSN, CatIBAN, CatIP, CatAddress, CatDOB, CatPerson}

// IDPrefix is the namespace of the detectors' ids.
const IDPrefix = "detect.pii."

// All returns every PII detector, each reporting findings that score
// DefaultMinScore or more, in the order of Categories.
func All() []detect.Detector {
	return []detect.Detector{
		NewEmail(), NewPhone(), NewCard(), NewSSN(), NewIBAN(),
		NewIP(), NewAddress(), NewDOB(), NewPerson(),
	}
}

// kindsOf is the Kinds of the detector of category c: every PII detector
// reports one category, serving Clause.
func kindsOf(c string) []detect.Kind { return []detect.Kind{{Category: c, Clause: Clause}} }

func (*Email) Kinds() []detect.Kind   { return kindsOf(CatEmail) }
func (*Phone) Kinds() []detect.Kind   { return kindsOf(CatPhone) }
func (*Card) Kinds() []detect.Kind    { return kindsOf(CatCard) }
func (*SSN) Kinds() []detect.Kind     { return kindsOf(CatSSN) }
func (*IBAN) Kinds() []detect.Kind    { return kindsOf(CatIBAN) }
func (*IP) Kinds() []detect.Kind      { return kindsOf(CatIP) }
func (*Address) Kinds() []detect.Kind { return kindsOf(CatAddress) }
func (*DOB) Kinds() []detect.Kind     { return kindsOf(CatDOB) }
func (*Person) Kinds() []detect.Kind  { return kindsOf(CatPerson) }

// emitter collects the findings of one detector call.
type emitter struct {
	id, category string
	min          float64
	out          []detect.Finding
}

// newEmitter starts the findings of detector id (passed as a constant,
// IDPrefix+category, so that no call builds the string).
func newEmitter(id, category string, min float64) emitter {
	return emitter{id: id, category: category, min: min}
}

// reports reports whether a finding with this score would be kept.
func (e *emitter) reports(score float64) bool {
	return math.Round(min(max(score, 0), 1)*1000)/1000 >= e.min
}

func (e *emitter) add(score float64, start, end int, evidence string) {
	score = detect.RoundScore(min(max(score, 0), 1))
	if evidence == "" || score < e.min || end <= start {
		return
	}
	e.out = append(e.out, detect.Finding{
		Detector: e.id,
		Clause:   Clause,
		Category: e.category,
		Score:    score,
		Start:    start,
		End:      end,
		Evidence: evidence,
	})
}

// Byte classes.
const (
	cDigit  = 1 << iota // 0-9
	cUpper              // A-Z
	cLower              // a-z
	cLocal              // e-mail local part
	cDomain             // e-mail domain
	cHex                // 0-9 a-f A-F
	cSpace              // ' ', '\t'
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		var k uint8
		switch {
		case '0' <= b && b <= '9':
			k |= cDigit | cLocal | cDomain | cHex
		case 'A' <= b && b <= 'Z':
			k |= cUpper | cLocal | cDomain
		case 'a' <= b && b <= 'z':
			k |= cLower | cLocal | cDomain
		}
		if 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' {
			k |= cHex
		}
		if strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", b) >= 0 {
			k |= cLocal
		}
		if b == '-' || b == '.' {
			k |= cDomain
		}
		if b == ' ' || b == '\t' {
			k |= cSpace
		}
		class[c] = k
	}
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
func isAlpha(b byte) bool { return class[b]&(cUpper|cLower) != 0 }
func isAlnum(b byte) bool { return class[b]&(cDigit|cUpper|cLower) != 0 }

// wordBefore reports whether the byte before i continues a word: an ASCII
// letter or digit, or the last byte of a non-ASCII letter or digit.
func wordBefore(text string, i int) bool {
	if i <= 0 {
		return false
	}
	b := text[i-1]
	if b < utf8.RuneSelf {
		return isAlnum(b) || b == '_'
	}
	r, _ := utf8.DecodeLastRuneInString(text[max(0, i-utf8.UTFMax):i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// wordAfter reports whether the byte at i continues a word.
func wordAfter(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	b := text[i]
	if b < utf8.RuneSelf {
		return isAlnum(b) || b == '_'
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// cueWindow is how far before a candidate a context cue is looked for.
const cueWindow = 48

// lowerWindow returns text[max(0,from):to] lowercased (ASCII only) into buf.
func lowerWindow(buf []byte, text string, from, to int) []byte {
	from = max(0, from)
	to = min(len(text), to)
	buf = buf[:0]
	for i := from; i < to; i++ {
		b := text[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		buf = append(buf, b)
	}
	return buf
}

// hasCue reports whether one of cues occurs, as a whole word or phrase, in
// the cueWindow bytes before pos (lowercased). Cues are lowercase ASCII.
func hasCue(text string, pos int, cues []string) bool {
	return hasCueIn(text, pos-cueWindow, pos, cues)
}

// hasCueIn reports whether one of cues occurs as a whole word or phrase in
// text[from:to] (at most its first 128 bytes), ASCII case folded: at a
// byte of the window that no ASCII letter or digit of the window precedes,
// and with none right after it in the window. Cues are non-empty and lower
// case (an empty one matches nothing).
//
// The window is read in place: only the starts of words are compared with
// the cues, and only with those that open with the byte there.
// refHasCueIn (in the tests) is the plain definition on a lowered copy.
func hasCueIn(text string, from, to int, cues []string) bool {
	lo := max(0, from)
	hi := min(len(text), to, lo+128)
	if lo >= hi {
		return false
	}
	s := text[lo:hi]
	// first has bit b&63 set for the first byte b of every cue: a word
	// start whose byte is not in it is compared with no cue.
	var first uint64
	for _, c := range cues {
		if c != "" {
			first |= 1 << (c[0] & 63)
		}
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && isAlnum(s[i-1]) {
			continue
		}
		b := swar.LowerASCII(s[i])
		if first&(1<<(b&63)) == 0 {
			continue
		}
		for _, c := range cues {
			j := i + len(c)
			if c == "" || c[0] != b || j > len(s) || j < len(s) && isAlnum(s[j]) {
				continue
			}
			if foldedEqual(s[i:j], c) {
				return true
			}
		}
	}
	return false
}

// foldedEqual reports whether w, its ASCII letters lowered, is c.
func foldedEqual(w, c string) bool {
	for k := 0; k < len(c); k++ {
		if swar.LowerASCII(w[k]) != c[k] {
			return false
		}
	}
	return true
}
