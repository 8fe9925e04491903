package secrets

import (
	"strings"
	"testing"
)

// TestMayEnd checks step 0 on gitleaks' generic rule, whose matches end
// with a quote, a space, ';', a backslash escape or the end of the text.
func TestMayEnd(t *testing.T) {
	rs, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	var r *rule
	for _, x := range rs.rules {
		if x.id == "generic-api-key" {
			r = x
		}
	}
	if r == nil || !r.end || !r.endText || !r.endSet[' '] || !r.endSet[';'] || !r.endSet['\\'] || r.endSet['k'] || r.endSet['='] {
		t.Fatalf("generic-api-key: end %v, endText %v", r != nil && r.end, r != nil && r.endText)
	}
	text := strings.Repeat("key=", 5000) // 20 KB, no end byte
	var m endMemo
	if r.mayEnd(text, 0, &m) || r.mayEnd(text, 4, &m) {
		t.Error("a candidate with no end byte in reach passed")
	}
	if !r.mayEnd(text, len(text)-r.tail, &m) {
		t.Error("a candidate that reaches the end of the text failed")
	}
	// An end byte right after an earlier candidate, asked out of order.
	text2 := text[:100] + ";" + text[101:]
	m = endMemo{}
	if r.mayEnd(text2, 200, &m) {
		t.Error("the end byte before the candidate counted")
	}
	if !r.mayEnd(text2, 96, &m) || !r.mayEnd(text2, 100, &m) {
		t.Error("the end byte after the candidate was missed")
	}
	if r.mayEnd(text2, 104, &m) {
		t.Error("the memo kept an end byte behind the candidate")
	}
}
