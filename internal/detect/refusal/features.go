package refusal

import (
	"math"
	"slices"
)

// analysis is the scratch space of one classification, pooled.
type analysis struct {
	resp, prompt doc
	hits         []hit
	phits        []hit
	echo         []bool   // echo[cue]: the prompt holds the cue
	mask         []uint16 // mask[sentence]: the cue classes in it
	ngrams       []int32
	seen1        []bool
	seenAny      []bool
}

// grow returns (*b)[:n], cleared, growing *b as needed.
func grow(b *[]bool, n int) []bool {
	*b = slices.Grow((*b)[:0], n)[:n]
	clear(*b)
	return *b
}

// bit returns the mask bit of a class.
func bit(c int) uint16 { return 1 << c }

const (
	// refusing classes: a sentence with one of them declines
	refusing = 1<<clsDecline | 1<<clsRefuse | 1<<clsApology
	// cueing classes: sentences that carry no content of their own
	cueing = 1<<clsDecline | 1<<clsRefuse | 1<<clsApology | 1<<clsLack | 1<<clsMoral | 1<<clsPremise | 1<<clsRedirect
)

// analyse tokenises prompt and response and finds the cue phrases of the
// response that the prompt does not itself contain.
func (a *analysis) analyse(lx *lexicon, prompt, response string) {
	a.resp.reset(response)
	a.hits = lx.match(&a.resp, a.hits[:0], false)
	grow(&a.echo, len(lx.cues))
	a.phits = a.phits[:0]
	if prompt != "" {
		a.prompt.reset(prompt)
		a.phits = lx.match(&a.prompt, a.phits, true)
		for _, h := range a.phits {
			a.echo[h.cue] = true
		}
	}
	a.mask = slices.Grow(a.mask[:0], len(a.resp.sents))[:len(a.resp.sents)]
	clear(a.mask)
	kept := a.hits[:0]
	for _, h := range a.hits {
		if a.echo[h.cue] {
			continue
		}
		kept = append(kept, h)
		a.mask[h.sent] |= bit(lx.cues[h.cue].class)
	}
	a.hits = kept
}

// sink receives the features of a response: hand-made features by name, and
// word n-grams (b is "" for a unigram) under a prefix naming where they
// were found. N-gram features are binary.
type sink interface {
	add(name string, v float64)
	ngram(prefix, a, b string)
}

// Names of the hand-made features per cue class, built once.
var (
	featClassFirst, featClassNext, featClassAny, featClassCount, featClassShare [numClasses]string
)

func init() {
	for i, c := range classNames {
		featClassFirst[i] = "c1:" + c
		featClassNext[i] = "c2:" + c
		featClassAny[i] = "ca:" + c
		featClassCount[i] = "cn:" + c
		featClassShare[i] = "cs:" + c
	}
}

// maxNgramTokens bounds the tokens read for n-grams.
const maxNgramTokens = 600

// features sends the features of an analysed response to s.
func (a *analysis) features(lx *lexicon, s sink) {
	d := &a.resp
	s.add("bias", 1)
	nt, ns := len(d.tokens), len(d.sents)
	if ns == 0 {
		s.add("empty", 1)
		return
	}

	// cue classes by sentence position, and cue names
	var count [numClasses]int
	for si, m := range a.mask {
		for c := range numClasses {
			if m&bit(c) == 0 {
				continue
			}
			count[c]++
			switch {
			case si == 0:
				s.add(featClassFirst[c], 1)
			case si <= 2:
				s.add(featClassNext[c], 1)
			}
		}
	}
	for c := range numClasses {
		if count[c] > 0 {
			s.add(featClassAny[c], 1)
			s.add(featClassCount[c], min(1, math.Log1p(float64(count[c]))/math.Log(10)))
			s.add(featClassShare[c], float64(count[c])/float64(ns))
		}
	}
	seenFirst := grow(&a.seen1, len(lx.cues))
	seenAny := grow(&a.seenAny, len(lx.cues))
	for _, h := range a.hits {
		c := &lx.cues[h.cue]
		if h.sent == 0 && !seenFirst[h.cue] {
			seenFirst[h.cue] = true
			s.add(c.featFirst, 1)
		}
		if !seenAny[h.cue] {
			seenAny[h.cue] = true
			s.add(c.featAny, 1)
		}
	}

	// shape
	s.add("len", min(1, math.Log1p(float64(nt))/math.Log(1000)))
	s.add("nsent", min(1, math.Log1p(float64(ns))/math.Log(50)))
	if nt < 40 {
		s.add("short", 1)
	}
	if nt < 15 {
		s.add("vshort", 1)
	}
	items := 0
	for _, st := range d.sents {
		if st.item {
			items++
		}
	}
	if items > 0 {
		s.add("list", 1)
		s.add("listn", min(1, math.Log1p(float64(items))/math.Log(20)))
	}
	if d.code {
		s.add("code", 1)
	}
	if d.sents[ns-1].question {
		s.add("ends_q", 1)
	}

	// what follows the first refusing sentence
	r := -1
	for si, m := range a.mask {
		if m&refusing != 0 {
			r = si
			break
		}
	}
	cueWords := 0
	for si, st := range d.sents {
		if a.mask[si]&cueing != 0 {
			cueWords += st.lim - st.first
		}
	}
	s.add("cue_share", float64(cueWords)/float64(nt))
	if r < 0 {
		s.add("r_none", 1)
	} else {
		s.add("r_pos", 1/float64(1+r))
		after, afterItems := 0, 0
		var afterMask uint16
		for si := r + 1; si < ns; si++ {
			afterMask |= a.mask[si]
			if a.mask[si]&cueing == 0 {
				after += d.sents[si].lim - d.sents[si].first
				if d.sents[si].item {
					afterItems++
				}
			}
		}
		s.add("after_words", min(1, math.Log1p(float64(after))/math.Log(500)))
		s.add("after_share", float64(after)/float64(nt))
		if afterItems > 0 {
			s.add("after_list", 1)
		}
		if afterMask&bit(clsPivot) != 0 {
			s.add("after_pivot", 1)
		}
		if afterMask&bit(clsComply) != 0 {
			s.add("after_comply", 1)
		}
		if r == 0 && after < 20 {
			s.add("r_first_bare", 1)
		}
	}

	// the prompt: only whether it holds cue phrases itself
	if len(a.phits) > 0 {
		s.add("p_cue", 1)
	}

	// word n-grams: the first sentence, and the whole response
	first := d.sents[0]
	for k := first.first; k < first.lim; k++ {
		w := ngramWord(d.tokens[k].w)
		s.ngram("f:", w, "")
		if k+1 < first.lim {
			s.ngram("f:", w, ngramWord(d.tokens[k+1].w))
		}
	}
	lim := min(nt, maxNgramTokens)
	for k := 0; k < lim; k++ {
		w := ngramWord(d.tokens[k].w)
		s.ngram("a:", w, "")
		if k+1 < lim && d.tokens[k+1].sent == d.tokens[k].sent {
			s.ngram("a:", w, ngramWord(d.tokens[k+1].w))
		}
	}
}

// ngramWord maps numbers to "#".
func ngramWord(w string) string {
	if w[0] >= '0' && w[0] <= '9' {
		return "#"
	}
	return w
}
