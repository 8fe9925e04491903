package pii

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// The person and address detectors as they were before their speed work
// (commit f70838d), on refNextToken, without the skips (as detect with
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
			i = skipUncapitalised(text, i)
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
	return em.out
}

func refEvaluate(d *Person, text string, g *wordtab.Table[uint8], run []token, next token, hasNext bool, em *emitter) {
	var fa [maxRun + 2]uint8
	flags := fa[:len(run)]
	for k, t := range run {
		flags[k] = lookup(g, text[t.start:t.end])
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
	// Common words before or after a name: "The", "Producer", "When".
	for len(run) > 1 && flags[0]&fCommon != 0 && flags[0]&(fFirst|fLast) == 0 {
		run, flags = run[1:], flags[1:]
	}
	// A street or unit word ends a street name, not a person's:
	// "Gordon Terrace", "Dora Creek Apt.".
	place := false
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
	cue, strong := cueBefore(text, start)
	if run[0].kind == kAllCaps && !title && !strong {
		return // "LONDON", "ASAP"
	}
	speaker := run[0].gap&(gStart|gNewline) != 0 && end < len(text) && text[end] == ':' && len(run) <= 2
	sentenceStart := run[0].gap&(gStart|gSentence|gNewline|gBlank) != 0

	known, firstKnown, lastKnown, ambiguous, initials := 0, false, false, 0, 0
	unknownCommon := false
	for k, f := range flags {
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
	case len(run) >= 3 && initials > 0 && !unknownCommon:
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
			if sinceNumber <= maxNumberBack && lookup(g, text[t.start:t.end])&fStreet != 0 {
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
				} else if b.kind == kCap && lookup(gazetteer(), text[b.start:b.end])&fCommon == 0 && !euOpeners[strings.ToLower(text[b.start:b.end])] {
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
