package policy

import (
	"regexp"
	"slices"
	"strings"
)

// DataSpan is a part of an instructing message that is data: quoted,
// fenced or marked untrusted. Offsets are bytes into the message text.
type DataSpan struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Kind  string `json:"kind"`
}

// Kinds of data span, following the spec's list of what carries no
// authority inside a message.
const (
	SpanUntrusted  = "untrusted"   // <untrusted>, <untrusted_text> blocks
	SpanCodeBlock  = "code_block"  // ``` or ~~~ fences (JSON, YAML, XML...)
	SpanBlockQuote = "block_quote" // lines starting with >
	SpanQuotation  = "quotation"   // text in quotation marks
)

var (
	untrustedRe     = regexp.MustCompile(`(?is)<(untrusted(?:_text)?)>.*?</untrusted(?:_text)?>`)
	untrustedOpenRe = regexp.MustCompile(`(?i)<untrusted(?:_text)?>`)
	fenceRe         = regexp.MustCompile("(?m)^[ \t]{0,3}(```+|~~~+)[^\n]*(?:\n|$)")
	quoteLineRe     = regexp.MustCompile(`(?m)^[ \t]{0,3}>[^\n]*(?:\n[ \t]{0,3}>[^\n]*)*`)
	tripleRe        = regexp.MustCompile(`(?s)"""(.*?)"""`)
	// Straight or curly double quotes within one paragraph, at least two
	// words long: a lone quoted word is a name, not a passage.
	quotedRe = regexp.MustCompile(`"[^"\n]*?\s[^"\n]*?"|“[^”\n]*?\s[^”\n]*?”`)
)

// DataSpans finds the data inside an instructing message. Spans do not
// overlap; an outer span (a fenced block) hides the ones inside it.
func DataSpans(text string) []DataSpan {
	var spans []DataSpan
	add := func(start, end int, kind string) {
		if end > start {
			spans = append(spans, DataSpan{start, end, kind})
		}
	}
	// Each pattern needs a character that most messages lack; looking for
	// it first skips the regexp, which is most of the cost of a message.
	if strings.IndexByte(text, '<') >= 0 {
		for _, m := range untrustedRe.FindAllStringIndex(text, -1) {
			add(m[0], m[1], SpanUntrusted)
		}
		// An <untrusted> block that is never closed runs to the end: text
		// the writer meant as data stays data.
		if loc := untrustedOpenRe.FindAllStringIndex(text, -1); len(loc) > 0 {
			last := loc[len(loc)-1]
			if !slices.ContainsFunc(spans, func(s DataSpan) bool { return s.Start == last[0] }) {
				add(last[0], len(text), SpanUntrusted)
			}
		}
	}
	if strings.Contains(text, "```") || strings.Contains(text, "~~~") {
		for _, f := range fences(text) {
			add(f[0], f[1], SpanCodeBlock)
		}
	}
	if strings.IndexByte(text, '>') >= 0 {
		for _, m := range quoteLineRe.FindAllStringIndex(text, -1) {
			add(m[0], m[1], SpanBlockQuote)
		}
	}
	if strings.Contains(text, `"""`) {
		for _, m := range tripleRe.FindAllStringIndex(text, -1) {
			add(m[0], m[1], SpanQuotation)
		}
	}
	if strings.IndexByte(text, '"') >= 0 || strings.Contains(text, "“") {
		for _, m := range quotedRe.FindAllStringIndex(text, -1) {
			add(m[0], m[1], SpanQuotation)
		}
	}
	// Keep the earliest, then the longest; drop what they cover.
	slices.SortFunc(spans, func(a, b DataSpan) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := spans[:0]
	end := -1
	for _, s := range spans {
		if s.Start < end {
			continue
		}
		out = append(out, s)
		end = s.End
	}
	return out
}

// fences returns the [start, end) of each fenced code block; an unclosed
// fence runs to the end of the text, as in CommonMark.
func fences(text string) [][2]int {
	var out [][2]int
	opens := fenceRe.FindAllStringSubmatchIndex(text, -1)
	for i := 0; i < len(opens); i++ {
		o := opens[i]
		marker := text[o[2]:o[3]]
		closed := false
		for j := i + 1; j < len(opens); j++ {
			c := opens[j]
			line := strings.TrimSpace(text[c[0]:c[1]])
			if strings.HasPrefix(line, marker) && strings.Trim(line, marker[:1]) == "" {
				out = append(out, [2]int{o[0], c[1]})
				i, closed = j, true
				break
			}
		}
		if !closed {
			out = append(out, [2]int{o[0], len(text)})
			break
		}
	}
	return out
}
