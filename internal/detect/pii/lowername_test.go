package pii

import (
	"testing"
)

// TestLowerCueNames checks the span of lower-case names after a cue, and
// that the cue, the words and their bounds are read as lowername.go says.
func TestLowerCueNames(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"my name is lena andersson and i lost my card", "lena andersson"},
		{"My name's pietro.", "pietro"},
		{"my name\u2019s pietro", "pietro"},
		{"Name:   jarmila nováková", "jarmila nováková"},
		{"i'm roberto's daughter, my name is roberto's", "roberto"},
		{"pls call me bogdan", "bogdan"},
		{"first name: anne-marie", "anne-marie"},
		{"my name is pietro esposito bogdan jarmila lena", "pietro esposito bogdan jarmila"}, // maxRun words
		{"my name is Pietro", ""},                                                            // capitalised: the main scan's
		{"my name is not pietro", ""},                                                        // the first word decides
		{"username: pietro", ""},                                                             // "name" must be a word
		{"rename: pietro", ""},
		{"recall me pietro", ""},
		{"call me, pietro", ""},
		{"my name is pietro_b", ""},
		{"my name is", ""},
		{"name", ""},
		{"me", ""},
	} {
		var got string
		for _, f := range NewPerson().Detect(tc.text) {
			if f.Evidence == "name_cue" && f.Score == lowerCueScore {
				got = tc.text[f.Start:f.End]
			}
		}
		if got != tc.want {
			t.Errorf("%q: lower-case name %q, want %q", tc.text, got, tc.want)
		}
	}
}
