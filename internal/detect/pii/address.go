package pii

import (
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// Address finds street addresses in three shapes:
//
//   - "street_us": a house number, one to five capitalised words or
//     ordinals, and a street suffix (USPS suffixes from gofakeit, their
//     abbreviations, UK words such as Close or Mews): "221B Baker Street",
//     "1600 Pennsylvania Ave NW";
//   - "street_eu": a street word followed by a house number, where the
//     street word ends in a continental suffix (Koskikatu, Bahnhofstraße,
//     Kongensgade) or a street word opens the name (Rua do Arenque, Via
//     Roma, Calle Mayor): "Koskikatu 25";
//   - "po_box": "PO Box 123", "P.O. Box 123".
//
// A match is extended over a following unit ("Apt. 4", "Suite 501") and
// over the rest of an address block: the same line after a comma, or up to
// three short following lines, when that part ends in a postal code or a US
// state abbreviation. A cue before it ("address", "lives at", "ship to")
// raises the score.
type Address struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*Address)(nil)

// NewAddress returns a street address detector reporting findings from
// DefaultMinScore.
func NewAddress() *Address {
	gazetteer()
	return &Address{MinScore: DefaultMinScore}
}

// ID returns "detect.pii.address".
func (*Address) ID() string { return IDPrefix + CatAddress }

// euSuffixes end a one-word continental street name.
var euSuffixes = []string{
	"straße", "strasse", "gasse", "weg", "allee", "platz", "ring", "damm", "ufer",
	"katu", "tie", "polku", "kuja", "gatan", "gata", "vägen", "vegen", "veien", "vej", "gade",
	"laan", "straat", "gracht", "utca", "ulica", "sokak", "caddesi",
}

// euOpeners open a continental street name.
var euOpeners = map[string]bool{
	"rua": true, "via": true, "viale": true, "calle": true, "avenida": true, "av": true, "avda": true,
	"rue": true, "avenue": true, "boulevard": true, "bd": true, "chemin": true, "allée": true, "route": true,
	"place": true, "quai": true, "impasse": true, "piazza": true, "plaza": true, "praça": true, "largo": true,
	"travessa": true, "carrer": true, "strada": true, "ul": true, "ulica": true, "aleja": true, "al": true,
	"corso": true, "passeig": true, "paseo": true, "camino": true, "estrada": true, "alameda": true,
}

// euWords are separate words that end a street name before its number:
// "Erzsébet tér 19", "Király u. 15".
var euWords = map[string]bool{"tér": true, "út": true, "utca": true, "u": true, "körút": true, "str": true, "tn": true}

// connectors may sit inside a street name in lower case.
var connectors = map[string]bool{
	"do": true, "da": true, "de": true, "del": true, "della": true, "di": true, "la": true, "le": true,
	"des": true, "du": true, "dos": true, "das": true, "of": true, "the": true, "and": true, "y": true, "e": true,
}

var addressCues = []string{"address", "addr", "live at", "lives at", "living at", "located at", "ship to", "deliver to", "send to", "mail to", "billing", "shipping", "residence", "reside at", "resides at", "office is at", "home is", "moved to", "house"}

var usStates = map[string]bool{
	"AL": true, "AK": true, "AZ": true, "AR": true, "CA": true, "CO": true, "CT": true, "DE": true, "DC": true,
	"FL": true, "GA": true, "HI": true, "ID": true, "IL": true, "IN": true, "IA": true, "KS": true, "KY": true,
	"LA": true, "ME": true, "MD": true, "MA": true, "MI": true, "MN": true, "MS": true, "MO": true, "MT": true,
	"NE": true, "NV": true, "NH": true, "NJ": true, "NM": true, "NY": true, "NC": true, "ND": true, "OH": true,
	"OK": true, "OR": true, "PA": true, "RI": true, "SC": true, "SD": true, "TN": true, "TX": true, "UT": true,
	"VT": true, "VA": true, "WA": true, "WV": true, "WI": true, "WY": true, "PR": true,
}

type span struct {
	start, end int
	score      float64
	ev         string
}

// Every match holds a number token: matchEU and matchPOBox end with one,
// and matchUS finds one at most maxNumberBack tokens before its street
// word. Looking back from a number token, a match reads at most
// maxLookBack tokens.
const (
	maxNumberBack = 6
	maxLookBack   = 7
)

// Detect returns one finding per address.
func (d *Address) Detect(text string) []detect.Finding { return d.detect(text, true) }

// detect is Detect; with skip false it tokenises the whole text (the
// reference the tests compare the fast path with).
//
// With skip, stretches of text far from any digit are not tokenised: once
// more than maxNumberBack tokens have passed since the last number token,
// no token can complete a match until the next number token, and that one
// looks back at most maxLookBack tokens. So the scan jumps to a point at
// least maxLookBack+2 words before the next digit, with an empty ring.
func (d *Address) detect(text string, skip bool) []detect.Finding {
	g := gazetteer()
	em := newEmitter(IDPrefix+CatAddress, CatAddress, d.MinScore)
	var r ring
	var found []span
	last := -1             // end of the last match
	sinceNumber := 1 << 30 // tokens pushed since the last number token
	nd := -1               // the first digit at or after i
	tried := -1            // the last nd a restart point was looked for
	for i := 0; i < len(text); {
		if skip && sinceNumber > maxNumberBack {
			if nd < i {
				nd = indexAnyDigit(text, i)
			}
			if nd == len(text) {
				break // no number token ahead: no match either
			}
			if tried != nd {
				tried = nd
				if p := restartBefore(text, i, nd, maxLookBack+2); p > i {
					i, r = p, ring{}
				}
			}
		}
		// nextToken, in two calls rather than three.
		w, gap := i+1, uint8(0) // one space after a word, the common gap
		if !(i > 0 && w < len(text) && text[i] == ' ' && tokClass[text[w]]&tWord != 0) {
			w, gap = skipGap(text, i)
		}
		if w >= len(text) {
			break
		}
		t, next := wordAt(text, w, gap)
		i = next
		r.push(t)
		switch {
		case t.kind == kNum:
			sinceNumber = 0
		case skip && t.kind == kLower && breaksAddress(text[t.start:t.end]):
			// No match reads back past t (see breaksAddress): as far as
			// matches go, the number before it is out of reach.
			sinceNumber = 1 << 30
		case skip && sinceNumber <= maxNumberBack && breaksChain(&r, t):
			// Until the next number token only matchUS can match, and
			// its chain from the street word back to the number would
			// have to pass t.
			sinceNumber = 1 << 30
		default:
			sinceNumber++
		}
		var m span
		switch {
		case t.kind == kNum:
			m = matchEU(text, g, &r)
			if m.ev == "" {
				m = matchPOBox(text, &r)
			}
		case t.kind == kCap || t.kind == kAllCaps:
			// matchUS wants the street word on its line, after a space.
			if sinceNumber <= maxNumberBack && t.gap&(gNewline|gComma|gSentence|gPunct) == 0 && lookup(g, text[t.start:t.end])&fStreet != 0 {
				m = matchUS(text, g, &r)
			}
		}
		if m.ev == "" || m.start < last {
			continue
		}
		m.end = extendAddress(text, g, m.end, &m.score)
		if hasCue(text, m.start, addressCues) {
			m.score += 0.1
		}
		found = append(found, m)
		last = m.end
		i = max(i, m.end)
	}
	// Merge overlapping matches.
	slices.SortFunc(found, func(a, b span) int { return a.start - b.start })
	for k := 0; k < len(found); k++ {
		m := found[k]
		for k+1 < len(found) && found[k+1].start <= m.end {
			k++
			m.end = max(m.end, found[k].end)
			m.score = max(m.score, found[k].score)
		}
		em.add(min(m.score, 0.95), m.start, m.end, m.ev)
	}
	return em.out
}

// restartBefore returns where the scan may go on, with an empty ring, so
// as to find every match that holds the number token at nd: a point in a
// gap between words, at or after i, with at least words words (runs of
// non-blank bytes holding an ASCII letter or digit, each at least one
// token) between it and the run that holds nd, the end of the last word
// before nd that breaks every match (breaksAddress), or the last hard gap
// byte before nd (hardGap, gapMayStop), whichever comes later; i when there is none.
//
// A run that opens with an ASCII letter after a blank opens a token (no
// token holds a blank), so the token nextToken reads there is the one a
// scan of every token meets, and its end is where that scan reads the next
// gap from. A hard gap byte lies in the gap before the next token, so a
// scan from it reads that token as a scan of every token does, with a gap
// that holds the same hard flag.
func restartBefore(text string, i, nd, words int) int {
	// The walk goes back one byte at a time and visits each once, so it
	// carries what a look forward from each byte would find: whether the first
	// letter, digit or non-ASCII byte after the current one lets a hard gap
	// byte stop the walk (looking forward from each byte made a run of gap
	// bytes quadratic).
	after := true // no such byte: the end of the text
	if nd < len(text) {
		after = gapMayStop(text[nd])
	}
	hard := func(q int) bool {
		c := text[q]
		if hardGap[c] {
			return after
		}
		if c >= utf8.RuneSelf || isAlnum(c) {
			after = gapMayStop(c)
		}
		return false
	}
	j := nd
	for j > i && !isBlank(text[j-1]) {
		if j--; hard(j) {
			return j
		}
	}
	for n := 0; j > i; {
		for j > i && isBlank(text[j-1]) {
			if j--; hard(j) {
				return j
			}
		}
		word := false
		for j > i && !isBlank(text[j-1]) {
			j--
			word = word || isAlnum(text[j])
			if hard(j) {
				return j
			}
		}
		if j > i && 'a' <= text[j] && text[j] <= 'z' {
			if t, _, _ := nextToken(text, j); t.kind == kLower && breaksAddress(text[t.start:t.end]) {
				return t.end
			}
		}
		if word {
			if n++; n >= words && j > i {
				return j - 1 // the blank before the run
			}
		}
	}
	return i
}

// hardGap marks the ASCII bytes that never sit inside a token and give the
// gap they are in a flag that sameLine refuses: a line break, ',', ';' and
// the punctuation of gPunct but for the apostrophe and '-' (which may join
// a word: innerMark).
var hardGap = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = tokClass[c]&(gNewline|gComma|gPunct) != 0 && c != '\'' && c != '-'
	}
	return t
}()

// gapMayStop reports whether c, the first ASCII letter or digit or
// non-ASCII byte after a hard gap byte, lets that byte stop restartBefore's
// walk: no match reads back past a hard gap byte, since every read of a
// token before another checks sameLine between the two, which the hard
// byte fails, except in matchPOBox: "box" and "o" are read back past
// whatever their gap holds ("PO\nBox 12"). So the word after the byte
// must not open with 'b' or 'o' (in any case; a non-ASCII byte may be a
// quote before such a word, and is taken as one that might).
func gapMayStop(c byte) bool {
	if c >= utf8.RuneSelf {
		return false
	}
	c |= 0x20
	return c != 'b' && c != 'o'
}

// breaksChain reports whether t, just pushed after a non-number token,
// ends every chain of matchUS that would read back past it: a street word
// at t or after needs every token between it and its house number to be
// on the same line as the one before (sameLine) and to fit in a street
// name (inName), which a token of kind kOther never does.
func breaksChain(r *ring, t token) bool {
	if t.kind == kOther {
		return true
	}
	p, ok := r.back(1)
	return ok && !sameLine(t, p)
}

// breaksAddress reports whether w, a kLower token, ends every match that
// would read back past it: w is ASCII and, in any case, none of
// addressLowerWords. Looking back, every match fails at such a word as it
// fails at the start of the ring: matchUS and matchEU take lower-case words
// only from connectors, euWords, "ul" and "al", matchPOBox only its
// poBoxWords, and numberBefore and numbered only numbers and capitals.
func breaksAddress(w string) bool {
	for k := 0; k < len(w); k++ {
		if w[k] >= utf8.RuneSelf {
			return false
		}
	}
	_, ok := addressLowerWords.Get(w)
	return !ok
}

// addressLowerWords are the words a match may hold in lower case (ASCII
// case ignored, which only keeps more words).
var addressLowerWords = func() *wordtab.Table[bool] {
	m := map[string]bool{"ul": true, "al": true}
	for _, set := range []map[string]bool{connectors, euWords} {
		for w := range set {
			m[w] = true
		}
	}
	for _, w := range poBoxWords {
		m[w] = true
	}
	return wordtab.New(m)
}()

func isBlank(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// inName reports whether t may sit inside a street name.
func inName(text string, t token) bool {
	switch t.kind {
	case kCap, kAllCaps, kInitial:
		return true
	case kNum: // ordinals: 5th, 42nd
		w := strings.ToLower(text[t.start+t.digits : t.end])
		return w == "st" || w == "nd" || w == "rd" || w == "th"
	case kLower:
		return connectors[text[t.start:t.end]]
	}
	return false
}

// sameLine reports whether t follows the token before it on the same line
// with nothing but spaces (or the '.' of an abbreviation) between.
func sameLine(t, before token) bool {
	if t.gap&(gNewline|gComma|gPunct) != 0 {
		return false
	}
	if t.gap&gSentence != 0 {
		return before.dot && before.end-before.start <= 3
	}
	return true
}

// matchUS matches a house number, name words and the street suffix that
// was just pushed.
func matchUS(text string, g *wordtab.Table[uint8], r *ring) span {
	suffix, _ := r.back(0)
	if suffix.gap&(gNewline|gComma|gSentence|gPunct) != 0 {
		return span{}
	}
	after := suffix
	for k := 1; k <= 6; k++ {
		t, ok := r.back(k)
		if !ok || !sameLine(after, t) {
			return span{}
		}
		if t.kind == kNum && k >= 2 && t.digits == t.end-t.start || t.kind == kNum && k >= 2 && t.end-t.start-t.digits == 1 && t.digits <= 5 {
			if t.digits > 6 || wordBefore(text, t.start) {
				return span{}
			}
			end := suffix.end
			if suffix.dot && suffix.end-suffix.start <= 4 {
				end++
			}
			return span{start: numberBefore(r, k, t), end: end, score: 0.8, ev: "street_us"}
		}
		if !inName(text, t) {
			return span{}
		}
		after = t
	}
	return span{}
}

// matchEU matches a continental street name followed by the house number
// that was just pushed.
func matchEU(text string, g *wordtab.Table[uint8], r *ring) span {
	num, _ := r.back(0)
	if num.digits > 5 || num.end-num.start-num.digits > 1 {
		return span{}
	}
	after := num
	for k := 1; k <= 5; k++ {
		t, ok := r.back(k)
		if !ok || !sameLine(after, t) {
			return span{}
		}
		street := false
		if t.kind == kCap || t.kind == kLower {
			// Only these kinds can be street words: lower-case the word
			// for the lists (in place, no string).
			var arr [maxWord * 2]byte
			lw := lowerKey(arr[:0], text[t.start:t.end])
			switch {
			case k == 1 && t.kind == kLower && has(euWordTab, lw):
				street = true
			case k >= 2 && (t.kind == kCap || string(lw) == "ul" || string(lw) == "al") && has(euOpenerTab, lw):
				street = true
			case k == 1 && t.kind == kCap && hasEUSuffix(lw):
				street = true
			}
		}
		if street {
			start := t.start
			// A house number or a capitalised word before the street
			// name on the same line belongs to it: "28245 Puruntie 82".
			if b, ok := r.back(k + 1); ok && sameLine(t, b) {
				if b.kind == kNum && b.digits == b.end-b.start && b.digits <= 6 {
					start = b.start
				} else if b.kind == kCap && lookup(gazetteer(), text[b.start:b.end])&fCommon == 0 && !isEUOpener(text[b.start:b.end]) {
					start = b.start
				}
			}
			end := num.end
			if num.dot && end+1 <= len(text) && (end+1 == len(text) || text[end+1] == '\n') {
				end++ // "Király u. 15."
			}
			return span{start: start, end: end, score: 0.7, ev: "street_eu"}
		}
		if t.kind == kNum && k >= 2 && t.digits == t.end-t.start && t.digits <= 6 && numbered(text, r, k) {
			// "5638 Aasa 43": a number, capitalised words, a number.
			return span{start: numberBefore(r, k, t), end: num.end, score: 0.45, ev: "street_numbered"}
		}
		if !(inName(text, t) && (t.kind != kNum)) {
			return span{}
		}
		after = t
	}
	return span{}
}

// numbered reports whether the tokens between the number k places back and
// the last one are capitalised words that are not English words (or
// initials with a dot: "928 Λ. Αλεξάνδρας 14").
func numbered(text string, r *ring, k int) bool {
	g := gazetteer()
	for j := 1; j < k; j++ {
		t, _ := r.back(j)
		switch {
		case t.kind == kCap && lookup(g, text[t.start:t.end])&fCommon == 0:
		case t.kind == kInitial && t.dot:
		default:
			return false
		}
	}
	return true
}

// numberBefore returns the start of a second number right before the
// house number t (k places back) on the same line, as in "224 4966 Bond
// Street", or t.start.
func numberBefore(r *ring, k int, t token) int {
	if b, ok := r.back(k + 1); ok && sameLine(t, b) && b.kind == kNum && b.digits == b.end-b.start && b.digits <= 6 {
		return b.start
	}
	return t.start
}

// hasEUSuffix reports whether the lower-cased word w ends in one of
// euSuffixes, after at least three more bytes.
func hasEUSuffix(w []byte) bool {
	n := len(w)
	if n < 2 {
		return false
	}
	// Only the suffixes that end in w's last two bytes are compared: for
	// most words none.
	for m := euSuffixLast[w[n-1]] & euSuffixPrev[w[n-2]]; m != 0; m &= m - 1 {
		s := euSuffixes[bits.TrailingZeros64(m)]
		if n > len(s)+2 && string(w[n-len(s):]) == s {
			return true
		}
	}
	return false
}

// euSuffixLast and euSuffixPrev have bit k set for the last and the
// second-to-last byte of euSuffixes[k] (TestEUSuffixTables: at most 64
// suffixes, each of two bytes or more).
var euSuffixLast, euSuffixPrev = func() (last, prev [256]uint64) {
	for k, s := range euSuffixes {
		if k < 64 && len(s) >= 2 {
			last[s[len(s)-1]] |= 1 << k
			prev[s[len(s)-2]] |= 1 << k
		}
	}
	return last, prev
}()

// euOpenerTab and euWordTab are euOpeners and euWords for lookups of
// lower-cased words.
var (
	euOpenerTab = wordtab.New(euOpeners)
	euWordTab   = wordtab.New(euWords)
)

// has reports whether the lower-cased word w is in tab.
func has(tab *wordtab.Table[bool], w []byte) bool {
	_, ok := tab.GetBytes(w)
	return ok
}

// isEUOpener reports whether w, in any case, is one of euOpeners.
func isEUOpener(w string) bool {
	var arr [maxWord * 2]byte
	return has(euOpenerTab, lowerKey(arr[:0], w))
}

// poBoxWords are the words matchPOBox compares tokens with (any case).
var poBoxWords = []string{"box", "po", "o", "p", "psc", "unit", "cmr"}

// matchPOBox matches "PO Box 123" and "P.O. Box 123".
func matchPOBox(text string, r *ring) span {
	num, _ := r.back(0)
	box, ok := r.back(1)
	if !ok || !strings.EqualFold(text[box.start:box.end], "box") || !sameLine(num, box) {
		return span{}
	}
	start := box.start
	// US military: "PSC 1234, Box 5678", "Unit 5146 Box 1772", "CMR 4 Box 9".
	if p, ok := r.back(2); ok && p.kind == kNum && box.gap&^gComma == 0 {
		if q, ok := r.back(3); ok && sameLine(p, q) && (strings.EqualFold(text[q.start:q.end], "psc") || strings.EqualFold(text[q.start:q.end], "unit") || strings.EqualFold(text[q.start:q.end], "cmr")) {
			return span{start: q.start, end: num.end, score: 0.7, ev: "po_box"}
		}
		return span{}
	}
	if p, ok := r.back(2); ok && (strings.EqualFold(text[p.start:p.end], "po") || strings.EqualFold(text[p.start:p.end], "o")) {
		start = p.start
		if q, ok := r.back(3); ok && strings.EqualFold(text[p.start:p.end], "o") && strings.EqualFold(text[q.start:q.end], "p") {
			start = q.start
		}
	} else {
		return span{}
	}
	return span{start: start, end: num.end, score: 0.75, ev: "po_box"}
}

// maxLine bounds a line that extendAddress takes into an address block.
const maxLine = 48

// extendAddress extends an address ending at e over units and over the
// rest of its block (see Address), returning the new end.
func extendAddress(text string, g *wordtab.Table[uint8], e int, score *float64) int {
	// Units on the same line: ", Apt. 4", " Suite 501 Apt. 397", " #12".
	for range 2 {
		ue := unitAt(text, g, e)
		if ue == e {
			break
		}
		e = ue
		*score += 0.05
	}
	// The rest of the line after a comma: ", Springfield, IL 62704".
	if e < len(text) && text[e] == ',' {
		le := e
		for le < len(text) && le-e < maxLine*2 && text[le] != '\n' && text[le] != '?' && text[le] != '!' && !(text[le] == '.' && (le+1 == len(text) || text[le+1] == ' ')) {
			le++
		}
		if pe := postalEnd(text[e:le]); pe > 0 {
			*score += 0.1
			return e + pe
		}
	}
	// Following lines of a block: unit lines, city lines, a line with the
	// postal code. Lines may carry a quote prefix ("> ") and one blank
	// line may sit inside the block.
	blockEnd, lineStart := e, e
	blank := 0
	for range 5 {
		nl := strings.IndexByte(text[lineStart:min(len(text), lineStart+maxLine+2)], '\n')
		if nl < 0 {
			break
		}
		if lineStart == e && strings.TrimSpace(text[lineStart:lineStart+nl]) != "" {
			break // text after the address on its line
		}
		ls := lineStart + nl + 1
		le := ls
		for le < len(text) && text[le] != '\n' && le-ls <= maxLine {
			le++
		}
		if le-ls > maxLine {
			break
		}
		lineStart = le
		off := ls
		for off < le && off-ls < 6 && strings.IndexByte(" \t>?*-|", text[off]) >= 0 {
			off++
		}
		line := strings.TrimRight(text[off:le], " \t\r")
		if line == "" {
			if blank++; blank > 1 {
				break
			}
			continue
		}
		if !addressLine(line) {
			break
		}
		if ue := unitAt(text, g, off-1); ue > off && strings.TrimSpace(text[ue:le]) == "" {
			blockEnd = ue
		} else if pe := postalEnd(line); pe > 0 {
			blockEnd = off + pe
			*score += 0.1
			break
		}
	}
	if blockEnd > e {
		return blockEnd
	}
	return e
}

// unitAt matches a unit designator right after e: ", Apt. 4", " Suite 501",
// " #12", and returns its end, or e.
func unitAt(text string, g *wordtab.Table[uint8], e int) int {
	i := e
	if i < len(text) && text[i] == ',' {
		i++
	}
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	if i < len(text) && text[i] == '#' {
		i++
	} else {
		t, next, ok := nextToken(text, i)
		if !ok || t.start != i || t.kind == kNum || lookup(g, text[t.start:t.end])&fUnit == 0 {
			return e
		}
		i = next
		if i < len(text) && text[i] == '.' {
			i++
		}
		for i < len(text) && text[i] == ' ' {
			i++
		}
	}
	s := i
	for i < len(text) && i-s < 6 && (isAlnum(text[i]) || text[i] == '-') {
		i++
	}
	if i == s || !isDigit(text[s]) && i-s > 1 || wordAfter(text, i) {
		return e
	}
	return i
}

// addressLine reports whether line may belong to an address block: short,
// of letters, digits, spaces and , . - ' only.
func addressLine(line string) bool {
	if fieldCount(line) > 7 {
		return false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c < 0x80 && !isAlnum(c) && !strings.ContainsRune(" ,.-'#/", rune(c)) {
			return false
		}
	}
	return true
}

// asciiSpace marks the ASCII bytes that unicode.IsSpace reports, which
// separate the fields of strings.Fields.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// isASCII reports whether s has no byte from 0x80 up.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// fieldCount returns len(strings.Fields(s)) without building the fields.
func fieldCount(s string) int {
	if !isASCII(s) {
		return len(strings.Fields(s)) // rare: spaces beyond ASCII
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !asciiSpace[s[i]] && (i == 0 || asciiSpace[s[i-1]]) {
			n++
		}
	}
	return n
}

// lastFields returns the last two fields of strings.Fields(s) (prev is ""
// when there is only one) and whether there is at least one, without
// building the others.
func lastFields(s string) (prev, last string, ok bool) {
	if !isASCII(s) {
		fs := strings.Fields(s) // rare: spaces beyond ASCII
		switch len(fs) {
		case 0:
			return "", "", false
		case 1:
			return "", fs[0], true
		}
		return fs[len(fs)-2], fs[len(fs)-1], true
	}
	field := func(e int) (start, end int) {
		for e > 0 && asciiSpace[s[e-1]] {
			e--
		}
		start = e
		for start > 0 && !asciiSpace[s[start-1]] {
			start--
		}
		return start, e
	}
	ls, le := field(len(s))
	if ls == le {
		return "", "", false
	}
	ps, pe := field(ls)
	return s[ps:pe], s[ls:le], true
}

// postalEnd returns the end of the postal code or state abbreviation that
// ends s (a US ZIP, a UK postcode, a 4-5 digit code, "53-320", "394 13",
// "IL"), or 0 if s does not end in one.
func postalEnd(s string) int {
	e := len(s)
	for e > 0 && (s[e-1] == ' ' || s[e-1] == ',' || s[e-1] == '\r') {
		e--
	}
	s = s[:e]
	prev, lastw, ok := lastFields(s)
	if !ok {
		return 0
	}
	two := prev != "" // at least two fields
	switch {
	case isZip(lastw):
		return e
	case two && isUKPostcode(prev, lastw):
		return e
	case two && allDigits(prev) && len(prev) == 3 && allDigits(lastw) && len(lastw) == 2:
		return e // "394 13"
	case usStates[lastw] && two:
		return e
	}
	return 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isZip reports whether w is a postal code of digits: 4 or 5 digits,
// ZIP+4, or "53-320" / "3610-114".
func isZip(w string) bool {
	if allDigits(w) {
		return len(w) == 4 || len(w) == 5
	}
	a, b, ok := strings.Cut(w, "-")
	return ok && allDigits(a) && allDigits(b) && (len(a) == 5 && len(b) == 4 || len(a) == 2 && len(b) == 3 || len(a) == 4 && len(b) == 3)
}

// isUKPostcode reports whether "out in" is a UK postcode: SW1A 1AA, M1 1AE.
func isUKPostcode(out, in string) bool {
	if len(in) != 3 || !isDigit(in[0]) || !isUpperASCII(in[1]) || !isUpperASCII(in[2]) {
		return false
	}
	if len(out) < 2 || len(out) > 4 || !isUpperASCII(out[0]) {
		return false
	}
	hasDigit := false
	for i := 1; i < len(out); i++ {
		switch {
		case isDigit(out[i]):
			hasDigit = true
		case !isUpperASCII(out[i]):
			return false
		}
	}
	return hasDigit
}

func isUpperASCII(c byte) bool { return 'A' <= c && c <= 'Z' }
