package pii

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7/data"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// The person and address detectors as they were before their speed work
// (commit f70838d; the helpers at the end of the file as they were at
// commit a0ab58e), on refNextToken, without the skips (as detect with
// skip false) and without the shortcuts that decide a run or a number
// before its lookups: the definitions the detectors must agree with, at
// every score (MinScore 0) and not only the reported ones.

func refPersonDetect(d *Person, text string) []detect.Finding {
	skip := false
	g := gazetteer()
	em := newEmitter(IDPrefix+CatPerson, CatPerson, d.MinScore)
	var run [maxRun + 2]token
	n := 0
	flush := func(next token, hasNext bool) {
		if n > 0 {
			refEvaluate(d, text, g, run[:n], next, hasNext, &em)
		}
		n = 0
	}
	for i := 0; i < len(text); {
		if n == 0 && skip {
			// Outside a run only a word that opens with a capital
			// matters: step over the others without classifying them.
			i, _, _ = skipUncapitalised(text, i)
		}
		t, next, ok := refNextToken(text, i)
		if !ok {
			break
		}
		i = next
		word := text[t.start:t.end]
		nameLike := t.kind == kCap || t.kind == kInitial || t.kind == kAllCaps
		if n > 0 && t.kind == kLower && t.gap&^gPunct == 0 && refParticles[word] {
			nameLike = true
		}
		if nameLike && n > 0 && n < len(run) && joins(text, run[n-1], t) {
			run[n] = t
			n++
		} else {
			flush(t, true)
			if nameLike {
				run[0] = t
				n = 1
			}
		}
	}
	flush(token{}, false)
	// Lower-case names after a cue came after the speed work, in a pass
	// of their own (lowername.go, with tests of its own).
	lowerCueNames(text, g, &em)
	return em.out
}

func refEvaluate(d *Person, text string, g *wordtab.Table[uint8], run []token, next token, hasNext bool, em *emitter) {
	var fa [maxRun + 2]uint8
	flags := fa[:len(run)]
	for k, t := range run {
		flags[k] = refLookup(g, text[t.start:t.end])
	}
	// Honorifics open the run: "Mr. Smith", "Dr Jane Doe".
	title := false
	for len(run) > 1 && flags[0]&fTitle != 0 {
		title = true
		run, flags = run[1:], flags[1:]
	}
	if len(run) == 1 && !title && flags[0]&fTitle != 0 {
		return
	}
	place := !title && opensPlace(text, run, flags) // came after the speed work
	// Common words before or after a name: "The", "Producer", "When".
	for len(run) > 1 && flags[0]&fCommon != 0 && flags[0]&(fFirst|fLast) == 0 {
		run, flags = run[1:], flags[1:]
	}
	// A street or unit word ends a street name, not a person's:
	// "Gordon Terrace", "Dora Creek Apt.".
	for len(run) > 0 && flags[len(run)-1]&(fStreet|fUnit) != 0 && flags[len(run)-1]&(fFirst|fLast) == 0 {
		run, flags = run[:len(run)-1], flags[:len(flags)-1]
		place = true
	}
	for len(run) > 1 && flags[len(run)-1]&fCommon != 0 && flags[len(run)-1]&(fFirst|fLast) == 0 {
		if t := run[len(run)-1]; refIsOrgWord(text[t.start:t.end]) {
			place = true // "Morgan Stanley Bank"
		}
		run, flags = run[:len(run)-1], flags[:len(flags)-1]
	}
	if len(run) == 0 || len(run) > maxRun || run[0].kind == kInitial && len(run) == 1 {
		return
	}
	start, end := run[0].start, run[len(run)-1].end
	if run[len(run)-1].kind == kInitial && run[len(run)-1].dot {
		end++ // "John Q."
	}
	lastWord := text[run[len(run)-1].start:run[len(run)-1].end]
	possessive := strings.HasSuffix(lastWord, "'s") || strings.HasSuffix(lastWord, "’s")
	if possessive {
		end -= len("'s")
		if strings.HasSuffix(lastWord, "’s") {
			end -= len("’") - 1
		}
	}
	cue, strong := refCueBefore(text, start)
	if run[0].kind == kAllCaps && !title && !strong {
		return // "LONDON", "ASAP"
	}
	speaker := run[0].gap&(gStart|gNewline) != 0 && end < len(text) && text[end] == ':' && len(run) <= 2
	sentenceStart := run[0].gap&(gStart|gSentence|gNewline|gBlank) != 0

	known, firstKnown, lastKnown, ambiguous, initials := 0, false, false, 0, 0
	unknownCommon, words := false, 0
	for k, f := range flags {
		if run[k].kind != kInitial {
			words++
		}
		if f&(fFirst|fLast) != 0 {
			known++
			if f&fCommon != 0 {
				ambiguous++
			}
		} else if f&fCommon != 0 {
			unknownCommon = true
		}
		if k == 0 && f&fFirst != 0 {
			firstKnown = true
		}
		if k == len(flags)-1 && f&fLast != 0 {
			lastKnown = true
		}
		if run[k].kind == kInitial && k > 0 && k < len(run)-1 {
			initials++
		}
	}
	clean := flags[0]&fCommon == 0 // the first word is no English word

	var score float64
	var ev string
	switch {
	case title:
		score, ev = 0.9, "name_title"
	case strong:
		score, ev = 0.85, "name_cue"
	case len(run) >= 3 && initials > 0 && words > 0 && !unknownCommon:
		score, ev = 0.8, "name_initial" // "Janka M. Szász"
	case len(run) >= 2 && firstKnown && lastKnown && ambiguous < len(run):
		score, ev = 0.9, "name_full"
	case len(run) >= 2 && firstKnown && clean:
		score, ev = 0.8, "name_full"
	case len(run) >= 2 && lastKnown && flags[len(flags)-1]&fCommon == 0:
		score, ev = 0.6, "name_full"
	case len(run) >= 2 && known > 0:
		score, ev = 0.45, "name_full"
	case len(run) == 1 && flags[0]&fFirst != 0 && clean:
		score, ev = 0.55, "name_first"
	case len(run) == 1 && flags[0]&fLast != 0 && clean:
		score, ev = 0.45, "name_last"
	case len(run) >= 2 && !unknownCommon:
		score, ev = 0.3, "name_shape"
	case cue || speaker:
		score, ev = 0.2, "name_shape"
	default:
		return
	}
	switch {
	case title || strong:
	case unknownCommon:
		score -= 0.3
	case cue && known > 0:
		score += 0.15
	}
	if possessive && !unknownCommon && len(run) >= 2 {
		score += 0.2 // "Bryan Maclean's"
	}
	if speaker && !unknownCommon && known > 0 {
		score += 0.2 // "Lisa: Remember me"
	}
	if sentenceStart && !title && !strong && !speaker && len(run) == 1 {
		score -= 0.05
	}
	if !title && !strong && !place && em.reports(min(score, 0.95)) {
		// What follows: a house number or a street word makes a street,
		// an organisation word an organisation. Only looked at when the
		// finding would otherwise be reported.
		place = placeFollows(text, g, run[len(run)-1], next, hasNext, possessive)
	}
	if place && !title && !strong {
		score -= 0.5
	}
	em.add(min(score, 0.95), start, end, ev)
}

func refIsOrgWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return orgWords[strings.ToLower(w)] // rare
		}
	}
	if len(w) > 16 {
		return false
	}
	var arr [16]byte
	return orgWords[string(lowerWindow(arr[:0], w, 0, len(w)))]
}

var refParticles = map[string]bool{
	"van": true, "von": true, "de": true, "da": true, "del": true, "della": true, "der": true,
	"den": true, "di": true, "du": true, "le": true, "la": true, "bin": true, "ibn": true,
	"al": true, "dos": true, "das": true, "ter": true, "af": true, "zu": true,
}

func refAddressDetect(d *Address, text string) []detect.Finding {
	skip := false
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
		t, next, ok := refNextToken(text, i)
		if !ok {
			break
		}
		i = next
		r.push(t)
		if t.kind == kNum {
			sinceNumber = 0
		} else {
			sinceNumber++
		}
		var m span
		switch {
		case t.kind == kNum:
			m = refMatchEU(text, g, &r)
			if m.ev == "" {
				m = matchPOBox(text, &r)
			}
		case t.kind == kCap || t.kind == kAllCaps:
			if sinceNumber <= maxNumberBack && refLookup(g, text[t.start:t.end])&fStreet != 0 {
				m = matchUS(text, g, &r)
			}
		}
		if m.ev == "" || m.start < last {
			continue
		}
		m.end = refExtendAddress(text, g, m.end, &m.score)
		if refHasCueIn(text, m.start-cueWindow, m.start, addressCues) {
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

func refMatchEU(text string, g *wordtab.Table[uint8], r *ring) span {
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
		w := text[t.start:t.end]
		var arr [maxWord * 2]byte
		lw := string(lowerKey(arr[:0], w))
		street := false
		switch {
		case k == 1 && euWords[lw] && t.kind == kLower:
			street = true
		case (t.kind == kCap || t.kind == kLower && (lw == "ul" || lw == "al")) && euOpeners[lw] && k >= 2:
			street = true
		case t.kind == kCap && k == 1 && refHasEUSuffix(lw):
			street = true
		}
		if street {
			start := t.start
			// A house number or a capitalised word before the street
			// name on the same line belongs to it: "28245 Puruntie 82".
			if b, ok := r.back(k + 1); ok && sameLine(t, b) {
				if b.kind == kNum && b.digits == b.end-b.start && b.digits <= 6 {
					start = b.start
				} else if b.kind == kCap && refLookup(gazetteer(), text[b.start:b.end])&fCommon == 0 && !euOpeners[strings.ToLower(text[b.start:b.end])] {
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

func refHasEUSuffix(w string) bool {
	for _, s := range euSuffixes {
		if len(w) > len(s)+2 && strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// checkNamesReference fails t unless Person and Address, with MinScore 0
// and as NewPerson and NewAddress return them, find what their references
// find in text.
func checkNamesReference(t *testing.T, text string) {
	t.Helper()
	for _, d := range []*Person{{}, NewPerson()} {
		if got, want := d.Detect(text), refPersonDetect(d, text); !reflect.DeepEqual(got, want) {
			t.Fatalf("person (min %v) on %q:\n got %v\nwant %v", d.MinScore, text, got, want)
		}
	}
	for _, d := range []*Address{{}, NewAddress()} {
		if got, want := d.Detect(text), refAddressDetect(d, text); !reflect.DeepEqual(got, want) {
			t.Fatalf("address (min %v) on %q:\n got %v\nwant %v", d.MinScore, text, got, want)
		}
	}
}

// TestNamesMatchReference runs checkNamesReference on the case files, the
// benchmark and adversarial texts, and the real messages when present.
func TestNamesMatchReference(t *testing.T) {
	texts := realTexts(t)
	for _, cat := range Categories {
		for _, c := range detecttest.MustLoadCases(t, filepath.Join("testdata", cat+".jsonl")) {
			texts = append(texts, c.Text)
		}
	}
	texts = append(texts, benchText(8<<10))
	for _, gen := range adversarial {
		texts = append(texts, gen(2000))
	}
	for _, s := range texts {
		checkNamesReference(t, s)
	}
}

func FuzzNamesReference(f *testing.F) {
	f.Add("Dear Mr. O'Brien, I'm Jane van der Berg: 12 Main St., Apt. 4\nSpringfield, IL 62704")
	f.Add("Koskikatu 25 and Rua do Arenque 1634, P.O. Box 12; PSC 1234, Box 5678; the 5th Ave NW")
	f.Add("JOHN: hi\nLisa: Remember me? Sent from Bahnhofstraße 12, 8001 Zürich. Király u. 15.")
	f.Fuzz(checkNamesReference)
}

// The helpers below are, as they were at commit a0ab58e, the ones the
// second round of speed work changed (the gazetteer lookup, the name cue,
// the address block, the month name), for the references above and for
// the comparisons that follow.

// refLookup is lookup on the general table only.
func refLookup(g *wordtab.Table[uint8], w string) uint8 {
	var arr [maxWord * 2]byte
	k := w
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			k = string(lowerKey(arr[:0], w)) // rare: lower-case rune by rune
			break
		}
	}
	if f, ok := g.Get(k); ok {
		return f
	}
	// Possessive: "Smith's".
	if n := len(k); n > 2 && k[n-2] == '\'' && k[n-1]|0x20 == 's' {
		f, _ := g.Get(k[:n-2])
		return f
	}
	return 0
}

// refCueBefore is cueBefore without its shortcut for a window that ends
// with no word.
func refCueBefore(text string, pos int) (cue, strong bool) {
	const window = 32
	e := pos
	for e > 0 && e > pos-8 && cueSep[text[e-1]] {
		e--
	}
	from := max(0, e-window)
	// A cue ends with the window's last word: most windows end with none.
	k := e
	for k > from && (isAlnum(text[k-1]) || text[k-1] == '\'') {
		k--
	}
	if _, ok := cueLastWords.Get(text[k:e]); !ok {
		return false, false
	}
	// Try every word start in the window, as far back as the longest cue,
	// as the start of a cue.
	for i := e - 1; i >= max(from, e-maxCueLen); i-- {
		if i > from && (isAlnum(text[i-1]) || text[i-1] == '\'') || !isAlnum(text[i]) {
			continue
		}
		if s, ok := nameCueTable.Get(text[i:e]); ok {
			cue = true
			if s {
				return true, true
			}
		}
	}
	return cue, false
}

// refExtendAddress is extendAddress on the reference helpers.
func refExtendAddress(text string, g *wordtab.Table[uint8], e int, score *float64) int {
	// Units on the same line: ", Apt. 4", " Suite 501 Apt. 397", " #12".
	for range 2 {
		ue := refUnitAt(text, g, e)
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
		if pe := refPostalEnd(text[e:le]); pe > 0 {
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
		if !refAddressLine(line) {
			break
		}
		if ue := refUnitAt(text, g, off-1); ue > off && strings.TrimSpace(text[ue:le]) == "" {
			blockEnd = ue
		} else if pe := refPostalEnd(line); pe > 0 {
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

func refUnitAt(text string, g *wordtab.Table[uint8], e int) int {
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
		if !ok || t.start != i || t.kind == kNum || refLookup(g, text[t.start:t.end])&fUnit == 0 {
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

// refAddressLine and refPostalEnd split the line with strings.Fields.
func refAddressLine(line string) bool {
	words := 0
	for _, f := range strings.Fields(line) {
		words++
		_ = f
	}
	if words > 7 {
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

func refPostalEnd(s string) int {
	e := len(s)
	for e > 0 && (s[e-1] == ' ' || s[e-1] == ',' || s[e-1] == '\r') {
		e--
	}
	s = s[:e]
	fs := strings.Fields(s)
	if len(fs) == 0 {
		return 0
	}
	lastw := fs[len(fs)-1]
	switch {
	case isZip(lastw):
		return e
	case len(fs) >= 2 && isUKPostcode(fs[len(fs)-2], lastw):
		return e
	case len(fs) >= 2 && allDigits(fs[len(fs)-2]) && len(fs[len(fs)-2]) == 3 && allDigits(lastw) && len(lastw) == 2:
		return e // "394 13"
	case usStates[lastw] && len(fs) >= 2:
		return e
	}
	return 0
}

// refMonthAt is monthAt without its first-letter shortcut.
func refMonthAt(text string, i int) (m, end int) {
	j := i
	for j < len(text) && j-i < 10 && isAlpha(text[j]) {
		j++
	}
	if j-i < 3 || j-i > 9 || wordAfter(text, j) {
		return 0, 0
	}
	var arr [10]byte
	m = months[string(lowerWindow(arr[:0], text, i, j))]
	if m == 0 {
		return 0, 0
	}
	if j < len(text) && text[j] == '.' {
		j++
	}
	return m, j
}

// TestLookupMatchesReference compares lookup (shortGaz for short ASCII
// words) with the general table on every key of the gazetteer, in every
// case and possessive, and on words that are no keys.
func TestLookupMatchesReference(t *testing.T) {
	g := gazetteer()
	var words []string
	for _, list := range [][]string{data.Person["first"], data.Person["middle"], data.Person["last"], data.Address["city"]} {
		words = append(words, list...)
	}
	for _, list := range data.Word {
		words = append(words, list...)
	}
	words = append(words, strings.Fields(extraCommon+extraTitles+streetAbbrevs+unitWords)...)
	words = append(words, "", "a", "'s", "x's", "\x00", "a\x00b", "ab\x00", "smith\x00s", "İ", "Émile", "JOSÉ", "o'brien", "O'BRIEN'S", "st", "ST's")
	rng := rand.New(rand.NewPCG(9, 10))
	for range 5000 {
		b := make([]byte, 1+rng.IntN(10))
		for k := range b {
			const alphabet = "abcdeEIOSZ's\x00\xc3\xa9-"
			b[k] = alphabet[rng.IntN(len(alphabet))]
		}
		words = append(words, string(b))
	}
	for _, w := range words {
		for _, v := range []string{w, strings.ToUpper(w), strings.ToLower(w), w + "'s", w + "'S", w + "\u2019s"} {
			checkLookup(t, g, v)
		}
	}
}

// checkLookup fails t unless lookup and lookupAt agree with refLookup on
// w, alone and inside a longer text (where packShortAt reads it with one
// load).
func checkLookup(t *testing.T, g *wordtab.Table[uint8], w string) {
	t.Helper()
	want := refLookup(g, w)
	if got := lookup(g, w); got != want {
		t.Fatalf("lookup(%q) = %b, reference %b", w, got, want)
	}
	for _, text := range []string{w, w + " tail of the text", "x " + w + "\x00\x00\x00\x00\x00\x00\x00\x00"} {
		i := strings.Index(text, w)
		if got := lookupAt(g, text, i, i+len(w)); got != want {
			t.Fatalf("lookupAt(%q, %d, %d) = %b, reference %b", text, i, i+len(w), got, want)
		}
	}
}

func FuzzLookup(f *testing.F) {
	f.Add("Smith's")
	f.Add("o\x00")
	f.Fuzz(func(t *testing.T, w string) {
		if len(w) > 80 {
			w = w[:80]
		}
		checkLookup(t, gazetteer(), w)
	})
}

// checkHelpers fails t unless the helpers the speed work changed agree with
// their references on text: the address block's lines, the name cue, the
// month name and the EU street suffix at every offset.
func checkHelpers(t *testing.T, text string) {
	t.Helper()
	if got, want := postalEnd(text), refPostalEnd(text); got != want {
		t.Fatalf("postalEnd(%q) = %d, reference %d", text, got, want)
	}
	if got, want := addressLine(text), refAddressLine(text); got != want {
		t.Fatalf("addressLine(%q) = %v, reference %v", text, got, want)
	}
	if got, want := fieldCount(text), len(strings.Fields(text)); got != want {
		t.Fatalf("fieldCount(%q) = %d, want %d", text, got, want)
	}
	for i := 0; i <= len(text); i++ {
		c, s := cueBefore(text, i)
		rc, rs := refCueBefore(text, i)
		if c != rc || s != rs {
			t.Fatalf("cueBefore(%q, %d) = %v, %v; reference %v, %v", text, i, c, s, rc, rs)
		}
		if i == len(text) {
			break
		}
		m, e := monthAt(text, i)
		rm, re := refMonthAt(text, i)
		if m != rm || e != re {
			t.Fatalf("monthAt(%q, %d) = %d, %d; reference %d, %d", text, i, m, e, rm, re)
		}
		if 'a' <= text[i] && text[i] <= 'z' {
			e := i
			for e < len(text) && e-i < 6 && 'a' <= text[e] && text[e] <= 'z' {
				e++
			}
			if got, want := mayBeParticle(text, i), refParticles[text[i:e]]; got != want {
				t.Fatalf("mayBeParticle(%q, %d) = %v, want %v", text, i, got, want)
			}
		}
		var arr [maxWord * 2]byte
		w := lowerKey(arr[:0], text[i:])
		if got, want := hasEUSuffix(w), refHasEUSuffix(string(w)); got != want {
			t.Fatalf("hasEUSuffix(%q) = %v, reference %v", w, got, want)
		}
	}
}

func TestHelpersMatchReference(t *testing.T) {
	texts := []string{
		"", " ", "IL", "Springfield, IL 62704", "SW1A 1AA", "London SW1A 1AA ,\r", "394 13", "53-320 Poznań",
		"Ul. Długa 5\u00a012-345", "a\u2003b c", "\x85x", "one two three four five six seven eight",
		"my name is Jane", "Dear  Anna", "I'm Bob", "called: Joe", "sincerely,\n Ann", "the grandmother Ann",
		"born March 12, 1985", "12 Sept. 1999", "Mayor", "MARCH 3", "junk", "decembers",
		"Koskikatu 25", "Bahnhofstraße", "Kongensgade", "van der", "de la", "dell", "alle", "zu",
	}
	texts = append(texts, cueLists[0]...)
	rng := rand.New(rand.NewPCG(11, 12))
	pieces := []string{" ", "  ", ",", "\n", "\r", "\t", "\u00a0", "IL", "62704", "SW1A", "1AA", "my", "name", "is",
		"Dear", ":", "'", "i'm", "March", "mar", "Sept", ".", "12", "van", "de", "katu", "straße", "gade", "x", "É", "\xff"}
	for range 3000 {
		var b strings.Builder
		for range 1 + rng.IntN(10) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		checkHelpers(t, s)
	}
}

func FuzzHelpers(f *testing.F) {
	f.Add("Dear Mr. van der Berg, born Sept. 3, 1980 at Koskikatu 25\nSpringfield, IL 62704")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 200 {
			text = text[:200]
		}
		checkHelpers(t, text)
	})
}

// TestEUSuffixTables checks what the bit sets of hasEUSuffix assume.
func TestEUSuffixTables(t *testing.T) {
	if len(euSuffixes) > 64 {
		t.Fatalf("%d EU suffixes: the tables hold 64", len(euSuffixes))
	}
	for _, s := range euSuffixes {
		if len(s) < 2 || s != strings.ToLower(s) {
			t.Fatalf("EU suffix %q: want two bytes or more, lower case", s)
		}
		if !hasEUSuffix([]byte("abc" + s)) {
			t.Fatalf("hasEUSuffix misses %q", "abc"+s)
		}
	}
}

// TestParticles checks that the quick test of mayBeParticle knows every
// particle of isParticle, and isParticle no other word.
func TestParticles(t *testing.T) {
	for p := range refParticles {
		if !isParticle(p) || !mayBeParticle(p+" x", 0) {
			t.Fatalf("particle %q missed", p)
		}
	}
	for a := 'a'; a <= 'z'; a++ {
		for b := 'a'; b <= 'z'; b++ {
			for _, w := range []string{string(a), string([]rune{a, b}), string([]rune{a, b, 'n'}), string([]rune{a, b, 'r'}), string([]rune{a, b, 's'})} {
				if isParticle(w) != refParticles[w] || mayBeParticle(w, 0) != refParticles[w] {
					t.Fatalf("isParticle(%q) = %v, mayBeParticle %v, want %v", w, isParticle(w), mayBeParticle(w, 0), refParticles[w])
				}
			}
		}
	}
}
