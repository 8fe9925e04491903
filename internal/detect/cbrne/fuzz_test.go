package cbrne

import (
	"slices"
	"testing"
)

// FuzzDetect checks on any input that Detect does not panic, that its
// spans are within the text, and that the first pass loses nothing the
// full scan finds.
func FuzzDetect(f *testing.F) {
	for r := range requests {
		f.Add(r)
	}
	for _, o := range ordinary {
		f.Add(o)
	}
	f.Add("\xff\xfe sarin \x00 how to make")
	f.Fuzz(func(t *testing.T, text string) {
		fs := New().Detect(text)
		for _, x := range fs {
			if x.Start < 0 || x.End > len(text) || x.Start > x.End {
				t.Fatalf("span %d-%d in %d bytes", x.Start, x.End, len(text))
			}
		}
		if want := judge(text); !slices.Equal(fs, want) {
			t.Fatalf("Detect %+v, judge %+v", fs, want)
		}
	})
}
