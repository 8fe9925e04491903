package classify

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalisation and features.
//
// Text is read once, rune by rune, and cut into normalised words; nothing
// proportional to the length of the text is kept, so memory is bounded
// whatever the input. Each source rune is folded first:
//
//   - invalid UTF-8 bytes and invisible characters (zero-width spaces and
//     joiners, bidi controls, soft hyphens, variation selectors, tag begin
//     and cancel) produce nothing, so they cannot split a word;
//   - letters that look like Latin letters in other scripts (Cyrillic,
//     Greek, Armenian, small capitals, letters with a stroke) become those
//     letters (confusables.go);
//   - Unicode tag characters, which smuggle ASCII invisibly, become that
//     ASCII; regional-indicator and negative circled or squared letters
//     become letters;
//   - everything else goes through NFKD compatibility decomposition
//     (golang.org/x/text/unicode/norm), which turns fullwidth, mathematical,
//     circled, superscript and ligature forms into plain letters and digits;
//     combining diacritical marks are then dropped ("bömb", Zalgo text), and
//     letters are lower-cased.
//
// Folded letters, digits, '@' and '$' make words; an apostrophe inside a
// word is dropped ("don't" is "dont"); anything else separates words. Then:
//
//   - a run of three or more one-character words, at least two of them
//     letters, with the same one to three separator characters between each
//     and no line break, is one word: "b o m b", "b.o.m.b", "b - o - m - b"
//     (a leading "a" or "i" of a longer run stays a word: "a b o m b");
//   - leetspeak is undone in a word holding letters: 4→a, 3→e, 0→o, 1→i
//     ("11"→"ll"), 5→s, 7→t, @→a, $→s. A number followed by at most three
//     letters ("1st", "10mg", "1990s") and letters followed by digits
//     ("python3", "ipv4", "ki11") are kept as written; the second shape also
//     yields its decoded form as an extra word feature;
//   - a run of three or more of the same letter is one letter ("boooomb");
//   - in feature set 3, the current one, a number (a word of ASCII digits
//     only) is left out: it has no features and no place in the window.
//
// Features of each word, hashed (FNV-1a, then murmur3's finaliser) into
// 2^bits buckets: the word; the word with the one before it; and the
// character 4-grams of a "skeleton" of the text, the bytes of all words run
// together with every doubled byte collapsed, which spacing or punctuation
// inserted anywhere inside a word does not change ("bo mb", "ki-ll").
//
// The skeleton leaves out function words (pronouns, articles, auxiliaries,
// prepositions: stopWords) in feature set 2, the current one. In set 1 it
// held every word, and the 4-grams across "you are" ("youa", "ouar",
// "uare") counted the phrase three more times on top of its word pair: a
// model learnt from second-person insults then flagged every system prompt
// that starts "You are ..." (issue 3). A function word still has its own
// word and word-pair features.

// maxWord caps the bytes of one word; a longer run is cut into words of
// this length, so that a 10 MB string without separators costs no more
// than any other text.
const maxWord = 48

// maxStopWord is the length of the longest word in stopWords.
const maxStopWord = 8

// maxPending caps a run of one-character words joined into one.
const maxPending = 32

// maxGap is the most separator bytes between one-character words that are
// joined.
const maxGap = 12

// maxWordFeatures bounds the features of one word: its word, word-pair and
// decoded-word features, and at most one skeleton 4-gram per byte of the
// normalised word, which is no longer than the word as read: a run cut at
// maxWord bytes (plus the rest of its last rune) or maxPending joined
// one-rune words. window relies on it.
const maxWordFeatures = 3 + max(maxWord+utf8.UTFMax-1, maxPending*utf8.UTFMax)

// Hash seeds of the three feature kinds.
const (
	seedWord   = 0x9747b28c
	seedBigram = 0x1b873593
	seedGram   = 0xcc9e2d51
)

// FeatureSet names a version of the features, recorded in a model's header
// so that a model is always scored with the features it was trained on.
type FeatureSet int

const (
	// SkeletonAllWords is the first feature set: every word enters the
	// skeleton. A header without "features" means this set.
	SkeletonAllWords FeatureSet = 1
	// SkeletonContentWords leaves function words out of the skeleton.
	SkeletonContentWords FeatureSet = 2
	// WithoutNumbers also leaves numbers (words of ASCII digits only) out:
	// they are no evidence of anything. Read as words, each number was a
	// feature of its own, rare in training, whose buckets held whatever the
	// hashing put there, and a message that was only a number, or a few
	// words and a number, weighed those few features alone: "421" scored
	// 0.64 sexual and "36611" 0.88 hazard. Written as zeros, numbers became
	// common features that training made evidence of harmless text, which a
	// request could then be padded with. Left out, they can do neither.
	WithoutNumbers FeatureSet = 3
	// CurrentFeatures is the feature set that training uses by default.
	CurrentFeatures = WithoutNumbers
)

// Features calls fn once per word of text, in order, with the byte span of
// the word in text (on the unit boundaries utf8.DecodeRuneInString walks;
// starts and ends never go back, but two words made from one rune, "¼" is
// "1⁄4", share it) and the buckets, below 2^bits, of the features of the
// current feature set that the word adds. fn must not keep feats. It is
// what the model scores, exported so that training featurises exactly as
// the detector does.
func Features(text string, bits uint, fn func(start, end int, feats []uint32)) {
	CurrentFeatures.Features(text, bits, fn)
}

// Features is the package-level Features for the feature set fs.
func (fs FeatureSet) Features(text string, bits uint, fn func(start, end int, feats []uint32)) {
	t := tokenizer{mask: 1<<bits - 1, emit: fn, contentSkeleton: fs >= SkeletonContentWords, skipNumbers: fs >= WithoutNumbers}
	t.run(text)
}

// FunctionWordPairs returns the buckets, below 2^bits, of the word-pair
// features made of two function words ("you are", "are a"), in no
// particular order (every feature set hashes pairs alike). Training keeps
// them at zero for categories whose evidence must be content: a frame of
// function words is no sign of abuse or hate, and "You are a ..." opens
// most system prompts (issue 3).
func FunctionWordPairs(bits uint) []uint32 {
	mask := uint32(1)<<bits - 1
	words := make([]uint32, 0, len(stopWords))
	for w := range stopWords {
		words = append(words, fnv32([]byte(w)))
	}
	out := make([]uint32, 0, len(words)*len(words))
	for _, p := range words {
		for _, h := range words {
			out = append(out, pairHash(p, h)&mask)
		}
	}
	return out
}

// stopWords are the function words that feature set 2 leaves out of the
// skeleton: frequent, short and carrying little of a text's subject, so
// that their 4-grams only repeat what the word pairs already say.
var stopWords = map[string]bool{}

// stopTable holds stopWords for finish, which looks a word up by the top
// byte of its word feature's hash (wordHash, computed anyway)
// with linear probing: no string hashing per word.
var stopTable [256]struct {
	h uint32
	w string
}

func isStopWord(w []byte, h uint32) bool {
	for i := h >> 24; ; i = (i + 1) % uint32(len(stopTable)) {
		e := &stopTable[i]
		if e.w == "" {
			return false
		}
		if e.h == h && e.w == string(w) {
			return true
		}
	}
}

func init() {
	for _, w := range []string{
		"a", "an", "the", "i", "im", "ive", "me", "my", "mine", "we", "us", "our", "ours",
		"you", "youre", "youve", "youll", "youd", "your", "yours", "yourself",
		"he", "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their", "theirs",
		"is", "are", "was", "were", "be", "been", "being", "am", "isnt", "arent",
		"do", "does", "did", "have", "has", "had", "will", "would", "can", "could", "should", "shall", "may", "might", "must",
		"to", "of", "in", "on", "at", "by", "for", "with", "from", "as", "into", "about",
		"and", "or", "but", "if", "so", "than", "then", "that", "this", "these", "those", "there", "here",
		"what", "which", "who", "whom", "when", "where", "why", "how", "not", "no", "dont",
	} {
		stopWords[w] = true
	}
	if len(stopWords) > len(stopTable)/2 {
		panic("classify: stopTable too small")
	}
	for w := range stopWords {
		h := wordHash(fnv32([]byte(w)))
		i := h >> 24
		for stopTable[i].w != "" {
			i = (i + 1) % uint32(len(stopTable))
		}
		stopTable[i].h, stopTable[i].w = h, w
	}
}

// Normalize returns the normalised words of text joined by single spaces:
// what the features of the current set are computed from (without the
// skeleton). It is for tests and for seeing what the model sees.
func Normalize(text string) string {
	var out []byte
	t := tokenizer{mask: 0, skipNumbers: CurrentFeatures >= WithoutNumbers, words: func(w []byte) {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, w...)
	}}
	t.run(text)
	return string(out)
}

// pending is a one-character word waiting to be joined with the next ones.
type pending struct {
	b          [utf8.UTFMax]byte
	n          uint8
	start, end int
}

// tokenizer is the state of one pass over a text. The zero value plus mask
// and emit, win or words is ready.
type tokenizer struct {
	mask  uint32
	emit  func(start, end int, feats []uint32)
	win   *window        // receives the features instead of emit: a direct call, for the detector
	words func(w []byte) // receives each normalised word instead of features, for Normalize
	// contentSkeleton leaves function words out of the skeleton (feature
	// set 2).
	contentSkeleton bool
	// skipNumbers leaves numbers out (set 3).
	skipNumbers bool

	word         [maxWord + utf8.UTFMax]byte // current word, folded: word[:wlen]
	wlen         int
	wStart, wEnd int
	inWord       bool

	gap      int  // separator runes since the last word ended
	gapBreak bool // a line break among them
	gapText  [maxGap]byte
	gapLen   int          // bytes of gapText used; maxGap+1 when they did not fit
	runGap   [maxGap]byte // the separators between the waiting words
	runGapN  int

	pend        [maxPending]pending
	pendN       int
	pendLetters int
	joined      [maxPending * utf8.UTFMax]byte // the waiting words as one, for finish

	norm    []byte // normalised word being emitted
	prev    uint32 // hash of the previous word
	hasPrev bool
	skel    uint32 // last four skeleton bytes
	skelN   int
	last    byte                    // last skeleton byte
	feats   [maxWordFeatures]uint32 // the current word's features
}

// reset readies t for a new text, keeping its buffers, with win receiving
// the features.
func (t *tokenizer) reset(mask uint32, fs FeatureSet, win *window) {
	norm := t.norm[:0]
	*t = tokenizer{mask: mask, win: win, norm: norm, contentSkeleton: fs >= SkeletonContentWords, skipNumbers: fs >= WithoutNumbers}
}

// wordHash is the hash of a word's feature, from the fnv32 of its bytes;
// the stop-word table is keyed by it too.
func wordHash(h uint32) uint32 { return mix(h ^ seedWord) }

// pairHash is the hash of the feature of the word pair whose words' fnv32
// are prev and h; FunctionWordPairs must hash pairs exactly as Features do.
func pairHash(prev, h uint32) uint32 { return mix(prev*0x01000193 ^ h ^ seedBigram) }

// wordByte maps an ASCII character that makes words to the byte it adds
// (letters lower-cased), and any other byte to 0.
var wordByte = func() (m [256]byte) {
	for c := range utf8.RuneSelf {
		switch {
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '@' || c == '$':
			m[c] = byte(c)
		case 'A' <= c && c <= 'Z':
			m[c] = byte(c) + 'a' - 'A'
		}
	}
	return m
}()

func (t *tokenizer) run(text string) {
	if t.norm == nil {
		t.norm = make([]byte, 0, 2*maxPending*utf8.UTFMax)
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c >= utf8.RuneSelf {
			r, w := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && w == 1 {
				i++ // invalid byte: nothing
				continue
			}
			t.fold(r, i, i+w)
			i += w
			continue
		}
		if b := wordByte[c]; b != 0 {
			// a run of ASCII word characters, added as ascii adds them
			if !t.inWord {
				t.begin(i)
			}
			n := t.wlen
			for {
				t.word[n] = b
				n++
				i++
				if n >= maxWord || i >= len(text) {
					break
				}
				if b = wordByte[text[i]]; b == 0 {
					break
				}
			}
			t.wlen, t.wEnd = n, i
			if n >= maxWord {
				t.endWord()
			}
			continue
		}
		if c == '\'' && t.inWord {
			i++ // inside a word: dropped ("don't")
			continue
		}
		t.sep(rune(c))
		i++
	}
	t.endWord()
	t.flush()
}

// ascii handles one ASCII character (source span [at, end)).
func (t *tokenizer) ascii(c byte, at, end int) {
	switch {
	case wordByte[c] != 0:
		t.add(wordByte[c], at, end)
	case c == '\'' && t.inWord:
		// inside a word: dropped ("don't")
	default:
		t.sep(rune(c))
	}
}

// fold handles one non-ASCII rune.
func (t *tokenizer) fold(r rune, at, end int) {
	if invisible(r) || combining(r) {
		return
	}
	if m := foldSpecial(r); m >= 0 {
		t.ascii(byte(m), at, end)
		return
	}
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	if d := norm.NFKD.Properties(b[:n]).Decomposition(); d != nil {
		for len(d) > 0 {
			r2, w := utf8.DecodeRune(d)
			d = d[w:]
			if r2 < utf8.RuneSelf {
				t.ascii(byte(r2), at, end)
			} else if !invisible(r2) && !combining(r2) {
				t.other(lower(r2), at, end)
			}
		}
		return
	}
	t.other(lower(r), at, end)
}

// lower lower-cases r and maps look-alike letters to ASCII.
func lower(r rune) rune {
	if m, ok := confusables[r]; ok {
		return m
	}
	r = unicode.ToLower(r)
	if m, ok := confusables[r]; ok {
		return m
	}
	return r
}

// other handles a folded rune that may be ASCII.
func (t *tokenizer) other(r rune, at, end int) {
	switch {
	case r < utf8.RuneSelf:
		t.ascii(byte(r), at, end)
	case (r == 0x2019 || r == 0x02BC) && t.inWord: // right single quote, modifier apostrophe
		// inside a word: dropped
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		if !t.inWord {
			t.begin(at)
		}
		t.wlen += utf8.EncodeRune(t.word[t.wlen:], r)
		t.wEnd = end
		if t.wlen >= maxWord {
			t.endWord()
		}
	default:
		t.sep(r)
	}
}

func (t *tokenizer) begin(at int) {
	t.inWord = true
	t.wStart = at
	t.wlen = 0
}

func (t *tokenizer) add(c byte, at, end int) {
	if !t.inWord {
		t.begin(at)
	}
	t.word[t.wlen] = c
	t.wlen++
	t.wEnd = end
	if t.wlen >= maxWord {
		t.endWord()
	}
}

// sep handles a separator rune r.
func (t *tokenizer) sep(r rune) {
	if t.inWord {
		t.endWord()
	}
	t.gap++
	if r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029 {
		t.gapBreak = true
	}
	if t.gapLen <= maxGap {
		if n := utf8.RuneLen(r); n > 0 && t.gapLen+n <= maxGap {
			t.gapLen += utf8.EncodeRune(t.gapText[t.gapLen:], r)
		} else {
			t.gapLen = maxGap + 1
		}
	}
}

// endWord ends the current word: a one-character word waits in pend for
// others to join it; a longer one is emitted.
func (t *tokenizer) endWord() {
	if !t.inWord {
		return
	}
	t.inWord = false
	w := t.word[:t.wlen]
	gap := t.gapText[:min(t.gapLen, maxGap)]
	// a one-character word joins the waiting ones when the separators
	// before it are few, hold no line break and are the same as between
	// the waiting words ("b.o.m.b", "b - o - m - b")
	near := t.gap <= 3 && !t.gapBreak && t.gapLen <= maxGap
	same := t.pendN < 2 || string(gap) == string(t.runGap[:t.runGapN])
	t.gap, t.gapBreak, t.gapLen = 0, false, 0
	if oneRune(w) {
		switch {
		case t.pendN == 2 && near && !same:
			// "a b.o.m.b": the first word was not part of the run
			p := &t.pend[0]
			if isLetter(p.b[:p.n]) {
				t.pendLetters--
			}
			t.finish(p.b[:p.n], p.start, p.end)
			t.pend[0] = t.pend[1]
			t.pendN = 1
		case t.pendN > 0 && !(near && same) || t.pendN == maxPending:
			t.flush()
		}
		if t.pendN == 1 {
			t.runGapN = copy(t.runGap[:], gap)
		}
		p := &t.pend[t.pendN]
		p.n = uint8(copy(p.b[:], w))
		p.start, p.end = t.wStart, t.wEnd
		t.pendN++
		if isLetter(w) {
			t.pendLetters++
		}
		return
	}
	t.flush()
	t.finish(w, t.wStart, t.wEnd)
}

// oneRune reports whether the word w is one rune.
func oneRune(w []byte) bool {
	if len(w) == 1 {
		return true
	}
	if w[0] < utf8.RuneSelf {
		return false
	}
	_, size := utf8.DecodeRune(w)
	return size == len(w)
}

func isLetter(w []byte) bool {
	if w[0] < utf8.RuneSelf {
		return 'a' <= w[0] && w[0] <= 'z'
	}
	r, _ := utf8.DecodeRune(w)
	return unicode.IsLetter(r)
}

// flush emits the waiting one-character words: as one word when there are
// three or more and at least two are letters, else one by one. A run of
// four or more that starts with "a" or "i" keeps that word apart ("a b o m
// b" is "a bomb").
func (t *tokenizer) flush() {
	n := t.pendN
	if n == 0 {
		return
	}
	t.pendN = 0
	letters := t.pendLetters
	t.pendLetters = 0
	pend := t.pend[:n]
	if n >= 4 && pend[0].n == 1 && (pend[0].b[0] == 'a' || pend[0].b[0] == 'i') {
		t.finish(pend[0].b[:1], pend[0].start, pend[0].end)
		pend = pend[1:]
		letters--
	}
	if len(pend) >= 3 && letters >= 2 {
		w := t.joined[:0]
		for _, p := range pend {
			w = append(w, p.b[:p.n]...)
		}
		t.finish(w, pend[0].start, pend[len(pend)-1].end)
		return
	}
	for i := range pend {
		p := &pend[i]
		t.finish(p.b[:p.n], p.start, p.end)
	}
}

// byteKind sorts the bytes of a word for deleet: letters (a-z and the
// bytes of non-ASCII runes) and digits or '@' '$', which it may decode.
var byteKind = func() (m [256]uint8) {
	for c := range 256 {
		switch {
		case 'a' <= c && c <= 'z' || c >= utf8.RuneSelf:
			m[c] = kindLetter
		case '0' <= c && c <= '9' || c == '@' || c == '$':
			m[c] = kindDigit
		}
	}
	return m
}()

const (
	kindLetter = 1
	kindDigit  = 2
)

// finish normalises the word w (source span [start, end)) and emits its
// features.
func (t *tokenizer) finish(w []byte, start, end int) {
	// Most words are what deleet would return: no letters mixed with
	// digits, '@' or '$' (nothing to decode) and no run of three of one
	// letter (nothing to collapse). One pass checks that and hashes them.
	h := uint32(fnvOffset)
	var kinds uint8
	triple := false
	for i, b := range w {
		h = (h ^ uint32(b)) * fnvPrime
		kinds |= byteKind[b]
		if i >= 2 && b == w[i-1] && b == w[i-2] && 'a' <= b && b <= 'z' {
			triple = true
		}
	}
	if kinds == kindDigit && t.skipNumbers && isNumber(w) {
		return
	}
	nw := w
	var alt []byte
	if kinds == kindLetter|kindDigit || triple {
		t.norm, alt = deleet(t.norm[:0], w)
		nw = t.norm
		h = fnv32(nw)
	}
	if t.words != nil {
		t.words(nw)
		return
	}
	mask := t.mask
	f := t.feats[:0] // never outgrown: maxWordFeatures
	hw := wordHash(h)
	f = append(f, hw&mask)
	if t.hasPrev {
		f = append(f, pairHash(t.prev, h)&mask)
	}
	if alt != nil {
		f = append(f, wordHash(fnv32(alt))&mask)
	}
	t.prev, t.hasPrev = h, true
	if !t.contentSkeleton || len(nw) > maxStopWord || !isStopWord(nw, hw) {
		last, skel, skelN := t.last, t.skel, t.skelN
		for _, b := range nw {
			if b == last {
				continue
			}
			last = b
			skel = skel<<8 | uint32(b)
			if skelN++; skelN >= 4 {
				f = append(f, mix(skel^seedGram)&mask)
			}
		}
		t.last, t.skel, t.skelN = last, skel, skelN
	}
	if t.win != nil {
		t.win.add(start, end, f)
	} else {
		t.emit(start, end, f)
	}
}

// isNumber reports whether w is ASCII digits only.
func isNumber(w []byte) bool {
	for _, b := range w {
		if b < '0' || b > '9' {
			return false
		}
	}
	return true
}

// units are the suffixes after a number that are not leetspeak.
var units = map[string]bool{
	"st": true, "nd": true, "rd": true, "th": true, "s": true, "k": true, "m": true, "b": true, "mg": true,
	"g": true, "kg": true, "km": true, "cm": true, "mm": true, "ml": true, "l": true, "x": true, "d": true,
	"h": true, "am": true, "pm": true, "gb": true, "mb": true, "tb": true, "kb": true, "ft": true, "lb": true,
	"lbs": true, "yo": true, "yr": true, "yrs": true, "min": true, "sec": true, "hr": true, "hrs": true,
	"px": true, "pt": true, "fps": true, "hz": true, "ghz": true, "mhz": true, "v": true, "w": true, "kw": true,
	"mph": true, "kph": true, "bn": true, "p": true, "i": true, "c": true, "ms": true,
	"ns": true, "us": true, "gbps": true, "mbps": true, "kbps": true, "kwh": true, "mah": true, "oz": true,
	"in": true, "ish": true, "ly": true,
}

// leetOf maps a leetspeak character to the letter it stands for, or 0.
var leetOf = [256]byte{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's'}

// deleet appends to dst the word w with leetspeak undone and runs of three
// or more of one letter collapsed. When w is letters followed by digits
// ("python3", "ki11"), it is kept as written and alt is its decoded form.
func deleet(dst, w []byte) (out, alt []byte) {
	letters, digits, symbols := 0, 0, 0
	for _, b := range w {
		switch {
		case 'a' <= b && b <= 'z' || b >= utf8.RuneSelf:
			letters++
		case '0' <= b && b <= '9':
			digits++
		case b == '@' || b == '$':
			symbols++
		}
	}
	decode := letters > 0 && (digits > 0 || symbols > 0)
	if decode && symbols == 0 {
		// a number with an ordinal or unit suffix: "1st", "10mg", "1990s", "3d"
		i := 0
		for i < len(w) && '0' <= w[i] && w[i] <= '9' {
			i++
		}
		if i > 0 && units[string(w[i:])] {
			decode = false
		}
		// letters then digits: "python3", "ipv4", "ki11"
		j := len(w)
		for j > 0 && '0' <= w[j-1] && w[j-1] <= '9' {
			j--
		}
		if j < len(w) && j > 0 && digits == len(w)-j {
			dst = collapse(dst, w, false)
			alt = collapse(dst[len(dst):len(dst)], w, true)
			return dst[:len(dst)], alt
		}
	}
	return collapse(dst, w, decode), nil
}

// collapse appends w to dst, decoding leetspeak when decode is set and
// collapsing runs of three or more of one letter into one.
func collapse(dst, w []byte, decode bool) []byte {
	start := len(dst)
	for i := 0; i < len(w); i++ {
		b := w[i]
		if decode && leetOf[b] != 0 {
			if b == '1' && (i+1 < len(w) && w[i+1] == '1' || i > 0 && w[i-1] == '1') {
				b = 'l' // "a11" is "all"
			} else {
				b = leetOf[b]
			}
		}
		if 'a' <= b && b <= 'z' {
			if n := len(dst); n-start >= 2 && dst[n-1] == b && dst[n-2] == b {
				// a third in a row: the run collapses to one letter
				dst = dst[:n-1]
				for i+1 < len(w) && nextIs(w[i+1], b, decode) {
					i++
				}
				continue
			}
		}
		dst = append(dst, b)
	}
	return dst
}

func nextIs(c, b byte, decode bool) bool {
	if decode && leetOf[c] != 0 {
		c = leetOf[c]
	}
	return c == b
}

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func fnv32(b []byte) uint32 {
	h := uint32(fnvOffset)
	for _, c := range b {
		h ^= uint32(c)
		h *= fnvPrime
	}
	return h
}

// mix is murmur3's 32-bit finaliser.
func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
