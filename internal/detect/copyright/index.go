package copyright

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sort"
	"unicode/utf8"
)

// ShingleWords is the number of consecutive words hashed together as one
// key of the index. A reproduced run is found only when it is at least this
// long; runs are then extended word by word, so their reported length is
// exact.
const ShingleWords = 8

// MaxPostings bounds how many places in the protected documents one
// shingle may point to. Places past the first MaxPostings (in document
// order) are dropped: a passage repeated that often (boilerplate shared by
// many documents, a refrain repeated throughout a text) is still found
// through its first MaxPostings places, and screening stays linear however
// repetitive the documents are.
const MaxPostings = 16

// rollBase is the odd multiplier of the rolling hash over word hashes.
const rollBase = 0x9E3779B97F4A7C15

// rollOut is rollBase^(ShingleWords-1), the weight of the word leaving the
// window.
var rollOut = func() uint64 {
	p := uint64(1)
	for range ShingleWords - 1 {
		p *= rollBase
	}
	return p
}()

// Document is a protected text registered by the operator.
type Document struct {
	ID    string // unique name, e.g. the file's path
	Title string // human-readable title, may be empty
	Text  string
}

// Index is an immutable index of protected documents, safe for concurrent
// use. Build it once; screening reads it without locks.
//
// Layout: the words of all documents back to back (the low 32 bits of each
// word's hash), and a hash table from each shingle (ShingleWords
// consecutive words within one document) to the positions where it starts.
// The table is a directory of 2^k buckets chosen by the top bits of the
// shingle's hash, each a slice of a postings array holding the low 32 bits
// of the hash and the position: two memory reads per probe, 8 bytes per
// posting and 4 per bucket.
type Index struct {
	docs  []docInfo
	start []uint32 // start[d] is the first word of docs[d]; start[len(docs)] = len(words)
	words []uint32
	dir   []uint32 // postings of bucket b are post[dir[b]:dir[b+1]]
	post  []posting
	shift uint // bucket of hash h is h >> shift
}

type docInfo struct{ id, title string }

type posting struct {
	key uint32 // low 32 bits of the shingle hash
	pos uint32 // index in words of the shingle's first word
}

// maxWords bounds the number of words an index holds, so that positions fit
// in 32 bits on every platform (about 12 GB of text). Words past it are not
// indexed.
const maxWords = math.MaxInt32 - ShingleWords

// Build indexes docs. Texts are folded and cut into words as described in
// tokenize.go; the index keeps 4 bytes per word and about 12–16 bytes per
// shingle, not the texts themselves. Documents with fewer than
// ShingleWords words can never match.
func Build(docs []Document) *Index {
	ix := &Index{docs: make([]docInfo, len(docs)), start: make([]uint32, len(docs)+1)}
	total := 0
	for _, d := range docs {
		total += len(d.Text)
	}
	ix.words = make([]uint32, 0, min(total/5+16, maxWords))
	keys := make([]uint64, 0, cap(ix.words))
	pos := make([]uint32, 0, cap(ix.words))

	var sc scanner
	var ws []word
	for di, d := range docs {
		ix.docs[di] = docInfo{d.ID, d.Title}
		first := len(ix.words)
		ix.start[di] = uint32(first)
		text := d.Text
		if len(text) > math.MaxInt32 {
			text = text[:math.MaxInt32] // spans are int32; no real text is this long
		}
		ws = sc.appendWords(ws[:0], text)
		ws = ws[:min(len(ws), maxWords-first)]
		var h uint64
		for n, w := range ws {
			ix.words = append(ix.words, uint32(w.hash))
			if n >= ShingleWords {
				h -= ws[n-ShingleWords].hash * rollOut
			}
			h = h*rollBase + w.hash
			if n+1 >= ShingleWords {
				keys = append(keys, mix(h))
				pos = append(pos, uint32(first+n+1-ShingleWords))
			}
		}
	}
	ix.start[len(docs)] = uint32(len(ix.words))
	if cap(ix.words) > len(ix.words)+len(ix.words)/8+64 {
		ix.words = slices.Clone(ix.words)
	}
	ix.table(keys, pos)
	return ix
}

// table builds the bucket directory and the postings from the shingle keys
// and their positions, in position order.
func (ix *Index) table(keys []uint64, pos []uint32) {
	lg := max(4, bits.Len(uint(len(keys)))) // 2^lg buckets, between n and 2n
	ix.shift = uint(64 - lg)
	nb := 1 << lg
	ix.dir = make([]uint32, nb+1)
	for _, k := range keys {
		ix.dir[k>>ix.shift+1]++
	}
	for b := range nb {
		ix.dir[b+1] += ix.dir[b]
	}
	ix.post = make([]posting, len(keys))
	fill := slices.Clone(ix.dir[:nb])
	for i, k := range keys { // counting sort: stable, so each bucket is in position order
		b := k >> ix.shift
		ix.post[fill[b]] = posting{uint32(k), pos[i]}
		fill[b]++
	}

	// Keep at most MaxPostings places per key, the first ones. Only a
	// bucket longer than MaxPostings can hold too many.
	w := uint32(0)
	for b := range nb {
		lo, hi := ix.dir[b], ix.dir[b+1]
		ix.dir[b] = w
		bucket := ix.post[lo:hi]
		if len(bucket) > MaxPostings {
			slices.SortStableFunc(bucket, func(x, y posting) int { return cmp.Compare(x.key, y.key) })
		}
		run, prev := 0, uint32(0)
		for i, p := range bucket {
			if i > 0 && p.key == prev {
				run++
			} else {
				run, prev = 0, p.key
			}
			if run < MaxPostings {
				ix.post[w] = p
				w++
			}
		}
	}
	ix.dir[nb] = w
	if int(w) < len(ix.post) {
		ix.post = slices.Clone(ix.post[:w])
	}
}

// Stats describes the size of an index.
type Stats struct {
	Documents int // documents indexed
	Words     int // words indexed
	Postings  int // shingle positions kept in the table
	Bytes     int // memory held by the index's arrays (not counting ids and titles)
}

// Stats returns the size of the index.
func (ix *Index) Stats() Stats {
	if ix == nil {
		return Stats{}
	}
	return Stats{
		Documents: len(ix.docs),
		Words:     len(ix.words),
		Postings:  len(ix.post),
		Bytes:     4*cap(ix.words) + 4*cap(ix.dir) + 8*cap(ix.post) + 4*cap(ix.start) + 32*cap(ix.docs),
	}
}

// Match is one run of words of a screened text reproduced verbatim (after
// folding) from a protected document.
type Match struct {
	DocID string // Document.ID
	Title string // Document.Title
	Start int    // byte offset of the run in the screened text
	End   int    // byte offset just past the run
	Words int    // length of the run in words
	Chars int    // length of text[Start:End] in characters (UTF-8 units)
	// DocWord is the index, among the document's words, of the run's first
	// word.
	DocWord int
	// Runs is the number of verbatim runs the match joins: 1 from
	// Index.Matches and Index.Longest; more from a Detector whose MaxGap
	// lets it join runs separated by a few words. Words and Chars then
	// count the runs' words and characters, not the gaps'.
	Runs int
}

// doc returns the document holding word g.
func (ix *Index) doc(g int) int {
	return sort.Search(len(ix.docs), func(d int) bool { return int(ix.start[d+1]) > g })
}

// run is a match in word positions: query words [qs, qe) equal the index
// words [g, g+qe-qs) of document d.
type run struct {
	d, qs, qe, g int
}

// state is the scratch space of one screening, pooled by the detector.
type state struct {
	sc    scanner
	words []word
	cover map[int]last // document → its last run
	pend  []run
	runs  []run
}

// last is where the last run found in a document ends, in the text (qe)
// and in the index (ge).
type last struct{ qe, ge int }

// find appends to st.runs every maximal run of at least ShingleWords words
// shared by the words of text and a document.
//
// The text's shingles are hashed with the same rolling hash as the index's
// and looked up in turn. A hit is checked word by word and extended right,
// and left (which matters only where MaxPostings dropped the first places),
// as far as the words agree. Per document, a position inside a run already
// found is not tried again, and of the hits at one position the longest
// wins; so each document costs at most MaxPostings extensions per word and
// the whole scan is linear in the length of text. Of hits of equal length
// the one that continues the document's last run most closely wins, so that
// a refrain copied once is placed after the verse it follows. The price:
// when one document matches the same part of the text along two alignments
// that overlap, the second run is reported from the end of the first.
func (ix *Index) find(st *state, text string) {
	st.runs = st.runs[:0]
	if len(text) > math.MaxInt32 {
		text = text[:math.MaxInt32] // spans are int32; no real text is this long
		for len(text) > 0 && !utf8.RuneStart(text[len(text)-1]) {
			text = text[:len(text)-1]
		}
	}
	st.words = st.sc.appendWords(st.words[:0], text)
	q := st.words
	if ix == nil || len(ix.post) == 0 || len(q) < ShingleWords {
		return
	}
	if st.cover == nil {
		st.cover = map[int]last{}
	}
	clear(st.cover)

	// Shingles are hashed and their buckets read in batches, before any
	// is examined: the reads do not depend on each other, so the processor
	// overlaps their cache misses on a large index.
	var (
		keys   [batch]uint64
		lo, hi [batch]uint32
	)
	var h uint64
	for i := range ShingleWords - 1 {
		h = h*rollBase + q[i].hash
	}
	end := len(q) - ShingleWords // start of the last shingle
	for base := 0; base <= end; base += batch {
		m := min(batch, end+1-base)
		for t := range m {
			i := base + t
			if i > 0 {
				h -= q[i-1].hash * rollOut
			}
			h = h*rollBase + q[i+ShingleWords-1].hash
			k := mix(h)
			b := k >> ix.shift
			keys[t], lo[t], hi[t] = k, ix.dir[b], ix.dir[b+1]
		}
		for t := range m {
			if lo[t] != hi[t] {
				ix.probe(st, base+t, keys[t], ix.post[lo[t]:hi[t]])
			}
		}
	}
}

// batch is the number of shingles whose buckets find reads at once.
const batch = 32

// probe examines the postings of the shingle of st.words at i, of hash k.
func (ix *Index) probe(st *state, i int, k uint64, posts []posting) {
	q := st.words
	st.pend = st.pend[:0]
	for _, p := range posts {
		if p.key != uint32(k) {
			continue
		}
		g := int(p.pos)
		d := ix.doc(g)
		prev, seen := st.cover[d]
		if seen && i < prev.qe {
			continue
		}
		if !ix.same(q, i, g, ShingleWords) {
			continue // a hash collision
		}
		ds, de := int(ix.start[d]), int(ix.start[d+1])
		qs, gs := i, g
		for qs > prev.qe && gs > ds && uint32(q[qs-1].hash) == ix.words[gs-1] {
			qs, gs = qs-1, gs-1
		}
		qe, ge := i+ShingleWords, g+ShingleWords
		for qe < len(q) && ge < de && uint32(q[qe].hash) == ix.words[ge] {
			qe, ge = qe+1, ge+1
		}
		r := run{d, qs, qe, gs}
		if j := slices.IndexFunc(st.pend, func(x run) bool { return x.d == d }); j < 0 {
			st.pend = append(st.pend, r)
		} else if x := st.pend[j]; r.qe-r.qs > x.qe-x.qs ||
			r.qe-r.qs == x.qe-x.qs && seen && follows(r.g, prev.ge) < follows(x.g, prev.ge) {
			st.pend[j] = r
		}
	}
	for _, r := range st.pend {
		st.cover[r.d] = last{r.qe, r.g + r.qe - r.qs}
		st.runs = append(st.runs, r)
	}
}

// follows ranks a run starting at index word g after a run that ended at
// ge: the closer after it the better, anything before it last.
func follows(g, ge int) uint {
	return uint(g - ge) // negative distances wrap to the largest values
}

// same reports whether n words of q from i equal the index's words from g.
func (ix *Index) same(q []word, i, g, n int) bool {
	for t := range n {
		if uint32(q[i+t].hash) != ix.words[g+t] {
			return false
		}
	}
	return true
}

// match converts a run of st into a Match on text.
func (ix *Index) match(st *state, text string, r run) Match {
	start, end := int(st.words[r.qs].start), int(st.words[r.qe-1].end)
	return Match{
		DocID:   ix.docs[r.d].id,
		Title:   ix.docs[r.d].title,
		Start:   start,
		End:     end,
		Words:   r.qe - r.qs,
		Chars:   utf8.RuneCountInString(text[start:end]),
		DocWord: r.g - int(ix.start[r.d]),
		Runs:    1,
	}
}
