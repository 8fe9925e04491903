package policy

import (
	"slices"
	"testing"
)

// allSpans is DataSpans without the character checks that skip a
// pattern: every regexp runs on every text. The checks must never change
// the result.
func allSpans(text string) []DataSpan {
	var spans []DataSpan
	add := func(start, end int, kind string) {
		if end > start {
			spans = append(spans, DataSpan{start, end, kind})
		}
	}
	for _, m := range untrustedRe.FindAllStringIndex(text, -1) {
		add(m[0], m[1], SpanUntrusted)
	}
	if loc := untrustedOpenRe.FindAllStringIndex(text, -1); len(loc) > 0 {
		last := loc[len(loc)-1]
		if !slices.ContainsFunc(spans, func(s DataSpan) bool { return s.Start == last[0] }) {
			add(last[0], len(text), SpanUntrusted)
		}
	}
	for _, f := range fences(text) {
		add(f[0], f[1], SpanCodeBlock)
	}
	for _, m := range quoteLineRe.FindAllStringIndex(text, -1) {
		add(m[0], m[1], SpanBlockQuote)
	}
	for _, m := range tripleRe.FindAllStringIndex(text, -1) {
		add(m[0], m[1], SpanQuotation)
	}
	for _, m := range quotedRe.FindAllStringIndex(text, -1) {
		add(m[0], m[1], SpanQuotation)
	}
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

func FuzzDataSpansSkips(f *testing.F) {
	for _, s := range []string{
		"Classify:\n<untrusted>buy now</untrusted>", "<UNTRUSTED_TEXT>open", "```json\n{}\n```\n> quote\n\"two words\" “curly quote”",
		"~~~\ncode", `say """three quotes""" please`, "plain text with no marks at all", "a > b and c < d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := DataSpans(text), allSpans(text); !slices.Equal(got, want) {
			t.Fatalf("DataSpans = %+v, every pattern gives %+v", got, want)
		}
	})
}
