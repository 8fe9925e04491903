package copyright

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Words are what the index hashes. A text is folded and cut into words as
// follows, the same way for the protected documents and for screened text:
//
//   - Unicode NFKC (fullwidth letters, ligatures, mathematical and circled
//     letters and the like become their plain forms), then lower case, then
//     the most common Cyrillic and Greek look-alikes of Latin letters become
//     Latin letters;
//   - a word is a run of letters, digits and combining marks; every other
//     character (spaces, line breaks, punctuation, quotes, dashes, symbols)
//     separates words, so all whitespace and punctuation counts the same;
//   - apostrophes of every kind (' ` ‘ ’ ʼ ′), invisible format characters
//     (zero-width, bidi controls, soft hyphen, tag characters), variation
//     selectors and invalid UTF-8 bytes are dropped without separating words,
//     so "don't", "don’t" and "do\u200bn't" are the one word "dont";
//   - in scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao,
//     Khmer, Myanmar) every character is a word of its own.
//
// A word is identified by a 64-bit hash of its folded UTF-8 bytes (FNV-1a,
// then a finaliser so that every bit depends on every byte), and keeps the
// byte span in the source that it came from.

// word is one word of a screened text: the hash of its folded form and the
// byte span [start, end) of the source it was folded from.
type word struct {
	hash       uint64
	start, end int32
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// byte classes of the ASCII fast path.
const (
	sep    = iota // separates words
	letter        // part of a word (lower-cased by asciiFold)
	joiner        // dropped without separating words
)

var (
	asciiClass [128]uint8
	asciiFold  [128]byte
)

func init() {
	for c := range 128 {
		asciiFold[c] = byte(c)
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			asciiClass[c] = letter
		case 'A' <= c && c <= 'Z':
			asciiClass[c] = letter
			asciiFold[c] = byte(c) + 'a' - 'A'
		case c == '\'' || c == '`':
			asciiClass[c] = joiner
		}
	}
}

// mix is the 64-bit finaliser of MurmurHash3: every output bit depends on
// every input bit.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// scanner cuts texts into words. Its zero value is ready to use; it holds
// the NFKC iterator so that the iterator's buffers are reused.
type scanner struct {
	it norm.Iter
}

// cursor is the word being read: its hash so far and its source span.
type cursor struct {
	in     bool
	h      uint64
	ws, we int
}

func (c *cursor) add(b byte, start, end int) {
	if !c.in {
		c.in, c.h, c.ws = true, fnvOffset, start
	}
	c.h = (c.h ^ uint64(b)) * fnvPrime
	c.we = end
}

func (c *cursor) flush(dst []word) []word {
	if c.in {
		c.in = false
		dst = append(dst, word{mix(c.h), int32(c.ws), int32(c.we)})
	}
	return dst
}

// appendWords appends the words of s to dst, in order, with their hashes
// and byte spans in s. Spans are int32: s must be shorter than 2 GiB.
func (sc *scanner) appendWords(dst []word, s string) []word {
	// The word being read, in locals on the fast path.
	in, h, ws, we := false, uint64(0), 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		// ASCII followed by ASCII (or the end) is already in NFKC and
		// cannot combine with what follows: the common case.
		if c < utf8.RuneSelf && (i+1 == len(s) || s[i+1] < utf8.RuneSelf) {
			switch asciiClass[c] {
			case letter:
				if !in {
					in, h, ws = true, fnvOffset, i
				}
				h = (h ^ uint64(asciiFold[c])) * fnvPrime
				we = i + 1
			case sep:
				if in {
					in = false
					dst = append(dst, word{mix(h), int32(ws), int32(we)})
				}
			}
			i++
			continue
		}
		// Otherwise normalise the region up to the next ASCII character
		// that is followed by ASCII: such a character is a starter that
		// nothing composes with, so NFKC of the region does not depend on
		// what lies outside it.
		j := i + 1
		for j < len(s) && !(s[j] < utf8.RuneSelf && (j+1 == len(s) || s[j+1] < utf8.RuneSelf)) {
			j++
		}
		cur := cursor{in, h, ws, we}
		dst = sc.region(dst, &cur, s, i, j)
		in, h, ws, we = cur.in, cur.h, cur.ws, cur.we
		i = j
	}
	if in {
		dst = append(dst, word{mix(h), int32(ws), int32(we)})
	}
	return dst
}

// region folds s[i:j] through NFKC segment by segment, continuing the word
// in cur. Each output rune is attributed to the source bytes of its
// segment; a segment that consumes no source yet (the first runes of a
// decomposition, as in "ﬁ" → "f", "i") is attributed to the source unit at
// its position.
func (sc *scanner) region(dst []word, cur *cursor, s string, i, j int) []word {
	sub := s[i:j]
	sc.it.InitString(norm.NFKC, sub)
	var buf [utf8.UTFMax]byte
	for !sc.it.Done() {
		p0 := sc.it.Pos()
		seg := sc.it.Next()
		p1 := sc.it.Pos()
		if p1 <= p0 && p0 < len(sub) {
			_, w := utf8.DecodeRuneInString(sub[p0:])
			p1 = p0 + w
		}
		start, end := i+p0, i+p1
		for k := 0; k < len(seg); {
			r, w := utf8.DecodeRune(seg[k:])
			k += w
			if r == utf8.RuneError && w == 1 {
				continue // invalid byte: dropped
			}
			switch class, f := classify(r); class {
			case sep:
				dst = cur.flush(dst)
			case letter, single:
				if class == single {
					dst = cur.flush(dst)
				}
				for _, b := range buf[:utf8.EncodeRune(buf[:], f)] {
					cur.add(b, start, end)
				}
				if class == single {
					dst = cur.flush(dst)
				}
			}
		}
	}
	return dst
}

// single marks a character that is a word of its own.
const single = 3

// classify returns the class of a rune in NFKC and, for letters, the rune
// it is hashed as.
func classify(r rune) (uint8, rune) {
	if r < utf8.RuneSelf {
		return asciiClass[r], rune(asciiFold[r])
	}
	switch {
	case r == 0x2018 || r == 0x2019 || r == 0x02BC || r == 0x2032 || r == 0x02B9 || r == 0x02BB:
		return joiner, 0 // apostrophes
	case r == 0x034F || r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF:
		return joiner, 0 // combining grapheme joiner, variation selectors
	case unicode.Is(unicode.Cf, r):
		return joiner, 0 // invisible format characters
	case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r):
		l := unicode.ToLower(r)
		if m, ok := lookalike[l]; ok {
			return letter, m
		}
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) {
			return single, l
		}
		return letter, l
	}
	return sep, 0
}

// lookalike maps lower-case Cyrillic and Greek letters that render like
// Latin letters to those letters, so that swapping a few letters for look-
// alikes does not hide a copy. Both sides of a comparison are folded the
// same way, so genuine Cyrillic or Greek text still matches itself.
var lookalike = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c',
	'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h',
	// Greek
	'ο': 'o', 'α': 'a', 'β': 'b', 'ε': 'e', 'ζ': 'z', 'η': 'h', 'ι': 'i', 'κ': 'k', 'μ': 'm', 'ν': 'v',
	'ρ': 'p', 'τ': 't', 'υ': 'y', 'χ': 'x',
}
