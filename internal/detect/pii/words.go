package pii

import (
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// Word kinds.
const (
	kOther   = iota
	kNum     // digits, possibly with a letter or ordinal suffix: 12, 12B, 5th
	kCap     // first letter upper case, some lower case: Smith, McDonald, O'Brien
	kAllCaps // two or more letters, all upper case: LONDON
	kInitial // one upper-case letter: J (often followed by '.')
	kLower   // first letter lower case
)

// Gap flags: what lies between a word and the one before it.
const (
	gNewline  = 1 << iota // a line break
	gComma                // ',' or ';'
	gSentence             // '.', '!' or '?' ending a sentence, or ':'
	gPunct                // other punctuation: quotes, brackets, dashes, ...
	gStart                // the word is the first of the text
	gBlank                // an empty line
)

// token is one word of the text.
//
// Its fields are grouped so that it has no more than four at each level
// (and 32 bytes): the compiler then keeps a token in registers, field by
// field, rather than copying it through memory, where reading back a token
// just written field by field in wide moves stalls the processor (store
// forwarding fails), at every token of the scans.
type token struct {
	start, end int // the word's bytes, without a trailing '.'
	tokenInfo
}

// tokenInfo is what a token tells of its word.
type tokenInfo struct {
	kind   uint8 // kOther...
	gap    uint8 // gap flags before the word
	dot    bool  // the word is followed directly by '.'
	digits int   // number of leading digits (kNum)
}

// maxWord bounds a word: longer runs of letters are split, so that no
// lookup ever reads more than this many bytes.
const maxWord = 64

// tokClass classifies the ASCII bytes for nextToken's fast path, one load
// per byte instead of a chain of branches. A gap byte holds the gap flag it
// adds (0 for a blank); tWord marks a letter or digit and tHigh the bytes
// of non-ASCII characters, which take the rune-by-rune path.
const (
	tWord = 1 << 6
	tHigh = 1 << 7
)

var tokClass = func() (t [256]uint8) {
	for c := range t {
		b := byte(c)
		switch {
		case b >= utf8.RuneSelf:
			t[c] = tHigh
		case '0' <= b && b <= '9', 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z':
			t[c] = tWord
		case b == '\n':
			t[c] = gNewline
		case b == ' ', b == '\t', b == '\r':
			t[c] = 0
		case b == ',', b == ';':
			t[c] = gComma
		case b == '.', b == '!', b == '?', b == ':':
			t[c] = gSentence
		default:
			t[c] = gPunct
		}
	}
	return t
}()

// wordCount counts the ASCII letters and digits of a word in one addition
// per byte: digits in bits 0-7, capitals in 8-15, small letters in 16-23
// and letters in 24-31 (a word has fewer than 256 bytes: maxWord).
var wordCount = func() (t [256]uint32) {
	for c := range t {
		switch b := byte(c); {
		case '0' <= b && b <= '9':
			t[c] = 1
		case 'A' <= b && b <= 'Z':
			t[c] = 1<<8 | 1<<24
		case 'a' <= b && b <= 'z':
			t[c] = 1<<16 | 1<<24
		}
	}
	return t
}()

// nextToken returns the first word at or after i and the offset where the
// scan goes on; ok is false at the end of the text. Words are runs of
// letters and digits, with inner apostrophes and hyphens (O'Brien,
// Jean-Luc); the text is walked rune by rune as utf8.DecodeRuneInString
// does, so offsets always fall on its boundaries.
//
// ASCII is read through tokClass and wordCount; the first non-ASCII byte
// hands the rest of the gap or word to the rune-by-rune loops, which carry
// on with the same state. refNextToken (in the tests) is the plain
// rune-by-rune definition this must agree with.
func nextToken(text string, i int) (t token, next int, ok bool) {
	i, gap := skipGap(text, i)
	if i >= len(text) {
		return token{}, i, false
	}
	t, next = wordAt(text, i, gap)
	return t, next, true
}

// wordAt is nextToken for the word that starts at i (i < len(text)), a
// byte where a scan of the gap before it stopped, with that gap's flags.
func wordAt(text string, i int, gap uint8) (t token, next int) {
	t = token{start: i, tokenInfo: tokenInfo{gap: gap}}
	// Most words are ASCII letters and digits ended, within eight bytes,
	// by an ASCII byte that cannot join them: one load decides them, and
	// the class masks give the kind without counting.
	if i+8 <= len(text) {
		d, u, l := asciiClasses(swar.Load64(text, i))
		if stop := ^(d | u | l) & swar.Lanes8; stop != 0 {
			n := bits.TrailingZeros64(stop) >> 3
			if c := text[i+n]; n > 0 && c < utf8.RuneSelf && c != '\'' && c != '-' {
				keep := uint64(1)<<(8*n) - 1
				d, u, l = d&keep, u&keep, l&keep
				t.end, t.dot = i+n, c == '.'
				t.digits = bits.TrailingZeros64(^d&swar.Lanes8) >> 3
				first := text[i]
				switch {
				case t.digits > 0:
					t.kind = kNum
				case d != 0:
					// kOther
				case l == 0 && u != 0 && u&(u-1) == 0:
					t.kind = kInitial // one letter, a capital
				case isUpperASCII(first) && l != 0:
					t.kind = kCap
				case l == 0 && u&(u-1) != 0:
					t.kind = kAllCaps // two capitals or more, nothing else
				case 'a' <= first && first <= 'z':
					t.kind = kLower
				}
				return t, i + n
			}
		}
	}
	lim := min(len(text), i+maxWord)
	// The word, eight bytes at a time while eight are left: the class
	// masks of a load give the length of the ASCII letters and digits in
	// it and their counts, without a branch per byte.
	var digits, upper, lower int
	lead := true // every byte so far is a digit
	for i < lim {
		if i+8 <= len(text) {
			d, u, l := asciiClasses(swar.Load64(text, i))
			n := 8 // the letters and digits from i
			if stop := ^(d | u | l) & swar.Lanes8; stop != 0 {
				n = bits.TrailingZeros64(stop) >> 3
			}
			n = min(n, lim-i)
			keep := uint64(1)<<(8*n) - 1 // all bytes for n == 8: Go shifts 1<<64 to 0
			digits += bits.OnesCount64(d & keep)
			upper += bits.OnesCount64(u & keep)
			lower += bits.OnesCount64(l & keep)
			if lead {
				ld := bits.TrailingZeros64(^d&swar.Lanes8) >> 3
				if ld < n {
					t.digits += ld
					lead = false
				} else {
					t.digits += n
				}
			}
			i += n
			if n == 8 {
				continue
			}
		} else if k := wordCount[text[i]]; k != 0 {
			// The last few bytes of the text, one at a time.
			switch {
			case k == 1:
				digits++
				if lead {
					t.digits++
				}
			case k&(1<<8) != 0:
				upper, lead = upper+1, false
			default:
				lower, lead = lower+1, false
			}
			i++
			continue
		}
		if i >= lim {
			break
		}
		// i ends the ASCII letters and digits: a non-ASCII character,
		// an inner mark or the end of the word.
		if text[i] >= utf8.RuneSelf {
			return wordRunes(text, t, i, digits, upper, lower, upper+lower, lead)
		}
		if !innerMark(text, t.start, i) {
			break
		}
		lead = false
		i++
	}
	letters := upper + lower
	t.end = i
	t.dot = i < len(text) && text[i] == '.'
	first := text[t.start]
	switch {
	case t.digits > 0:
		t.kind = kNum
	case digits > 0:
		// kOther
	case letters == 1 && upper == 1:
		t.kind = kInitial
	case isUpperASCII(first) && lower > 0:
		t.kind = kCap
	case letters > 1 && upper == letters:
		t.kind = kAllCaps
	case 'a' <= first && first <= 'z':
		t.kind = kLower
	}
	return t, i
}

// asciiClasses returns the masks (see swar) of the bytes of x that are
// ASCII digits, capitals and small letters. They are swar.Range8 of each,
// written out to share set: three calls would cost too much for the
// compiler to inline asciiClasses into wordAt.
func asciiClasses(x uint64) (digit, upper, lower uint64) {
	const l1 = swar.Lanes1
	set := x | swar.Lanes8
	digit = (set - '0'*l1) &^ (set - ('9'+1)*l1) &^ x & swar.Lanes8
	upper = (set - 'A'*l1) &^ (set - ('Z'+1)*l1) &^ x & swar.Lanes8
	lower = (set - 'a'*l1) &^ (set - ('z'+1)*l1) &^ x & swar.Lanes8
	return digit, upper, lower
}

// spaces8 is eight ASCII spaces as swar.Load64 reads them.
const spaces8 = ' ' * swar.Lanes1

// skipGap returns the start of the first word at or after i (len(text)
// when there is none) and the gap flags of what lies before it, from i on
// (gStart when i is 0).
func skipGap(text string, i int) (int, uint8) {
	var gap uint8
	if i == 0 {
		gap |= gStart
	}
	newlines := 0
	for i < len(text) {
		// Runs of spaces (the padding of tables and code) add no flag:
		// eight at a time.
		if text[i] == ' ' {
			for i+8 <= len(text) && swar.Load64(text, i) == spaces8 {
				i += 8
			}
			if i == len(text) {
				break
			}
		}
		c := tokClass[text[i]]
		if c&tWord != 0 {
			break
		}
		if c&tHigh == 0 {
			if c == gNewline {
				if newlines++; newlines > 1 {
					gap |= gBlank
				}
			}
			gap |= c
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			break
		}
		if r == '\u2028' || r == '\u2029' {
			gap |= gNewline
		} else if !unicode.IsSpace(r) {
			gap |= gPunct
		}
		i += w
	}
	return i, gap
}

// wordRunes finishes the word t that nextToken started, from i on, rune by
// rune, with the counts so far; lead is whether every character before i
// was a digit.
func wordRunes(text string, t token, i, digits, upper, lower, letters int, lead bool) (token, int) {
	for i < len(text) && i-t.start < maxWord {
		b := text[i]
		if b < utf8.RuneSelf {
			switch k := class[b]; {
			case k&cDigit != 0:
				digits++
				if lead {
					t.digits++
				}
			case k&(cUpper|cLower) != 0:
				lead = false
				letters++
				if k&cUpper != 0 {
					upper++
				} else {
					lower++
				}
			case innerMark(text, t.start, i):
				lead = false
			default:
				goto end
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsDigit(r):
			digits++
			if lead {
				t.digits++
			}
		case unicode.IsLetter(r):
			lead = false
			letters++
			switch {
			case unicode.IsUpper(r):
				upper++
			case unicode.IsLower(r):
				lower++
			}
		case innerQuote(text, t.start, i, r, w):
			lead = false
		default:
			goto end
		}
		i += w
	}
end:
	t.end = i
	t.dot = i < len(text) && text[i] == '.'
	// With no digit at all, the word opens with a letter.
	var first rune
	if digits == 0 && letters > 0 {
		first, _ = utf8.DecodeRuneInString(text[t.start:])
	}
	switch {
	case digits > 0 && t.digits > 0:
		t.kind = kNum
	case letters == 1 && upper == 1 && digits == 0:
		t.kind = kInitial
	case letters > 0 && digits == 0 && unicode.IsUpper(first) && lower > 0:
		t.kind = kCap
	case letters > 1 && digits == 0 && upper == letters:
		t.kind = kAllCaps
	case letters > 0 && digits == 0 && unicode.IsLower(first):
		t.kind = kLower
	}
	return t, i
}

// innerMark reports whether the ASCII byte at i, inside the word that
// starts at start, is an apostrophe or hyphen that the word goes on after
// (O'Brien, Jean-Luc).
func innerMark(text string, start, i int) bool {
	b := text[i]
	return (b == '\'' || b == '-') && i > start && i+1 < len(text) && (isAlnum(text[i+1]) || text[i+1] >= utf8.RuneSelf)
}

// innerQuote reports whether the rune r of w bytes at i, inside the word
// that starts at start, is a typographic apostrophe the word goes on after
// (O’Brien).
func innerQuote(text string, start, i int, r rune, w int) bool {
	return r == '\u2019' && i > start && i+w < len(text) && isAlpha(text[i+w])
}

// wordEnd returns where nextToken ends the word that starts at start,
// without classifying it.
func wordEnd(text string, start int) int {
	i := start
	for i < len(text) && i-start < maxWord {
		b := text[i]
		if b < utf8.RuneSelf {
			if isAlnum(b) || innerMark(text, start, i) {
				i++
				continue
			}
			return i
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsDigit(r) && !unicode.IsLetter(r) && !innerQuote(text, start, i, r, w) {
			return i
		}
		i += w
	}
	return i
}

// skipUncapitalised steps over the words from i on that open with an ASCII
// lower-case letter or digit, and returns the end of the last of them, j
// (i when the next word opens otherwise). i must be 0 or the end of a
// token, so that nextToken at j finds the next word, and its gap, as a scan
// of every token would. When that word opens with an ASCII capital right
// after ASCII gap bytes, it also returns the word's start w and the gap
// flags nextToken at j would give it, so that wordAt(text, w, gap) reads
// the word without scanning the gap again; otherwise w is -1.
//
// It looks for the next capital or non-ASCII byte eight bytes at a time;
// everything before it is lower-case ASCII words and ASCII gaps. When that
// byte follows a gap, the last word before the gap ends the skip; when it
// is inside a word (iPhone), the words up to it are stepped over one by one.
func skipUncapitalised(text string, i int) (j, w int, gap uint8) {
	for {
		u := indexUpperOrHigh(text, i)
		if u == len(text) {
			return u, -1, 0 // no capital left: no name either
		}
		// The common gap, one space after a word, adds no flag.
		if u-2 >= i && text[u-1] == ' ' && isAlnum(text[u-2]) && text[u] < utf8.RuneSelf {
			return u - 1, u, 0
		}
		// Back over the gap before u, gathering its flags as skipGap
		// would (every byte of it is ASCII and no word byte).
		j := u
		newlines := 0
		for j > i {
			if c := text[j-1]; isAlnum(c) || (c == '\'' || c == '-') && !gapByte(text, i, j-1) {
				break
			}
			j--
			c := tokClass[text[j]]
			gap |= c
			if c == gNewline {
				newlines++
			}
			// Spaces are gap bytes that add no flag: eight at a time.
			for j-8 >= i && swar.Load64(text, j-8) == spaces8 {
				j -= 8
			}
		}
		if j < u {
			if text[u] >= utf8.RuneSelf {
				return j, -1, 0 // maybe a quote, not a word
			}
			if newlines > 1 {
				gap |= gBlank
			}
			if j == 0 {
				gap |= gStart
			}
			return j, u, gap
		}
		if u == i {
			return j, -1, 0
		}
		// u is inside a word: step over the words up to and past it.
		for i <= u {
			w := i
			for w < len(text) && text[w] < utf8.RuneSelf && !isAlnum(text[w]) {
				w++
			}
			if w == len(text) || class[text[w]]&(cLower|cDigit) == 0 {
				return i, -1, 0
			}
			i = wordEnd(text, w)
		}
	}
}

// gapByte reports whether the ASCII byte at k, in a stretch of ASCII text
// that starts at a token end i, lies between words rather than in one.
func gapByte(text string, i, k int) bool {
	c := text[k]
	if isAlnum(c) {
		return false
	}
	if c == '\'' || c == '-' {
		// Inside a word when the word runs on through it (innerMark).
		return k == i || !isAlnum(text[k-1]) || k+1 >= len(text) || !isAlnum(text[k+1]) && text[k+1] < utf8.RuneSelf
	}
	return true
}

// ring keeps the last few tokens.
type ring struct {
	buf [8]token
	n   int // tokens pushed in all
}

func (r *ring) push(t token) { r.buf[r.n%len(r.buf)] = t; r.n++ }

// back returns the token k places back (0 is the last pushed).
func (r *ring) back(k int) (token, bool) {
	if k >= r.n || k >= len(r.buf) {
		return token{}, false
	}
	return r.buf[(r.n-1-k)%len(r.buf)], true
}

// lowerKey writes the ASCII-lowercased word into buf for a map lookup; words
// with non-ASCII letters are lowercased rune by rune.
func lowerKey(buf []byte, w string) []byte {
	buf = buf[:0]
	for i := 0; i < len(w); {
		b := w[i]
		if b < utf8.RuneSelf {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			buf = append(buf, b)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(w[i:])
		if r == utf8.RuneError && n == 1 {
			buf = append(buf, b)
		} else {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		}
		i += n
	}
	return buf
}
