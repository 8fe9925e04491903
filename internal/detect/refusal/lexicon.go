package refusal

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed cues.txt
var cuesTxt string

// Cue classes, in the order of classNames.
const (
	clsDecline = iota
	clsRefuse
	clsApology
	clsLack
	clsMoral
	clsPremise
	clsRedirect
	clsPivot
	clsComply
	numClasses
)

var classNames = [numClasses]string{"decline", "refuse", "apology", "lack", "moral", "premise", "redirect", "pivot", "comply"}

// cue is one named phrase of cues.txt.
type cue struct {
	name  string
	class int
	// feature names, built once: the cue in the first sentence, anywhere
	featFirst, featAny string
	evidence           string // "class:name"
}

// pword is one word of a phrase; punct asks for punctuation after it.
type pword struct {
	w     string
	punct bool
}

// trieNode is a node of the phrase trie, keyed by word.
type trieNode struct {
	next  map[string]*trieNode // any token with this word
	punct map[string]*trieNode // this word followed by punctuation
	ends  []int                // cues whose phrase ends here
}

func (n *trieNode) insert(seq []pword, id int) {
	for _, p := range seq {
		m := &n.next
		if p.punct {
			m = &n.punct
		}
		if *m == nil {
			*m = map[string]*trieNode{}
		}
		c := (*m)[p.w]
		if c == nil {
			c = &trieNode{}
			(*m)[p.w] = c
		}
		n = c
	}
	for _, e := range n.ends {
		if e == id {
			return
		}
	}
	n.ends = append(n.ends, id)
}

// lexicon is the parsed cues.txt.
type lexicon struct {
	cues     []cue
	root     trieNode // phrases matched at any word
	anchored trieNode // phrases matched at the start of a sentence
}

// maxExpansions bounds the word sequences one pattern may expand to.
const maxExpansions = 4096

// parseLexicon parses cues.txt.
func parseLexicon(src string) (*lexicon, error) {
	lx := &lexicon{}
	var d doc
	seen := map[string]bool{}
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil, fmt.Errorf("cues.txt:%d: want NAME CLASS PATTERN", n+1)
		}
		name, class, pattern := f[0], f[1], strings.Join(f[2:], " ")
		if seen[name] {
			return nil, fmt.Errorf("cues.txt:%d: duplicate cue %q", n+1, name)
		}
		seen[name] = true
		cls := -1
		for i, c := range classNames {
			if c == class {
				cls = i
			}
		}
		if cls < 0 {
			return nil, fmt.Errorf("cues.txt:%d: unknown class %q", n+1, class)
		}
		root := &lx.root
		if p, ok := strings.CutPrefix(pattern, "^"); ok {
			root, pattern = &lx.anchored, p
		}
		seqs, err := expand(&d, pattern)
		if err != nil {
			return nil, fmt.Errorf("cues.txt:%d: %w", n+1, err)
		}
		id := len(lx.cues)
		lx.cues = append(lx.cues, cue{name: name, class: cls, featFirst: "q1:" + name, featAny: "qa:" + name, evidence: class + ":" + name})
		for _, s := range seqs {
			if len(s) == 0 {
				return nil, fmt.Errorf("cues.txt:%d: pattern can match no words", n+1)
			}
			root.insert(s, id)
		}
	}
	return lx, nil
}

// expand turns a pattern into the word sequences it stands for. Each group
// "(a|b c|)" is one of its alternatives; words are tokenised as text is, so
// contractions are spelled out.
func expand(d *doc, pattern string) ([][]pword, error) {
	seqs := [][]pword{nil}
	for rest := strings.TrimSpace(pattern); rest != ""; rest = strings.TrimSpace(rest) {
		var alts []string
		if rest[0] == '(' {
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return nil, fmt.Errorf("unclosed group in %q", pattern)
			}
			alts = strings.Split(rest[1:end], "|")
			rest = rest[end+1:]
		} else {
			end := strings.IndexAny(rest, " (")
			if end < 0 {
				end = len(rest)
			}
			alts = []string{rest[:end]}
			rest = rest[end:]
		}
		var next [][]pword
		for _, s := range seqs {
			for _, a := range alts {
				words := tokenizeWords(d, a)
				next = append(next, append(append([]pword(nil), s...), words...))
			}
		}
		if len(next) > maxExpansions {
			return nil, fmt.Errorf("pattern %q expands to more than %d phrases", pattern, maxExpansions)
		}
		seqs = next
	}
	return seqs, nil
}

func tokenizeWords(d *doc, s string) []pword {
	d.reset(s)
	out := make([]pword, 0, len(d.tokens))
	for _, t := range d.tokens {
		out = append(out, pword{t.w, t.punct})
	}
	return out
}

// hit is a cue phrase found in a document: tokens[first:lim] of sentence sent.
type hit struct {
	cue        int
	sent       int
	first, lim int
}

// reporting are words after which a phrase is reported speech ("when a
// chatbot says I cannot help"), not the assistant's own.
var reporting = map[string]bool{
	"say": true, "says": true, "said": true, "saying": true, "reply": true, "replies": true, "replied": true,
	"respond": true, "responds": true, "responded": true, "phrase": true, "write": true, "writes": true,
	"wrote": true, "like": true, "answer": true, "answers": true, "answered": true, "stating": true,
}

// match appends to hits every cue phrase in d, except those inside double
// quotes or after a reporting word, unless withQuoted is set.
func (lx *lexicon) match(d *doc, hits []hit, withQuoted bool) []hit {
	for si, s := range d.sents {
		hits = lx.walk(&lx.anchored, d, si, s.lim, s.lead, s.lead, hits, withQuoted)
		for k := s.first; k < s.lim; k++ {
			if !withQuoted && k > s.first && reporting[d.tokens[k-1].w] {
				continue
			}
			hits = lx.walk(&lx.root, d, si, s.lim, k, k, hits, withQuoted)
		}
	}
	return hits
}

// walk follows the trie from n over tokens[k:lim] of a sentence and records
// the phrases that end on the way (a phrase begun at first).
func (lx *lexicon) walk(n *trieNode, d *doc, si, lim, first, k int, hits []hit, withQuoted bool) []hit {
	for _, id := range n.ends {
		// "but I can" is no pivot in "but I can't"
		if c := lx.cues[id].class; (c == clsPivot || c == clsComply) && k < lim && d.tokens[k].w == "not" {
			continue
		}
		hits = append(hits, hit{cue: id, sent: si, first: first, lim: k})
	}
	if k >= lim {
		return hits
	}
	t := &d.tokens[k]
	if t.quoted && !withQuoted {
		return hits
	}
	if t.punct && n.punct != nil {
		if c := n.punct[t.w]; c != nil {
			hits = lx.walk(c, d, si, lim, first, k+1, hits, withQuoted)
		}
	}
	if c := n.next[t.w]; c != nil {
		hits = lx.walk(c, d, si, lim, first, k+1, hits, withQuoted)
	}
	return hits
}
