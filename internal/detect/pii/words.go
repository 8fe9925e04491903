package pii

import (
	"unicode"
	"unicode/utf8"
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
type token struct {
	start, end int   // the word's bytes, without a trailing '.'
	kind       uint8 // kOther...
	gap        uint8 // gap flags before the word
	dot        bool  // the word is followed directly by '.'
	digits     int   // number of leading digits (kNum)
}

// maxWord bounds a word: longer runs of letters are split, so that no
// lookup ever reads more than this many bytes.
const maxWord = 64

// nextToken returns the first word at or after i and the offset where the
// scan goes on; ok is false at the end of the text. Words are runs of
// letters and digits, with inner apostrophes and hyphens (O'Brien,
// Jean-Luc); the text is walked rune by rune as utf8.DecodeRuneInString
// does, so offsets always fall on its boundaries.
func nextToken(text string, i int) (t token, next int, ok bool) {
	var gap uint8
	if i == 0 {
		gap |= gStart
	}
	newlines := 0
	// Skip to the start of a word, noting the gap.
	for i < len(text) {
		b := text[i]
		if b < utf8.RuneSelf {
			if isAlnum(b) {
				break
			}
			switch b {
			case '\n':
				gap |= gNewline
				newlines++
				if newlines > 1 {
					gap |= gBlank
				}
			case ' ', '\t', '\r':
			case ',', ';':
				gap |= gComma
			case '.', '!', '?', ':':
				gap |= gSentence
			default:
				gap |= gPunct
			}
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
	if i >= len(text) {
		return token{}, i, false
	}
	t = token{start: i, gap: gap}
	var first rune
	upper, lower, letters, digits := 0, 0, 0, 0
	leadDigits := true
	for i < len(text) && i-t.start < maxWord {
		b := text[i]
		if b < utf8.RuneSelf {
			// ASCII, the common case, by table.
			switch k := class[b]; {
			case k&cDigit != 0:
				digits++
				if leadDigits {
					t.digits++
				}
			case k&(cUpper|cLower) != 0:
				leadDigits = false
				letters++
				if letters == 1 && digits == 0 {
					first = rune(b)
				}
				if k&cUpper != 0 {
					upper++
				} else {
					lower++
				}
			case innerMark(text, t.start, i):
				leadDigits = false
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
			if leadDigits {
				t.digits++
			}
		case unicode.IsLetter(r):
			leadDigits = false
			letters++
			if letters == 1 && digits == 0 {
				first = r
			}
			switch {
			case unicode.IsUpper(r):
				upper++
			case unicode.IsLower(r):
				lower++
			}
		case innerQuote(text, t.start, i, r, w):
			leadDigits = false
		default:
			goto end
		}
		i += w
	}
end:
	t.end = i
	if i < len(text) && text[i] == '.' {
		t.dot = true
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
	return t, i, true
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
// lower-case letter or digit, and returns the end of the last of them (i
// when the next word opens otherwise). i must be 0 or the end of a token,
// so that nextToken at the result finds the next word, and its gap, as a
// scan of every token would.
//
// It looks for the next capital or non-ASCII byte eight bytes at a time;
// everything before it is lower-case ASCII words and ASCII gaps. When that
// byte follows a gap, the last word before the gap ends the skip; when it
// is inside a word (iPhone), the words up to it are stepped over one by one.
func skipUncapitalised(text string, i int) int {
	for {
		u := indexUpperOrHigh(text, i)
		if u == len(text) {
			return u // no capital left: no name either
		}
		j := u
		for j > i && gapByte(text, i, j-1) {
			j--
		}
		if j < u || u == i {
			return j
		}
		// u is inside a word: step over the words up to and past it.
		for i <= u {
			w := i
			for w < len(text) && text[w] < utf8.RuneSelf && !isAlnum(text[w]) {
				w++
			}
			if w == len(text) || class[text[w]]&(cLower|cDigit) == 0 {
				return i
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
