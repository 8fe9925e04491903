package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// refHasCueIn is hasCueIn as it was before its speed work (commit
// a0ab58e): the window lowered into a copy and searched for every
// occurrence of every cue.
func refHasCueIn(text string, from, to int, cues []string) bool {
	var arr [128]byte
	w := lowerWindow(arr[:0], text, from, min(to, max(0, from)+len(arr)))
	s := string(w)
	for _, c := range cues {
		for off := 0; ; {
			i := strings.Index(s[off:], c)
			if i < 0 {
				break
			}
			i += off
			j := i + len(c)
			if (i == 0 || !isAlnum(s[i-1])) && (j == len(s) || !isAlnum(s[j])) {
				return true
			}
			off = i + 1
		}
	}
	return false
}

// cueLists are the cue lists of the detectors, for the comparisons.
var cueLists = [][]string{addressCues, dobCues, cardCues, ssnCues, ipCues, versionCues, {"x", "ss#", "d.o.b", "née"}}

// checkCues fails t unless hasCueIn agrees with refHasCueIn on every
// window of text that starts and ends near each of its bytes, for every
// cue list.
func checkCues(t *testing.T, text string) {
	t.Helper()
	for _, cues := range cueLists {
		for from := -3; from <= len(text)+1; from++ {
			for _, to := range []int{from - 1, from, from + 1, from + 5, from + 12, from + cueWindow, from + 200} {
				if got, want := hasCueIn(text, from, to, cues), refHasCueIn(text, from, to, cues); got != want {
					t.Fatalf("hasCueIn(%q, %d, %d, %q) = %v, reference %v", text, from, to, cues, got, want)
				}
			}
		}
	}
}

func TestHasCueInMatchesReference(t *testing.T) {
	texts := []string{
		"", "b", "B.", "I was born on", "BORN: 1/2/1980", "Date of Birth 3.4.1999", "unborn 12", "d.o.b. 12",
		"ship to 12 Main St", "SHIP  TO 12", "shipto 12", "Née 1980", "NÉE 1980", "ss# 078-05-1120",
		"my ssn is", "soc sec no.", "credit-card 4111", "version 1.2.3.4", "v1.2.3.4", "chapter 5.6.7.8",
		strings.Repeat("address ", 30) + "12", strings.Repeat("x", 130) + " born",
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pieces := []string{" ", "born", "B", "dob", "D.O.B", "of", "birth", "address", "to", "ship", "1", "x", "-", "#", "é", "É", "\xff", "\n", "ss", "#"}
	for range 300 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		checkCues(t, s)
	}
}

func FuzzHasCueIn(f *testing.F) {
	f.Add("I was born on 1/2/1980, ship to 12 Main St")
	f.Add("SS# 078-05-1120 NÉE née d.o.b.")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 300 {
			text = text[:300]
		}
		checkCues(t, text)
	})
}
