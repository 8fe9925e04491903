package pii

import (
	_ "embed"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7/data"

	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// Gazetteer flags.
const (
	fFirst  = 1 << iota // a first (given) name
	fLast               // a surname
	fCommon             // an English word, month, weekday or place name
	fTitle              // an honorific: Mr, Dr, ...
	fStreet             // a street suffix: Street, Ave, ...
	fUnit               // a unit word: Apt, Suite, ...
)

// The gazetteer maps a lowercased word to its flags. Names come from
// github.com/brianvoe/gofakeit/v7's data package (MIT licence): 1,611 first
// names, 161 middle names and 498 surnames, mostly US; and from the other
// countries' lists of @faker-js/faker (MIT licence), kept in names/ (see
// its README): some 15,000 given names and 16,000 surnames of 51 locales
// in Latin, Cyrillic and Greek script. gofakeit's English word lists
// (nouns, verbs, adjectives, ...) and place names (US cities and states,
// countries) mark the words that are names only sometimes ("Will",
// "Grace", "Jordan"); the short lists below add what those lack. The street
// suffixes are gofakeit's USPS list plus their standard abbreviations.
var (
	gazOnce sync.Once
	gaz     *wordtab.Table[uint8]
	// nameFilter has nameBit(k) set for every key k of the gazetteer
	// that is a first name or a surname (see mayBeName): 512 Kbit (64 KB)
	// for some 31,000 names, so that about 6% of other words pass.
	nameFilter [1 << (nameFilterBits - 6)]uint64
)

// extraCommon are capitalised words that open sentences or name things
// other than people often enough to be kept out of names, among them the
// verbs that open a request about a person ("Call Emily Johnson", "Invite
// Lisa Wong"), which gofakeit's verb list lacks: unknown, they were taken
// for the name's first word.
const extraCommon = `i i'm i've i'll i'd im it's the a an this that these those there here what
when where why how who which whose my your our their his her its we you they he she
is are was were be been am do does did have has had can could will would shall should may
might must not no yes if then than and or but so as at by for from in into of on onto to
with without about above after again against all also any because before below between
both during each few more most other some such only own same too very just now
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
god lord jesus christ allah bible internet english french german spanish chinese
islam buddha asia africa europe america americas oceania antarctica
please thanks thank hello hi hey dear regards sincerely cheers best yours
call tell text email meet invite ping ring phone message remind ask send forward cc bcc notify
contact inform introduce congratulate greet visit pay hire interview tag mention loop brief warn
alert update reply answer wish welcome let get see book schedule follow copy
mr mrs ms dr prof sir madam miss
grace hope faith joy rose summer autumn dawn bill mark pat art guy sue rob frank will may
june april august jack penny ruby amber crystal daisy holly ivy lily iris violet pearl sky
storm river hunter chase grant drew reed wade dean earl king prince duke major miles
christian sunny rich carol hazel olive sterling bob lane
street avenue road lane drive boulevard court place square park
north south east west new old great little big saint st mount
inc ltd llc corp co company university college school hospital bank church
`

// fakerJS is names/fakerjs.txt: after comment lines, one name a line:
// "f" (given name) or "l" (surname), then "c" if it is a common English
// word, a tab and the name in lower case.
//
//go:embed names/fakerjs.txt
var fakerJS string

// addFakerJS adds fakerJS's names to g, which holds gofakeit's. A common
// English word among them ("Pie", "Urban") is marked fCommon, so that it
// counts as a name only beside another name word or a cue, unless gofakeit
// has it as a US name already ("Frank", "Harry"): its flags say what that
// list decided.
func addFakerJS(g map[string]uint8) {
	for line := range strings.Lines(fakerJS) {
		kind, name, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if !ok {
			continue // a comment
		}
		common := strings.HasSuffix(kind, "c")
		var f uint8
		switch strings.TrimSuffix(kind, "c") {
		case "f":
			f = fFirst
		case "l":
			f = fLast
		default:
			continue
		}
		if common && g[name]&(fFirst|fLast) == 0 {
			f |= fCommon
		}
		g[name] |= f
	}
}

// extraTitles are honorifics that open a name.
const extraTitles = `mr mrs ms miss mx dr prof professor sir dame lady lord madam mme mlle
herr frau rev reverend fr father sr sra srta señor señora don doña`

// streetAbbrevs are the USPS and Royal Mail abbreviations of street
// suffixes that gofakeit's list spells out, plus UK words it lacks.
const streetAbbrevs = `st str ave av avenue blvd rd dr ln ct pl sq pkwy hwy cir ter terr cres crt
way wy trl tr pike row walk close mews gardens gdns grove gr hill parade pde rise
vale view wharf yard embankment broadway`

const unitWords = `apt apartment suite ste unit flat floor fl room rm bldg building`

func gazetteer() *wordtab.Table[uint8] {
	gazOnce.Do(func() {
		g := make(map[string]uint8, 8000)
		add := func(words []string, f uint8) {
			for _, w := range words {
				w = strings.ToLower(strings.TrimSpace(w))
				if w == "" || strings.ContainsAny(w, " .") {
					continue
				}
				g[w] |= f
			}
		}
		add(data.Person["first"], fFirst)
		add(data.Person["middle"], fFirst)
		add(data.Person["last"], fLast)
		addFakerJS(g)
		for _, list := range data.Word {
			add(list, fCommon)
		}
		add(data.Address["city"], fCommon)
		add(data.Address["state"], fCommon)
		add(data.Address["country"], fCommon)
		add(data.Address["street_name"], fStreet)
		add(strings.Fields(extraCommon), fCommon)
		// An organisation word ending a run is trimmed as a common word,
		// and then makes the run a place: "Czech Republic".
		add(slices.Collect(maps.Keys(orgWords)), fCommon)
		add(strings.Fields(extraTitles), fTitle)
		add(strings.Fields(streetAbbrevs), fStreet)
		add(strings.Fields(unitWords), fUnit)
		for w, f := range g {
			if f&(fFirst|fLast) != 0 {
				b := nameBit(w)
				nameFilter[b>>6] |= 1 << (b & 63)
			}
		}
		gaz = wordtab.New(g)
		shortGaz = newShortWords(g)
	})
	return gaz
}

// nameBit is the bit of nameFilter for word w: a hash of the whole word
// with bit 5 of every byte set, which lowers ASCII letters as the
// gazetteer's lookups do (and merges a few other bytes: more words pass,
// none is missed).
func nameBit(w string) uint {
	h := nameSeed(len(w))
	for len(w) > 0 {
		var x uint64
		n := min(len(w), 8)
		for i := 0; i < n; i++ {
			x |= uint64(w[i]|0x20) << (8 * i)
		}
		h = nameMix(h, x)
		w = w[n:]
	}
	return uint(h >> (64 - nameFilterBits))
}

func nameSeed(n int) uint64 { return uint64(n) * 0xbf58476d1ce4e5b9 }

func nameMix(h, x uint64) uint64 {
	h = (h ^ x) * 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// nameFilterBits is log2 of nameFilter's size in bits.
const nameFilterBits = 19

func nameFilterHas(b uint) bool { return nameFilter[b>>6]&(1<<(b&63)) != 0 }

// mayBeNameShort is mayBeName for a word of n bytes that packShortAt
// packed into x, without reading the word again: nameBit mixes a word of
// up to eight bytes in one step, and the bytes a word holds (letters,
// digits, apostrophes and hyphens) are the same lowered by packShortAt as
// with bit 5 set.
func mayBeNameShort(x uint64, n int) bool {
	if nameFilterHas(uint(nameMix(nameSeed(n), x) >> (64 - nameFilterBits))) {
		return true
	}
	// The possessive, as in mayBeName.
	m := n - 2
	return m > 0 && x>>(8*m) == uint64('s')<<8|'\'' && nameFilterHas(uint(nameMix(nameSeed(m), x&(1<<(8*m)-1))>>(64-nameFilterBits)))
}

// mayBeName reports whether lookup(gazetteer(), w) may have fFirst or
// fLast set: false only when it has neither. One load of nameFilter, for
// the capitalised words that open sentences, most of which are no names.
// Words with non-ASCII bytes, which lookup lowers rune by rune, always may.
func mayBeName(w string) bool {
	if len(w) == 0 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return true
		}
	}
	has := func(w string) bool { return nameFilterHas(nameBit(w)) }
	if has(w) {
		return true
	}
	// lookup's possessive: "Smith's" has the flags of "smith".
	n := len(w)
	return n > 2 && w[n-2] == '\'' && w[n-1]|0x20 == 's' && has(w[:n-2])
}

// lookup returns the flags of word w (any case), g being gazetteer().
func lookup(g *wordtab.Table[uint8], w string) uint8 {
	if f, ok := lookupShort(w); ok {
		return f
	}
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

// lookupShort returns lookup(gazetteer(), w) and true when w is an ASCII
// word of up to eight bytes, and false otherwise. Such a word equals, ASCII
// case folded, only keys like it, which shortGaz holds all of.
func lookupShort(w string) (uint8, bool) {
	x, ok := packShort(w)
	if !ok {
		return 0, false
	}
	return shortFlags(x, w)
}

// lookupAt is lookup(g, text[start:end]), with the word packed from one
// load when it is short.
func lookupAt(g *wordtab.Table[uint8], text string, start, end int) uint8 {
	if x, ok := packShortAt(text, start, end); ok {
		f, _ := shortFlags(x, text[start:end])
		return f
	}
	return lookup(g, text[start:end])
}

// shortFlags is lookupShort for w packed into x.
func shortFlags(x uint64, w string) (uint8, bool) {
	if f, ok := shortGaz.get(x); ok {
		return f, true
	}
	// Possessive: "Smith's".
	if n := len(w); n > 2 && w[n-2] == '\'' && w[n-1]|0x20 == 's' {
		f, _ := shortGaz.get(x & (1<<(8*(n-2)) - 1))
		return f, true
	}
	return 0, true
}
