package refusal

import (
	"strings"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/textnorm"
)

// maxScan bounds how much of a response is read, in bytes. Refusals are
// stated in the first sentences; past this, more text only says the
// response goes on, which maxScan bytes already say.
const maxScan = 16 << 10

// token is one word of folded text, or one part of a contraction spelled
// out ("can't" gives "can" and "not", both with the span of "can't").
type token struct {
	w          string // folded word
	start, end int    // span in the folded text
	sent       int    // index of its sentence
	punct      bool   // punctuation follows the word (only on a word's last part)
	quoted     bool   // inside double quotes
}

// sentence is one sentence or line of folded text.
type sentence struct {
	start, end int  // span in the folded text
	first, lim int  // tokens[first:lim]
	lead       int  // index of the first token past a list marker or "first,"
	item       bool // a list item: the line opens with "1.", "-", "*" or "•"
	question   bool // ends with '?'
}

// doc is a folded, tokenised text.
type doc struct {
	text   textnorm.Text
	norm   string // text.Norm as a string; tokens point into it
	tokens []token
	sents  []sentence
	code   bool // holds a code fence
}

// reset folds and tokenises src, at most maxScan bytes of it.
func (d *doc) reset(src string) {
	if len(src) > maxScan {
		cut := maxScan
		for cut > 0 && !utf8.RuneStart(src[cut]) {
			cut--
		}
		src = src[:cut]
	}
	d.text.Reset(src)
	d.norm = string(d.text.Norm)
	d.tokens = d.tokens[:0]
	d.sents = d.sents[:0]
	d.code = strings.Contains(d.norm, "```")
	d.tokenize()
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c >= 0x80
}

// tokenize cuts d.norm into sentences and words. A sentence ends at a line
// break, or after '.', '!' or '?' followed by a space, except after a list
// number at the start of a line ("1. ").
func (d *doc) tokenize() {
	n := d.norm
	cur := sentence{}
	lineStart := true
	quoted := false
	closeSent := func(end int) {
		cur.end = end
		cur.lim = len(d.tokens)
		if cur.lim > cur.first {
			if cur.lead = d.leadToken(cur); cur.lead < 0 {
				cur.lead = cur.first
			}
			d.sents = append(d.sents, cur)
		}
		cur = sentence{start: end, first: len(d.tokens)}
	}
	for i := 0; i < len(n); {
		c := n[i]
		if lineStart {
			lineStart = false
			cur.item = listMarker(n[i:])
		}
		switch {
		case isWordByte(c):
			j := i + 1
			for j < len(n) {
				b := n[j]
				if isWordByte(b) {
					j++
					continue
				}
				// an apostrophe or hyphen between letters stays in the word
				if (b == '\'' || b == '-') && j+1 < len(n) && isWordByte(n[j+1]) {
					j += 2
					continue
				}
				break
			}
			punct := j < len(n) && strings.IndexByte(",.;:!?", n[j]) >= 0
			d.addWord(n[i:j], i, j, punct, quoted)
			i = j
		case c == '\n':
			closeSent(i)
			cur.start = i + 1
			lineStart, quoted = true, false
			i++
		case c == '.' || c == '!' || c == '?':
			i++
			if i < len(n) && n[i] != ' ' && n[i] != '\n' {
				continue
			}
			if c == '.' && d.onlyNumber(cur) {
				continue // "1. " opens a list item
			}
			cur.question = c == '?'
			closeSent(i)
			if i < len(n) && n[i] == ' ' {
				i++
				cur.start = i
			}
		case c == '"':
			quoted = !quoted
			i++
		default:
			i++
		}
	}
	closeSent(len(n))
	for si := range d.sents {
		s := &d.sents[si]
		for k := s.first; k < s.lim; k++ {
			d.tokens[k].sent = si
		}
	}
}

// onlyNumber reports whether the sentence so far is a single number.
func (d *doc) onlyNumber(s sentence) bool {
	if len(d.tokens)-s.first != 1 {
		return false
	}
	w := d.tokens[s.first].w
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return len(w) <= 3
}

// leadToken returns the index of the sentence's first token past list
// numbers and an opening "first," / "firstly,", or -1 when there is none.
func (d *doc) leadToken(s sentence) int {
	for k := s.first; k < len(d.tokens); k++ {
		w := d.tokens[k].w
		if w[0] >= '0' && w[0] <= '9' {
			continue
		}
		if (w == "first" || w == "firstly") && d.tokens[k].punct {
			continue
		}
		return k
	}
	return -1
}

// listMarker reports whether a line opens with a list marker.
func listMarker(s string) bool {
	s = strings.TrimLeft(s, "*# ")
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "•") || strings.HasPrefix(s, "*") {
		return true
	}
	i := 0
	for i < len(s) && i < 3 && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')')
}

// pronounIs lists the words whose "'s" is "is" rather than a possessive.
var pronounIs = map[string]bool{
	"it": true, "that": true, "there": true, "what": true, "here": true, "he": true, "she": true,
	"who": true, "where": true, "how": true, "this": true,
}

// addWord appends the word n[i:j], with contractions spelled out.
func (d *doc) addWord(w string, i, j int, punct, quoted bool) {
	add := func(w string, last bool) {
		d.tokens = append(d.tokens, token{w: w, start: i, end: j, punct: punct && last, quoted: quoted})
	}
	if !strings.Contains(w, "'") {
		if w == "cannot" {
			add("can", false)
			add("not", true)
			return
		}
		add(w, true)
		return
	}
	switch w {
	case "can't":
		add("can", false)
		add("not", true)
		return
	case "won't":
		add("will", false)
		add("not", true)
		return
	case "shan't":
		add("shall", false)
		add("not", true)
		return
	case "ain't":
		add("is", false)
		add("not", true)
		return
	case "let's":
		add("let", false)
		add("us", true)
		return
	}
	if stem, ok := strings.CutSuffix(w, "n't"); ok && stem != "" {
		add(stem, false)
		add("not", true)
		return
	}
	k := strings.LastIndexByte(w, '\'')
	stem, suf := w[:k], w[k+1:]
	if stem == "" {
		add(w, true)
		return
	}
	var exp string
	switch suf {
	case "m":
		exp = "am"
	case "re":
		exp = "are"
	case "ve":
		exp = "have"
	case "ll":
		exp = "will"
	case "d":
		exp = "would"
	case "s":
		if pronounIs[stem] {
			exp = "is"
		}
	default:
		add(w, true)
		return
	}
	if exp == "" {
		add(stem, true) // possessive: "someone's" reads "someone"
		return
	}
	add(stem, false)
	add(exp, true)
}
