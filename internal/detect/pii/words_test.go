package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// refNextToken is nextToken as first written, rune by rune with a branch
// per byte: the definition the table-driven nextToken must agree with.
func refNextToken(text string, i int) (t token, next int, ok bool) {
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
	t = token{start: i, tokenInfo: tokenInfo{gap: gap}}
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

// checkTokens fails t unless nextToken agrees with refNextToken at every
// offset of s.
func checkTokens(t *testing.T, s string) {
	t.Helper()
	for i := 0; i <= len(s); i++ {
		got, gn, gok := nextToken(s, i)
		want, wn, wok := refNextToken(s, i)
		if got != want || gn != wn || gok != wok {
			t.Fatalf("nextToken(%q, %d) = %+v, %d, %v; want %+v, %d, %v", s, i, got, gn, gok, want, wn, wok)
		}
	}
}

// TestNextTokenMatchesReference runs nextToken and its reference on every
// offset of words in every case mix the classifier distinguishes, on long
// words (maxWord) and on random strings of the bytes that matter.
func TestNextTokenMatchesReference(t *testing.T) {
	for _, s := range []string{
		"", " ", "Smith", "smith", "SMITH", "J.", "J", "5th", "12B", "2021-03", "O'Brien", "Jean-Luc", "l'Oréal",
		"O\u2019Brien", "1\u0663", "\u0663x", "Émile", "éMILE", "ÉÉ", "é", "İstanbul", "日本", "a1", "A1", "1a",
		"x\u2028Y", "x\u2029\nY", "\n\n A", "\r\n\r\nB", "end. Next", "a, b; c: d! e? f", "(x) [y] \"z\"",
		"'quoted' -dash- trail-", "don't", "rock'n'roll", "\xff\xc3(\xe2\x80", "ab\xffcd", "A\xc3", "1\xe2\x80",
		strings.Repeat("a", 70), strings.Repeat("7", 70), strings.Repeat("a", 63) + "é" + "bc", strings.Repeat("1", 62) + "\u0663" + "1",
		"Mr. Smith's 42nd St., Apt. 4B\n\n> Zürich 8001",
	} {
		checkTokens(t, s)
		checkTokens(t, s+" and some more text") // wordAt's one-load path
	}
	pieces := []string{"a", "Z", "7", " ", "\n", "\t", ".", ",", ";", ":", "'", "-", "\u2019", "é", "É", "\u0663", "\u2028", "日", "\xff", "\xc3", "_", "#", "Mc", "o"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		checkTokens(t, b.String())
	}
}

func FuzzNextToken(f *testing.F) {
	f.Add("Mr. O'Brien-Smith, 5th Ave\n\nJean\u2019s 12B")
	f.Add("\xff1\u0663a" + strings.Repeat("b", 64))
	f.Fuzz(checkTokens)
}
