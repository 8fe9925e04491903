package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// Names in lower case. People who type in lower case write their names so
// too ("my name is lena andersson", "call me roberto"), and every other
// name candidate opens with a capital. Without one, only the strongest
// cues open a name: "name is", "name's", "name:" and "call me", all of
// which end in "me", the one string searched for. After such a cue, up to
// maxRun lower-case words, each a given name or surname of the gazetteer
// and no English word, are a name: "name_cue" at lowerCueScore. A word that
// is also an English word ends the run ("my name is lena and i lost my
// card" is "lena"), and an unknown first word leaves nothing ("my name is
// not important").

// lowerCueScore is the score of a lower-case name after a cue: below the
// 0.85 of a capitalised one, since the gazetteer alone vouches for it.
const lowerCueScore = 0.75

// lowerCueNames adds to em the lower-case names that follow a cue in text.
func lowerCueNames(text string, g *wordtab.Table[uint8], em *emitter) {
	for i := 0; ; {
		j := strings.Index(text[i:], "me")
		if j < 0 {
			return
		}
		j += i
		i = j + 2
		// Most "me" end other words ("some", "time"): only "name" and
		// "call me" have an 'a' or a space before it.
		if j == 0 || text[j-1]|0x20 != 'a' && text[j-1] != ' ' {
			continue
		}
		if at := lowerCueEnd(text, j); at > 0 {
			if end := lowerNameRun(text, g, at); end > at {
				em.add(lowerCueScore, at, end, "name_cue")
				i = end
			}
		}
	}
}

// lowerCueEnd returns where the name after a cue would start, when the
// "me" at j ends the word "name" followed by " is ", "'s " or ":", or the
// words "call me" followed by a space; else 0. Spaces and tabs after the
// cue are skipped.
func lowerCueEnd(text string, j int) int {
	var rest string
	switch {
	case j >= 2 && strings.EqualFold(text[j-2:j], "na") && (j == 2 || !isAlnum(text[j-3])):
		rest = text[j+2:]
		switch {
		case strings.HasPrefix(rest, " is "):
			rest = rest[len(" is "):]
		case strings.HasPrefix(rest, "'s "):
			rest = rest[len("'s "):]
		case strings.HasPrefix(rest, "\u2019s "):
			rest = rest[len("\u2019s "):]
		case strings.HasPrefix(rest, ":"):
			rest = rest[1:]
		default:
			return 0
		}
	case j >= 5 && strings.EqualFold(text[j-5:j], "call ") && (j == 5 || !isAlnum(text[j-6])):
		rest = text[j+2:]
		if !strings.HasPrefix(rest, " ") {
			return 0
		}
	default:
		return 0
	}
	rest = strings.TrimLeft(rest, " \t")
	return len(text) - len(rest)
}

// lowerNameRun returns the end of the run of lower-case name words that
// starts at i (words one space apart, at most maxRun), or i when the first
// word is none.
func lowerNameRun(text string, g *wordtab.Table[uint8], i int) int {
	end := i
	for k := 0; k < maxRun; k++ {
		e := lowerWordEnd(text, i)
		if e == i {
			break
		}
		if e < len(text) && (isAlnum(text[e]) || text[e] == '_' || text[e] == '@') {
			break // "john2", "anna_b": a user name, not a name
		}
		if f := lookup(g, text[i:e]); f&(fFirst|fLast) == 0 || f&fCommon != 0 {
			break
		}
		end = e
		if !strings.HasPrefix(text[e:], " ") {
			break // "roberto's", "lena, ...", the end of the text
		}
		i = e + 1
	}
	return end
}

// lowerWordEnd returns the end of the word of lower-case letters (any
// script, inner hyphens allowed) that starts at i, or i when none does.
func lowerWordEnd(text string, i int) int {
	e := i
	for e < len(text) {
		c := text[e]
		switch {
		case 'a' <= c && c <= 'z':
			e++
		case c == '-' && e > i && e+1 < len(text) && 'a' <= text[e+1] && text[e+1] <= 'z':
			e++
		case c >= utf8.RuneSelf:
			r, w := utf8.DecodeRuneInString(text[e:])
			if !unicode.IsLower(r) {
				return e
			}
			e += w
		default:
			return e
		}
	}
	return e
}
