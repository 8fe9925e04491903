// Package redact masks the spans of detector findings with typed
// placeholders ("[EMAIL_1]", "[PHONE_2]") and restores the originals in a
// model's answer, also when the answer arrives in streamed chunks that cut
// placeholders in two.
//
// A Masker belongs to one conversation: the same value of the same type gets
// the same placeholder in every message it masks, and its Vault maps each
// placeholder back to the original. Restore puts the originals back in a
// whole text; a StreamRestorer does the same chunk by chunk, holding back at
// most one possible partial placeholder (never more bytes than the longest
// placeholder in the vault) at the end of a chunk.
//
// The package is pure: it must never import net/http or database/sql and
// does no I/O. Masking and restoring are linear in the length of the text.
//
// Placeholders are "[" + TYPE + "_" + N + "]", TYPE being the finding's
// category in upper case with anything but letters and digits turned into
// '_', N counting from 1 per type. Restore replaces exactly the placeholders
// in the vault; a text that already contains one of them literally is
// ambiguous, so Mask never hands out a placeholder that occurs in the text
// it masks (it skips to the next number).
package redact

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/modelspec/modelspec/internal/detect"
)

// Vault maps placeholders to the original values. It is safe for concurrent
// use: a StreamRestorer may read it while its Masker adds to it.
type Vault struct {
	mu     sync.RWMutex
	values map[string]string // placeholder → original
	maxLen int               // longest placeholder
}

// NewVault returns an empty vault.
func NewVault() *Vault { return &Vault{values: map[string]string{}} }

// Get returns the original value behind placeholder p.
func (v *Vault) Get(p string) (string, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	s, ok := v.values[p]
	return s, ok
}

// Len returns the number of placeholders.
func (v *Vault) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.values)
}

// MaxLen returns the length in bytes of the longest placeholder, 0 for an
// empty vault.
func (v *Vault) MaxLen() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.maxLen
}

// Placeholders returns the placeholders, sorted.
func (v *Vault) Placeholders() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.values))
	for p := range v.values {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func (v *Vault) put(p, original string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.values[p] = original
	v.maxLen = max(v.maxLen, len(p))
}

// Masker replaces the spans of findings with placeholders, one conversation
// at a time. It is safe for concurrent use.
type Masker struct {
	mu      sync.Mutex
	vault   *Vault
	counter map[string]int               // TYPE → last number handed out
	byValue map[string]map[string]string // TYPE → value → placeholder
	types   map[string]string            // category → TYPE
}

// NewMasker returns a masker with an empty vault.
func NewMasker() *Masker {
	return &Masker{vault: NewVault(), counter: map[string]int{}, byValue: map[string]map[string]string{}}
}

// Vault returns the masker's vault.
func (m *Masker) Vault() *Vault { return m.vault }

// Mask returns text with the span of every kept finding replaced by its
// placeholder. Findings whose spans fall outside text or are empty are
// ignored. Where findings overlap, the longest is kept; among equally long
// ones the earliest, then the highest score, then the smallest detector id
// and category, so the result does not depend on the order of fs.
func (m *Masker) Mask(text string, fs []detect.Finding) string {
	kept := Select(text, fs)
	if len(kept) == 0 {
		return text
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, f := range kept {
		b.WriteString(text[last:f.Start])
		b.WriteString(m.placeholder(text, m.typeName(f.Category), text[f.Start:f.End]))
		last = f.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// placeholder returns the placeholder of value of type typ, handing out a
// new one that does not occur in text if there is none yet.
func (m *Masker) placeholder(text, typ, value string) string {
	byValue := m.byValue[typ]
	if p, ok := byValue[value]; ok {
		return p
	}
	if byValue == nil {
		byValue = map[string]string{}
		m.byValue[typ] = byValue
	}
	n := m.counter[typ]
	var p string
	for {
		n++
		p = "[" + typ + "_" + strconv.Itoa(n) + "]"
		if !strings.Contains(text, p) {
			break
		}
	}
	m.counter[typ] = n
	byValue[strings.Clone(value)] = p
	m.vault.put(p, strings.Clone(value))
	return p
}

// typeName is TypeName, remembered per category.
func (m *Masker) typeName(category string) string {
	if m.types == nil {
		m.types = map[string]string{}
	}
	t, ok := m.types[category]
	if !ok {
		t = TypeName(category)
		m.types[category] = t
	}
	return t
}

// Restore returns text with every placeholder of the masker's vault
// replaced by its original value.
func (m *Masker) Restore(text string) string { return Restore(m.vault, text) }

// TypeName turns a category into the TYPE of its placeholders: upper case,
// with anything but ASCII letters and digits turned into '_' ("email" →
// "EMAIL"); an empty category gives "PII".
func TypeName(category string) string {
	if category == "" {
		return "PII"
	}
	b := []byte(category)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// Select returns the findings that Mask replaces, sorted by Start: valid
// spans only, and where spans overlap the longest (see Mask).
func Select(text string, fs []detect.Finding) []detect.Finding {
	// Sort indices, not the findings: a Finding is large.
	order := make([]int32, 0, len(fs))
	for i, f := range fs {
		if f.Start >= 0 && f.Start < f.End && f.End <= len(text) {
			order = append(order, int32(i))
		}
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &fs[i], &fs[j]
		if c := cmp.Compare(b.End-b.Start, a.End-a.Start); c != 0 { // longest first
			return c
		}
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Or(
			cmp.Compare(a.Detector, b.Detector),
			cmp.Compare(a.Category, b.Category),
			cmp.Compare(a.Evidence, b.Evidence),
			cmp.Compare(i, j),
		)
	})
	// Greedy, longest first, over a bitset of the bytes already taken: each
	// check and mark costs (End-Start)/64 word operations.
	taken := make([]uint64, (len(text)+63)/64)
	kept := order[:0]
	for _, i := range order {
		f := &fs[i]
		if anySet(taken, f.Start, f.End) {
			continue // overlaps a longer one
		}
		setRange(taken, f.Start, f.End)
		kept = append(kept, i)
	}
	slices.SortFunc(kept, func(i, j int32) int { return cmp.Compare(fs[i].Start, fs[j].Start) })
	out := make([]detect.Finding, len(kept))
	for k, i := range kept {
		out[k] = fs[i]
	}
	return out
}

// rangeMask returns the bits of word w that fall in [s, e).
func rangeMask(w, s, e int) uint64 {
	lo, hi := max(s, w*64), min(e, w*64+64)
	if lo >= hi {
		return 0
	}
	n := uint(hi - lo)
	var m uint64 = ^uint64(0)
	if n < 64 {
		m = (1<<n - 1)
	}
	return m << uint(lo-w*64)
}

func anySet(bits []uint64, s, e int) bool {
	for w := s / 64; w <= (e-1)/64; w++ {
		if bits[w]&rangeMask(w, s, e) != 0 {
			return true
		}
	}
	return false
}

func setRange(bits []uint64, s, e int) {
	for w := s / 64; w <= (e-1)/64; w++ {
		bits[w] |= rangeMask(w, s, e)
	}
}

// Restore returns text with every placeholder of v replaced by its
// original value; anything else, including placeholders v does not hold,
// is left as it is.
func Restore(v *Vault, text string) string {
	if v.Len() == 0 {
		return text
	}
	maxLen := v.MaxLen()
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '[')
		if j < 0 {
			break
		}
		at := i + j
		n := placeholderLen(text[at:], maxLen)
		if n == 0 {
			i = at + 1
			continue
		}
		orig, ok := v.Get(text[at : at+n])
		if !ok {
			i = at + 1
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(text))
		}
		b.WriteString(text[last:at])
		b.WriteString(orig)
		last = at + n
		i = last
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// placeholderLen returns the length of the placeholder-shaped text at the
// start of s ("[" [A-Z0-9_]+ "]", at most maxLen bytes), or 0.
func placeholderLen(s string, maxLen int) int {
	for i := 1; i < len(s) && i < maxLen; i++ {
		switch c := s[i]; {
		case c == ']':
			if i == 1 {
				return 0
			}
			return i + 1
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		default:
			return 0
		}
	}
	return 0
}

// partialLen returns the length of the possible start of a placeholder at
// the end of s: a '[' followed by [A-Z0-9_]* to the end of s, shorter than
// maxLen; 0 if there is none.
func partialLen(s string, maxLen int) int {
	at := strings.LastIndexByte(s, '[')
	if at < 0 || len(s)-at >= maxLen {
		return 0
	}
	for i := at + 1; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		default:
			return 0
		}
	}
	return len(s) - at
}

// StreamRestorer restores placeholders in a text that arrives in chunks.
// It is not safe for concurrent use (one stream, one goroutine); its vault
// may grow meanwhile.
type StreamRestorer struct {
	vault   *Vault
	pending string // a possible partial placeholder held back
}

// NewStreamRestorer returns a restorer for placeholders of v.
func NewStreamRestorer(v *Vault) *StreamRestorer { return &StreamRestorer{vault: v} }

// Write takes the next chunk and returns the restored text that is certain
// so far. A possible partial placeholder at the end ('[' and placeholder
// characters, shorter than the longest placeholder of the vault) is held
// back for the next Write or Flush. The concatenation of every Write and
// the final Flush equals Restore of the concatenated chunks.
func (s *StreamRestorer) Write(chunk string) string {
	text := s.pending + chunk
	s.pending = ""
	maxLen := s.vault.MaxLen()
	if maxLen == 0 {
		return text
	}
	if n := partialLen(text, maxLen); n > 0 {
		s.pending = text[len(text)-n:]
		text = text[:len(text)-n]
	}
	return Restore(s.vault, text)
}

// Flush returns what Write held back, restored, and resets the restorer.
func (s *StreamRestorer) Flush() string {
	text := s.pending
	s.pending = ""
	return Restore(s.vault, text)
}

// Pending returns the number of bytes held back.
func (s *StreamRestorer) Pending() int { return len(s.pending) }
