package pii

import (
	"strings"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// Person finds person names. Candidates are runs of up to four capitalised
// words (initials and particles such as "van" or "de" may sit inside) on one
// line, not broken by punctuation. A run is scored on what is known of its
// words and its context:
//
//   - after an honorific (Mr, Mrs, Dr, ...): "name_title", 0.9;
//   - after a cue that introduces a name ("my name is", "Dear", "Name:",
//     "called", "I'm", "signed", ...): "name_cue", 0.85; in lower case
//     ("my name is lena andersson") after "name is", "name's", "name:" or
//     "call me" when every word is a name of the gazetteer and no English
//     word, 0.75 (lowername.go);
//   - a first name from the gazetteer followed by more capitalised words:
//     "name_full", 0.8, or 0.9 when the last is a known surname;
//   - an unknown capitalised word followed by a known surname: 0.6;
//   - a known first name or surname alone: "name_first" 0.55 or
//     "name_last" 0.45, less at the start of a sentence.
//
// Words that are also English words, months, weekdays or place names
// ("Will", "May", "Jordan") count as names only next to another name word
// or after a title or cue; a run that opens with a place word ("San
// Francisco", "Lake Louise") is a place. The span covers the name without
// the honorific.
type Person struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*Person)(nil)

// NewPerson returns a person-name detector reporting findings from
// DefaultMinScore. The first call builds the gazetteer (a few milliseconds).
func NewPerson() *Person {
	gazetteer()
	return &Person{MinScore: DefaultMinScore}
}

// ID returns "detect.pii.person".
func (*Person) ID() string { return IDPrefix + CatPerson }

const maxRun = 4

// nameCues end right before a name (case-insensitive, whole words). The
// strong ones make an unknown capitalised word a name on their own; the weak
// ones only add to a name word from the gazetteer.
var nameCues = map[string]bool{
	// strong
	"my name is": true, "name is": true, "names are": true, "name's": true, "i'm": true, "i am": true,
	"dear": true, "name": true, "called": true, "named": true, "call me": true, "calls me": true,
	"signed": true, "regards": true, "sincerely": true, "maiden name is": true, "last name": true,
	"first name": true, "full name": true, "surname": true, "attn": true, "user": true,
	"married": true, "husband": true, "wife": true, "son": true, "daughter": true, "mother": true,
	"father": true, "brother": true, "sister": true, "grandfather": true, "grandmother": true,
	"patient": true, "kid": true, "directed by": true, "written by": true, "produced by": true,
	"starring": true, "producer": true, "assistant to": true, "mr": true, "mrs": true, "ms": true,
	// weak
	"this is": false, "it's": false, "thanks": false, "cheers": false, "from": false, "to": false,
	"cc": false, "contact": false, "ask for": false, "speak to": false, "speak with": false,
	"talk to": false, "meet": false, "met": false, "friend": false, "client": false, "customer": false,
	"colleague": false, "boss": false, "manager": false, "by": false, "with": false, "says": false,
	"said": false, "according to": false, "hi": false, "hello": false, "hey": false, "under": false,
	"add": false, "and": false, "or": false, "at": false, "tribute to": false,
}

// cueLastWords are the last words of the nameCues, with what they tell
// (the cue* bits): most cue words are only one on their own, and then
// cueBefore needs no search for a longer cue.
var cueLastWords = func() *wordtab.Table[uint8] {
	m := map[string]uint8{}
	for c, strong := range nameCues {
		switch i := strings.LastIndexByte(c, ' '); {
		case i >= 0:
			m[c[i+1:]] |= cueLonger
		case strong:
			m[c] |= cueAlone | cueStrong
		default:
			m[c] |= cueAlone
		}
	}
	return wordtab.New(m)
}()

// Bits of cueLastWords' values.
const (
	cueAlone  = 1 << iota // the word is a cue on its own
	cueStrong             // the word is a strong cue on its own
	cueLonger             // a cue of more words ends with it
)

// orgWords after a run of capitalised words make it an organisation (or
// a country: "Czech Republic").
var orgWords = map[string]bool{
	"inc": true, "ltd": true, "llc": true, "plc": true, "corp": true, "corporation": true, "co": true,
	"company": true, "group": true, "partners": true, "investments": true, "holdings": true, "bank": true,
	"foundation": true, "orchestra": true, "university": true, "college": true, "institute": true,
	"gmbh": true, "ag": true, "sa": true, "associates": true, "solutions": true, "systems": true,
	"technologies": true, "labs": true, "media": true, "capital": true, "club": true, "band": true,
	"hotel": true, "hospital": true, "school": true, "church": true, "street": true, "road": true,
	"republic": true, "kingdom": true, "islands": true, "island": true, "emirates": true, "federation": true,
}

// Detect returns one finding per name: the capitalised ones from one scan
// (detect), the lower-case ones after a cue from a second (lowername.go).
func (d *Person) Detect(text string) []detect.Finding {
	em := newEmitter(IDPrefix+CatPerson, CatPerson, d.MinScore)
	em.out = d.detect(text, true)
	lowerCueNames(text, gazetteer(), &em)
	return em.out
}

// detect is Detect's scan for capitalised names; with skip false it
// tokenises every word instead of skipping the words that cannot open a
// name (the reference the tests compare the fast path with).
func (d *Person) detect(text string, skip bool) []detect.Finding {
	g := gazetteer()
	em := newEmitter(IDPrefix+CatPerson, CatPerson, d.MinScore)
	var run [maxRun + 2]token
	n := 0
	for i := 0; i < len(text); {
		var t token
		var next int
		switch {
		case n == 0 && skip:
			// Outside a run only a word that opens with a capital
			// matters: step over the others without classifying them.
			j, w, gap := skipUncapitalised(text, i)
			if w < 0 {
				var ok bool
				if t, next, ok = nextToken(text, j); !ok {
					i = len(text)
					continue
				}
			} else {
				t, next = wordAt(text, w, gap)
			}
		case n > 0 && skip:
			// A word that opens with a small ASCII letter ends the run
			// unless it is a particle, and is no capital, number or
			// street word for placeFollows: evaluate the run without
			// reading the word, and skip from its start (a token start
			// is as good as a token end for skipUncapitalised).
			w, gap := i+1, uint8(0) // one space, the common gap
			if !(w < len(text) && text[i] == ' ' && tokClass[text[w]]&tWord != 0) {
				w, gap = skipGap(text, i)
			}
			if w == len(text) {
				i = w
				continue
			}
			if c := text[w]; 'a' <= c && c <= 'z' && !(gap&^gPunct == 0 && mayBeParticle(text, w)) {
				d.evaluate(text, g, run[:n], token{start: w, end: w, tokenInfo: tokenInfo{kind: kLower, gap: gap}}, true, &em)
				n = 0
				i = w
				continue
			}
			t, next = wordAt(text, w, gap)
		default:
			var ok bool
			if t, next, ok = nextToken(text, i); !ok {
				i = len(text)
				continue
			}
		}
		i = next
		nameLike := t.kind == kCap || t.kind == kInitial || t.kind == kAllCaps
		if n == 0 {
			if nameLike {
				run[0] = t
				n = 1
			}
			continue
		}
		if t.kind == kLower && t.gap&^gPunct == 0 && isParticle(text[t.start:t.end]) {
			nameLike = true
		}
		if nameLike && n < len(run) && joins(text, run[n-1], t) {
			run[n] = t
			n++
			continue
		}
		d.evaluate(text, g, run[:n], t, true, &em)
		n = 0
		if nameLike {
			run[0] = t
			n = 1
		}
	}
	if n > 0 {
		d.evaluate(text, g, run[:n], token{}, false, &em)
	}
	return em.out
}

// mayBeParticle reports whether the word at w, which opens with a small
// ASCII letter, may be a particle: its first letters, up to the first
// byte that is no small ASCII letter, are one.
func mayBeParticle(text string, w int) bool {
	// Most words are turned away by their first two letters.
	if w+1 >= len(text) || text[w+1] < 'a' || text[w+1] > 'z' || !particleStart[text[w]-'a'][text[w+1]-'a'] {
		return false // no particle has one letter
	}
	e := w
	for e < len(text) && e-w < 6 && 'a' <= text[e] && text[e] <= 'z' {
		e++
	}
	return isParticle(text[w:e])
}

// particleStart marks the first two letters of the particles of
// isParticle (TestParticles checks the two lists agree).
var particleStart = func() (t [26][26]bool) {
	for _, p := range []string{"van", "von", "de", "da", "del", "della", "der", "den", "di", "du", "le", "la",
		"bin", "ibn", "al", "dos", "das", "ter", "af", "zu"} {
		t[p[0]-'a'][p[1]-'a'] = true
	}
	return t
}()

// isParticle reports whether w is one of the particles that may sit
// inside a name in lower case ("van", "de", "bin"): a switch, cheaper than
// a map for the lower-case word after every capital.
func isParticle(w string) bool {
	switch w {
	case "van", "von", "de", "da", "del", "della", "der", "den", "di", "du", "le", "la",
		"bin", "ibn", "al", "dos", "das", "ter", "af", "zu":
		return true
	}
	return false
}

// joins reports whether t continues the run that ends with p: no line
// break or punctuation between, except the '.' after an initial or title.
func joins(text string, p, t token) bool {
	if t.gap&(gNewline|gComma|gPunct) != 0 {
		return false
	}
	if w := text[p.start:p.end]; strings.HasSuffix(w, "'s") || strings.HasSuffix(w, "\u2019s") {
		return false
	}
	if t.gap&gSentence != 0 {
		return p.dot && (p.kind == kInitial || p.end-p.start <= 4)
	}
	return true
}

func (d *Person) evaluate(text string, g *wordtab.Table[uint8], run []token, next token, hasNext bool, em *emitter) {
	// Runs of one word that no flags make a name, decided before the
	// lookup (the checks below come to the same for any flags).
	// A run of one word keeps its start, so its cue is looked for once.
	var cue, strong, cueDone bool
	var first uint8 // the flags of run[0] when haveFirst
	haveFirst := false
	if len(run) == 1 {
		switch t := run[0]; t.kind {
		case kInitial:
			return // a lone initial
		case kAllCaps:
			cue, strong = cueBefore(text, t.start)
			cueDone = true
			if !strong {
				return // "LONDON", "ASAP"
			}
		case kCap:
			// Without a cue or a speaker's ':', one word is only
			// reported as a known first name or surname (name_first,
			// name_last): most sentence openers are neither.
			cue, strong = cueBefore(text, t.start)
			cueDone = true
			if !cue && !(t.end < len(text) && text[t.end] == ':') {
				w := text[t.start:t.end]
				if x, ok := packShortAt(text, t.start, t.end); ok {
					if !mayBeNameShort(x, len(w)) {
						return
					}
					f, _ := shortFlags(x, w)
					if f&(fFirst|fLast) == 0 {
						return
					}
					first, haveFirst = f, true
				} else if !mayBeName(w) {
					return // a long or non-ASCII word: the filter first
				}
			}
		}
	}
	var fa [maxRun + 2]uint8
	flags := fa[:len(run)]
	for k, t := range run {
		if k == 0 && haveFirst {
			flags[0] = first
			continue
		}
		flags[k] = lookupAt(g, text, t.start, t.end)
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
	// A place word opening the run makes it a place: "Lake Louise".
	place := !title && opensPlace(text, run, flags)
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
		if t := run[len(run)-1]; isOrgWord(text[t.start:t.end]) {
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
	if !cueDone {
		cue, strong = cueBefore(text, start)
	}
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
		// "Janka M. Szász"; initials alone are an abbreviation ("C.O.D.")
		score, ev = 0.8, "name_initial"
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

// placeFollows reports whether the token after a run (next, the run ending
// with last) makes it a street or an organisation: a house number, a
// street or unit word, an organisation word.
func placeFollows(text string, g *wordtab.Table[uint8], last, next token, hasNext, possessive bool) bool {
	if !hasNext || !sameLine(next, last) {
		return false
	}
	nw := text[next.start:next.end]
	switch {
	case next.kind == kNum && next.gap == 0 && !possessive:
		return true
	case next.kind != kCap && next.kind != kAllCaps:
		return false
	}
	return lookup(g, nw)&(fStreet|fUnit) != 0 || isOrgWord(nw)
}

// isOrgWord reports whether w, in any case, is one of orgWords.
func isOrgWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return orgWords[strings.ToLower(w)] // rare
		}
	}
	_, ok := orgWordTab.Get(w) // ASCII: case folded by the table
	return ok
}

var orgWordTab = wordtab.New(orgWords)

// placeOpeners open the names of places ("San Francisco", "Lake Louise",
// "Port Elizabeth"), looked up with ASCII case ignored.
var placeOpeners = wordtab.New(map[string]bool{
	"san": true, "santa": true, "santo": true, "sao": true, "st": true, "ste": true, "saint": true,
	"sainte": true, "lake": true, "mount": true, "mt": true, "port": true, "porto": true, "puerto": true,
	"fort": true, "ft": true, "cape": true, "cabo": true, "monte": true, "lago": true, "isla": true,
	"isle": true, "point": true, "new": true,
})

// opensPlace reports whether a place word opens the run, before any
// other word or after common words only: "San Francisco", "Lake Louise",
// "Visit St. Moritz" are places, not people. flags are the run's words'.
func opensPlace(text string, run []token, flags []uint8) bool {
	for k := 0; k < len(run)-1; k++ {
		if _, ok := placeOpeners.Get(text[run[k].start:run[k].end]); ok {
			return true
		}
		if flags[k]&fCommon == 0 || flags[k]&(fFirst|fLast) != 0 {
			return false
		}
	}
	return false
}

// cueBefore reports whether a name cue ends right before pos (after
// spaces, ':', ',', '?' or a quote), and whether it is a strong one.
func cueBefore(text string, pos int) (cue, strong bool) {
	const window = 32
	e := pos
	for e > 0 && e > pos-8 && cueSep[text[e-1]] {
		e--
	}
	if e == 0 || !isAlnum(text[e-1]) && text[e-1] != '\'' {
		return false, false // no word ends there ("... end. The")
	}
	from := max(0, e-window)
	// A cue ends with the window's last word: most windows end with none.
	k := e
	for k > from && (isAlnum(text[k-1]) || text[k-1] == '\'') {
		k--
	}
	last, ok := cueLastWords.Get(text[k:e])
	switch {
	case !ok:
		return false, false
	case last&cueStrong != 0:
		return true, true // the search below tries the last word first
	case last&cueLonger == 0:
		return last&cueAlone != 0, false
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

// cueSep marks the bytes that may stand between a cue and the name: " :,\t->?\"".
var cueSep = func() (t [256]bool) {
	for _, c := range []byte(" :,\t->?\"") {
		t[c] = true
	}
	return t
}()

// nameCueTable is nameCues, looked up with ASCII case ignored; maxCueLen
// is the length of the longest.
var (
	nameCueTable = wordtab.New(nameCues)
	maxCueLen    = func() int {
		n := 0
		for c := range nameCues {
			n = max(n, len(c))
		}
		return n
	}()
)
