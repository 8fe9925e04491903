package classify

// The featuriser and scorer as they were before they were made faster
// (commit 76a85c8), kept as the reference that the fast ones must match
// exactly: every word span and bucket, every margin and score, bit for
// bit (TestReference, FuzzReference). Only the helpers that the speed work
// left unchanged (fold tables, deleet, collapse, fnv32, mix, sigmoid) are
// shared.

import (
	"math"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

type refTokenizer struct {
	mask  uint32
	emit  func(start, end int, feats []uint32)
	words func(w []byte) // receives each normalised word instead of features, for Normalize
	// contentSkeleton leaves function words out of the skeleton (feature
	// set 2).
	contentSkeleton bool
	// skipNumbers leaves numbers out (set 3).
	skipNumbers bool

	word         []byte // current word, folded
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

	norm    []byte // normalised word being emitted
	prev    uint32 // hash of the previous word
	hasPrev bool
	skel    uint32 // last four skeleton bytes
	skelN   int
	last    byte // last skeleton byte
	feats   []uint32
}

func (t *refTokenizer) reset(mask uint32, fs FeatureSet, emit func(start, end int, feats []uint32)) {
	word, norm, feats := t.word[:0], t.norm[:0], t.feats[:0]
	*t = refTokenizer{mask: mask, emit: emit, word: word, norm: norm, feats: feats, contentSkeleton: fs >= SkeletonContentWords, skipNumbers: fs >= WithoutNumbers}
}

func (t *refTokenizer) run(text string) {
	if t.word == nil {
		t.word = make([]byte, 0, maxWord+utf8.UTFMax)
		t.norm = make([]byte, 0, 2*maxPending*utf8.UTFMax)
		t.feats = make([]uint32, 0, 64)
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			t.ascii(c, i, i+1)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && w == 1 {
			i++ // invalid byte: nothing
			continue
		}
		t.fold(r, i, i+w)
		i += w
	}
	t.endWord()
	t.flush()
}

func (t *refTokenizer) ascii(c byte, at, end int) {
	switch {
	case 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '@' || c == '$':
		t.add(c, at, end)
	case 'A' <= c && c <= 'Z':
		t.add(c+'a'-'A', at, end)
	case c == '\'' && t.inWord:
		// inside a word: dropped ("don't")
	default:
		t.sep(rune(c))
	}
}

func (t *refTokenizer) fold(r rune, at, end int) {
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

func (t *refTokenizer) other(r rune, at, end int) {
	switch {
	case r < utf8.RuneSelf:
		t.ascii(byte(r), at, end)
	case (r == 0x2019 || r == 0x02BC) && t.inWord: // right single quote, modifier apostrophe
		// inside a word: dropped
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		if !t.inWord {
			t.begin(at)
		}
		t.word = utf8.AppendRune(t.word, r)
		t.wEnd = end
		if len(t.word) >= maxWord {
			t.endWord()
		}
	default:
		t.sep(r)
	}
}

func (t *refTokenizer) begin(at int) {
	t.inWord = true
	t.wStart = at
	t.word = t.word[:0]
}

func (t *refTokenizer) add(c byte, at, end int) {
	if !t.inWord {
		t.begin(at)
	}
	t.word = append(t.word, c)
	t.wEnd = end
	if len(t.word) >= maxWord {
		t.endWord()
	}
}

func (t *refTokenizer) sep(r rune) {
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

func (t *refTokenizer) endWord() {
	if !t.inWord {
		return
	}
	t.inWord = false
	w := t.word
	gap := t.gapText[:min(t.gapLen, maxGap)]
	// a one-character word joins the waiting ones when the separators
	// before it are few, hold no line break and are the same as between
	// the waiting words ("b.o.m.b", "b - o - m - b")
	near := t.gap <= 3 && !t.gapBreak && t.gapLen <= maxGap
	same := t.pendN < 2 || string(gap) == string(t.runGap[:t.runGapN])
	t.gap, t.gapBreak, t.gapLen = 0, false, 0
	if _, size := utf8.DecodeRune(w); size == len(w) {
		switch {
		case t.pendN == 2 && near && !same:
			// "a b.o.m.b": the first word was not part of the run
			p := t.pend[0]
			t.pend[0] = t.pend[1]
			t.pendN = 1
			if isLetter(p.b[:p.n]) {
				t.pendLetters--
			}
			t.finish(p.b[:p.n], p.start, p.end)
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

func (t *refTokenizer) flush() {
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
		var buf [maxPending * utf8.UTFMax]byte
		w := buf[:0]
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

func (t *refTokenizer) finish(w []byte, start, end int) {
	var alt []byte
	t.norm, alt = deleet(t.norm[:0], w)
	nw := t.norm
	if t.skipNumbers && isNumber(nw) {
		return
	}
	if t.words != nil {
		t.words(nw)
		return
	}
	h := fnv32(nw)
	f := t.feats[:0]
	f = append(f, mix(h^seedWord)&t.mask)
	if t.hasPrev {
		f = append(f, mix(t.prev*0x01000193^h^seedBigram)&t.mask)
	}
	if alt != nil {
		f = append(f, mix(fnv32(alt)^seedWord)&t.mask)
	}
	t.prev, t.hasPrev = h, true
	if t.contentSkeleton && len(nw) <= maxStopWord && stopWords[string(nw)] {
		t.feats = f
		t.emit(start, end, f)
		return
	}
	for _, b := range nw {
		if b == t.last {
			continue
		}
		t.last = b
		t.skel = t.skel<<8 | uint32(b)
		if t.skelN++; t.skelN >= 4 {
			f = append(f, mix(t.skel^seedGram)&t.mask)
		}
	}
	t.feats = f
	t.emit(start, end, f)
}

type refWindow struct {
	m       *Model
	ring    []refWordSum // the words in the refWindow, oldest at head
	head    int
	count   int
	sum     [maxCategories]int64
	n       int64
	best    [maxCategories]float64
	span    [maxCategories][2]int
	seen    bool // a refWindow was evaluated
	words   int
	tok     refTokenizer
	addFn   func(start, end int, feats []uint32) // w.add, made once
	weights []int8                               // [bucket*k + category], as in the file
}

type refWordSum struct {
	sum        [maxCategories]int32
	n          int32
	start, end int
}

func refClassify(m *Model, weights []int8, text string) []Score {
	out := make([]Score, m.k)
	w := &refWindow{ring: make([]refWordSum, m.Header.Window), weights: weights}
	w.addFn = w.add
	w.m, w.head, w.count, w.sum, w.n, w.seen, w.words = m, 0, 0, [maxCategories]int64{}, 0, false, 0
	w.span = [maxCategories][2]int{}
	for c := range m.k {
		w.best[c] = math.Inf(-1)
	}
	w.tok.reset(1<<m.Header.Bits-1, m.featureSet(), w.addFn)
	w.tok.run(text)
	if !w.seen {
		w.eval()
	}
	for c, cat := range m.Header.Categories {
		margin := w.best[c]
		out[c] = Score{
			Category: cat.Name,
			Clause:   cat.Clause,
			Score:    sigmoid(margin - cat.Threshold),
			Margin:   margin,
			Start:    w.span[c][0],
			End:      w.span[c][1],
		}
	}
	for c, cat := range m.Header.Categories {
		if cat.Requires != "" {
			out[c].Score = min(out[c].Score, out[m.Header.Index(cat.Requires)].Score)
		}
	}
	return out
}

func (w *refWindow) add(start, end int, feats []uint32) {
	k := w.m.k
	var s refWordSum
	s.start, s.end, s.n = start, end, int32(len(feats))
	weights := w.weights
	sum := s.sum[:k:k]
	for _, f := range feats {
		row := weights[int(f)*k:][:k:k]
		for c := range sum {
			sum[c] += int32(row[c])
		}
	}
	size := len(w.ring)
	if w.count == size {
		old := &w.ring[w.head]
		for c := range k {
			w.sum[c] -= int64(old.sum[c])
		}
		w.n -= int64(old.n)
		w.ring[w.head] = s
		w.head = (w.head + 1) % size
	} else {
		w.ring[(w.head+w.count)%size] = s
		w.count++
	}
	for c := range k {
		w.sum[c] += int64(s.sum[c])
	}
	w.n += int64(s.n)
	w.words++
	if w.count == size {
		w.eval()
	}
}

func (w *refWindow) eval() {
	w.seen = true
	var start, end int
	if w.count > 0 {
		start = w.ring[w.head].start
		end = w.ring[(w.head+w.count-1)%len(w.ring)].end
	}
	norm := 0.0
	if w.n > 0 {
		norm = 1 / math.Sqrt(float64(w.n))
	}
	for c, cat := range w.m.Header.Categories {
		z := cat.Bias + cat.Scale*float64(w.sum[c])*norm
		if z > w.best[c] {
			w.best[c] = z
			w.span[c] = [2]int{start, end}
		}
	}
}
