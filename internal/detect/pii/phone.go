package pii

import (
	"math/bits"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/modelspec/modelspec/internal/detect"
)

// Phone finds telephone numbers. A linear pre-scan reads candidates: runs
// of 7 to 15 digits (16 after an international "00") grouped by spaces,
// hyphens, dots, slashes or parentheses, optionally after '+'. Shapes that
// are something else are dropped (dates, dotted quads, SSNs, Luhn-valid card
// numbers). Each remaining candidate is validated with the numbering plan
// metadata of github.com/nyaruka/phonenumbers: an international number
// ('+' or "00") must be valid for its country calling code; a national one
// must be valid in one of Regions, tried in order (North America and the UK
// first). The library's patterns are compiled once into automata
// (phonemeta.go) that answer exactly as the library does. Context cues before or just after the number ("phone", "call",
// "mobile", "fax", ...) raise the score; a valid number in a region other
// than North America or the UK needs one to reach DefaultMinScore, and so
// does a plain run of digits with no grouping.
type Phone struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*Phone)(nil)

// NewPhone returns a phone number detector reporting findings from
// DefaultMinScore.
func NewPhone() *Phone { return &Phone{MinScore: DefaultMinScore} }

// ID returns "detect.pii.phone".
func (*Phone) ID() string { return IDPrefix + CatPhone }

// Regions are the regions whose national numbering plans national numbers
// (written without '+') are checked against, in order: North America and
// the UK, then other countries with many speakers of the languages the
// gateway serves.
var Regions = []string{
	"US", "GB", "CA", "AU", "IE", "NZ", "IN", "ZA",
	"DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "PT", "BR", "MX",
	"SE", "NO", "DK", "FI", "PL", "CZ", "HU", "GR", "RU", "JP",
}

// maxValidations bounds the region checks one Detect call makes (each costs
// about a microsecond); past it only North America and the UK are tried, so
// a text made of millions of digit groups stays cheap.
const maxValidations = 20000

type region struct {
	code string
	cc   int32
	ndd  string // national (trunk) prefix, digits only
	// lengths has bit n set when a national significant number of n
	// digits may be valid here (all bits for a region whose lengths the
	// library does not tell, see regionsMeta).
	lengths uint32
	plan    *numberPlan // the region's compiled patterns (phonemeta.go)
}

var (
	regionsOnce sync.Once
	regionMeta  []region
)

func regionsMeta() []region {
	regionsOnce.Do(func() {
		for _, r := range Regions {
			cc := phonenumbers.GetCountryCodeForRegion(r)
			if cc == 0 {
				continue
			}
			regionMeta = append(regionMeta, region{r, int32(cc), phonenumbers.GetNddPrefixForRegion(r, true), possibleLengths(r, int32(cc)), newNumberPlan(r, int32(cc), maxPlanStates)})
		}
	})
	return regionMeta
}

var (
	phoneCues      = []string{"phone", "tel", "telephone", "mobile", "cell", "cellphone", "fax", "call", "calling", "called", "text", "sms", "whatsapp", "contact", "reach", "dial", "ring", "phone number", "answering", "messages to", "hotline", "landline"}
	phoneCuesAfter = []string{"office", "fax", "mobile", "cell", "home", "work", "desk", "ext", "x", "direct"}
)

// Detect returns one finding per phone number.
func (d *Phone) Detect(text string) []detect.Finding { return d.detect(text, true) }

// detect is Detect; skip as in scan.go.
func (d *Phone) detect(text string, skip bool) []detect.Finding {
	em := newEmitter(IDPrefix+CatPhone, CatPhone, d.MinScore)
	regs := regionsMeta()
	budget := maxValidations
	// The byte-by-byte reference path validates with the library itself,
	// so that comparing it with the fast path (checkSkips, FuzzDetect) also
	// compares the compiled plans with the library.
	var nb *numBuf
	if !skip {
		nb = new(numBuf)
	}
	var digits [20]byte
	var cand phoneCand
	for i := 0; i < len(text); {
		c := text[i]
		start := i
		switch {
		case c == '+' && i+1 < len(text) && (isDigit(text[i+1]) || text[i+1] == ' ' && i+2 < len(text) && isDigit(text[i+2])):
		case c == '(' && i+1 < len(text) && isDigit(text[i+1]):
		case isDigit(c):
		default:
			i++
			if skip {
				i = nextPhoneStart(text, i)
			}
			continue
		}
		if wordBefore(text, i) || i > 0 && (text[i-1] == '.' || text[i-1] == '-' || text[i-1] == '/' || text[i-1] == '$' || text[i-1] == ',' || text[i-1] == '#') {
			i++
			for i < len(text) && isDigit(text[i]) {
				i++
			}
			continue
		}
		cand.digits, i = readPhone(text, start, digits[:0], &cand)
		if cand.end <= start {
			i = start + 1
			continue
		}
		if score, ev := d.score(text, &cand, regs, &budget, nb); ev != "" {
			em.add(min(score, 0.99), cand.start, cand.end, ev)
		}
	}
	return em.out
}

// nextPhoneStart returns the first offset at or after i where a candidate
// may start, or len(text): a candidate starts at a digit, at a '+' or '('
// just before one, or at a '+' two bytes before one with a space between
// ("+ 44 ..."). No byte before the next digit d can start one except those
// at d-1 and d-2, so the scan's byte-by-byte cases fire nowhere else.
func nextPhoneStart(text string, i int) int {
	d := indexDigit(text, i)
	if d == len(text) {
		return d
	}
	switch {
	case d-2 >= i && text[d-2] == '+' && text[d-1] == ' ':
		return d - 2
	case d-1 >= i && (text[d-1] == '+' || text[d-1] == '('):
		return d - 1
	}
	return d
}

// phoneCand is a candidate phone number.
type phoneCand struct {
	start, end int
	digits     []byte // national or international digits, after any '+' or "00"
	intl       bool   // written with '+' or "00"
	groups     int    // digit groups
	seps       sepSet // the distinct separator bytes used between digits
	trunkZero  bool   // "(0)" after the country code
	groupLens  [6]int // lengths of the first groups
}

const (
	maxPhoneDigits = 17
	maxPhoneLen    = 32
)

// readPhone reads a candidate at s into c, its digits appended to buf, and
// returns them with the offset where the scan goes on; the caller sets
// c.digits. The candidate is empty when the run is not phone-shaped. (c is
// filled in place because the struct is large and this runs for every run
// of digits; the digits are returned rather than stored through c so that
// buf, an array of the caller, stays on its stack.)
func readPhone(text string, s int, buf []byte, c *phoneCand) ([]byte, int) {
	*c = phoneCand{start: s}
	digits := buf
	i := s
	if text[i] == '+' {
		c.intl = true
		i++
		if i < len(text) && text[i] == ' ' {
			i++
		}
	}
	open := false
	var pending sepSet // separators since the last digit
	sepRun := 0
	group := 0
	end := i
	for i < len(text) && i-s < maxPhoneLen+8 {
		b := text[i]
		switch {
		case isDigit(b):
			c.seps |= pending
			pending = 0
			if len(digits) <= maxPhoneDigits {
				digits = append(digits, b)
			}
			group++
			sepRun = 0
			i++
			end = i
			continue
		case b == '(' && !open && sepRun < 2:
			open = true
		case b == ')' && open:
			open = false
		case b == ' ' || b == '-' || b == '.' || b == '/':
			if b != ' ' && sepRun > 0 && text[i-1] != ' ' && text[i-1] != ')' {
				goto done // "--", "..": not a phone
			}
		default:
			goto done
		}
		if group > 0 {
			if c.groups < len(c.groupLens) {
				c.groupLens[c.groups] = group
			}
			c.groups++
			group = 0
		}
		if b != '(' && b != ')' {
			pending |= sepBit(b)
		}
		sepRun++
		if sepRun > 3 {
			goto done
		}
		i++
	}
done:
	if group > 0 {
		if c.groups < len(c.groupLens) {
			c.groupLens[c.groups] = group
		}
		c.groups++
	}
	if i < len(text) && isDigit(text[i]) {
		// Too long to be a phone number: skip the rest of the digits.
		for i < len(text) && isDigit(text[i]) {
			i++
		}
		*c = phoneCand{}
		return nil, i
	}
	next := i
	c.end = end
	// An extension: "555-1234 x89", "555-1234x89", "ext. 89".
	if e := extensionAt(text, end); e > end {
		c.end, next = e, e
	} else if wordAfter(text, end) || end+1 < len(text) && text[end] == ':' && isDigit(text[end+1]) {
		*c = phoneCand{}
		return nil, next // runs into a word, or a time of day
	}
	// Close a parenthesis left open only if it is the one just after the
	// last digit: "(555) 123-4567" is complete at the last digit.
	if end < len(text) && text[end] == ')' && openBefore(text, s, end) {
		c.end = end + 1
	}
	if s+1 < len(text) && text[s] == '(' && !closes(text, s, c.end) {
		c.start = s + 1 // unbalanced opening parenthesis
	}
	if !c.intl && len(digits) >= 2 && digits[0] == '0' && digits[1] == '0' {
		c.intl = true
		digits = digits[2:]
	}
	if c.intl {
		if k := indexOf(text[s:c.end], "(0)"); k >= 0 {
			c.trunkZero = true
			digits = removeTrunkZero(digits, countDigits(text[s:s+k]))
		}
	}
	return digits, max(next, s+1)
}

// sepSet is a set of the separators ' ', '-', '.', '/'.
type sepSet uint8

func sepBit(b byte) sepSet {
	switch b {
	case ' ':
		return 1
	case '-':
		return 2
	case '.':
		return 4
	}
	return 8
}

// extensionAt matches an extension right after a number ending at e:
// "x89", " x 89", " ext. 89", and returns its end, or e.
func extensionAt(text string, e int) int {
	i := e
	if i < len(text) && text[i] == ' ' {
		i++
	}
	switch {
	case i+3 <= len(text) && (text[i:i+3] == "ext" || text[i:i+3] == "Ext"):
		i += 3
		if i < len(text) && text[i] == '.' {
			i++
		}
	case i < len(text) && (text[i] == 'x' || text[i] == 'X'):
		i++
	default:
		return e
	}
	if i < len(text) && text[i] == ' ' {
		i++
	}
	v, n := num(text, i, 7)
	_ = v
	if n == 0 || n > 6 || wordAfter(text, i+n) {
		return e
	}
	return i + n
}

func openBefore(text string, s, end int) bool {
	depth := 0
	for i := s; i < end; i++ {
		switch text[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	return depth > 0
}

func closes(text string, s, end int) bool { return !openBefore(text, s, end) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func removeTrunkZero(d []byte, at int) []byte {
	if at < len(d) && d[at] == '0' {
		return append(d[:at], d[at+1:]...)
	}
	return d
}

// score validates a candidate and returns its score and evidence ("" for
// none). It validates with the library through nb, or with the compiled
// plans when nb is nil.
func (d *Phone) score(text string, c *phoneCand, regs []region, budget *int, nb *numBuf) (float64, string) {
	n := len(c.digits)
	if n < 7 || n > 15 {
		return 0, ""
	}
	span := text[c.start:c.end]
	if looksLikeDate(span) || looksLikeDottedQuad(span) || c.groups == 3 && shape(span, 3, 2, 4) && !c.intl {
		return 0, ""
	}
	if c.groups == 1 && !c.intl && n >= 12 && luhn(c.digits) && scheme(c.digits) != "" {
		return 0, "" // a card number
	}
	if bits.OnesCount8(uint8(c.seps)) > 2 {
		return 0, "" // "1.2/3-4 5": too mixed
	}
	cue := hasCue(text, c.start, phoneCues) || hasCueIn(text, c.end, c.end+12, phoneCuesAfter)
	bonus := 0.0
	if cue {
		bonus = 0.25
	}
	if c.intl {
		if nb.validIntl(c.digits) {
			return 0.85 + bonus, "phone_intl"
		}
		if n >= 8 {
			return 0.3 + bonus, "phone_intl_unverified"
		}
		return 0, ""
	}
	plain := c.groups == 1
	for k, r := range regs {
		if k >= 2 && (*budget <= 0 || plain && !cue) {
			break
		}
		*budget--
		if !nb.validNational(c.digits, r) {
			continue
		}
		base := 0.45
		switch {
		case k < 2 && !plain:
			base = 0.8
		case k < 2:
			base = 0.35
		}
		return base + bonus, "phone_national"
	}
	if cue && !plain && n >= 7 {
		return 0.35 + bonus/2, "phone_unverified"
	}
	return 0, ""
}

// possibleLengths returns the lengths a valid national significant number
// of region r (calling code cc) may have: the library's validation first
// requires the length to be one of the region's general possible lengths,
// which IsPossibleNumberWithReason reports for the main region of a calling
// code. Checking the length first skips most of the library's pattern
// matching for candidates that cannot be valid. For a region that is not
// the main one of its code (CA under +1) every length is allowed.
func possibleLengths(r string, cc int32) uint32 {
	if phonenumbers.GetRegionCodeForCountryCode(int(cc)) != r {
		return ^uint32(0)
	}
	var m uint32
	v := uint64(1)
	for n := 1; n <= maxPhoneDigits; n++ {
		num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &v}
		if phonenumbers.IsPossibleNumberWithReason(num) == phonenumbers.IS_POSSIBLE {
			m |= 1 << n
		}
		v *= 10
	}
	return m
}

// validIntl reports whether digits, written after '+', are a valid number
// for their country calling code: the first one to three digits that are a
// calling code the library knows, the rest the national significant
// number. A nil b validates with the compiled plans, otherwise b asks the
// library.
func (b *numBuf) validIntl(digits []byte) bool {
	cc := 0
	for l := 1; l <= 3 && l < len(digits); l++ {
		// digits[:l] read as a number, as strconv.Atoi would ("01" is 1).
		cc = cc*10 + int(digits[l-1]-'0')
		if !knownCallingCodes()[cc] {
			continue
		}
		if b == nil {
			return validIntlNSN(cc, digits[l:])
		}
		num := b.national(int32(cc), digits[l:])
		return num != nil && phonenumbers.IsValidNumber(num)
	}
	return false
}

// knownCallingCodes marks the calling codes below 1000 the library has
// regions for (GetRegionCodeForCountryCode is not UNKNOWN_REGION).
var knownCallingCodes = sync.OnceValue(func() *[1000]bool {
	var known [1000]bool
	for cc := range known {
		known[cc] = phonenumbers.GetRegionCodeForCountryCode(cc) != phonenumbers.UNKNOWN_REGION
	}
	return &known
})

// validNational reports whether digits, written as a national number, are
// valid in region r, with or without its trunk prefix. A nil b validates
// with r's compiled plan, otherwise b asks the library.
func (b *numBuf) validNational(digits []byte, r region) bool {
	nsn := digits
	if r.ndd != "" && len(nsn) > len(r.ndd) && string(nsn[:len(r.ndd)]) == r.ndd {
		nsn = nsn[len(r.ndd):]
	} else if r.cc == 1 && len(nsn) == 10 && nsn[0] == '1' {
		return false
	}
	if len(nsn) >= 32 || r.lengths&(1<<len(nsn)) == 0 {
		return false
	}
	if b == nil {
		ok, _ := r.plan.valid(nsn)
		return ok
	}
	num := b.national(r.cc, nsn)
	return num != nil && phonenumbers.IsValidNumberForRegion(num, r.code)
}

// numBuf holds the one PhoneNumber a Detect call validates its candidates
// with: the library's numbers are made of pointers, and building a new one
// for every region tried cost several allocations each.
type numBuf struct {
	num   phonenumbers.PhoneNumber
	cc    int32
	v     uint64
	zeros int32
	lead  bool
}

// national sets b to the number of national significant number nsn in
// calling code cc and returns it, or nil when nsn is no number.
func (b *numBuf) national(cc int32, nsn []byte) *phonenumbers.PhoneNumber {
	if len(nsn) == 0 || len(nsn) > 17 {
		return nil
	}
	zeros := int32(0)
	for int(zeros) < len(nsn)-1 && nsn[zeros] == '0' {
		zeros++
	}
	v, err := strconv.ParseUint(string(nsn), 10, 64)
	if err != nil {
		return nil
	}
	b.cc, b.v, b.zeros, b.lead = cc, v, zeros, true
	b.num = phonenumbers.PhoneNumber{CountryCode: &b.cc, NationalNumber: &b.v}
	if zeros > 0 {
		b.num.ItalianLeadingZero = &b.lead
		b.num.NumberOfLeadingZeros = &b.zeros
	}
	return &b.num
}

// looksLikeDate reports whether s is a date: 2024-01-31, 31/01/2024,
// 1.2.2024, 01-31-24.
func looksLikeDate(s string) bool {
	for _, g := range [][]int{{4, 2, 2}, {2, 2, 4}, {1, 2, 4}, {2, 1, 4}, {1, 1, 4}, {2, 2, 2}} {
		if shape(s, g...) {
			sep := s[g[0]]
			return sep == '-' || sep == '/' || sep == '.'
		}
	}
	return false
}

func looksLikeDottedQuad(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			dots++
		case !isDigit(s[i]):
			return false
		}
	}
	return dots == 3
}
