package pii

import (
	"regexp"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
)

// benchText returns about n bytes of mixed text: chat and e-mail prose with
// a few pieces of personal data in every kilobyte, cut on a rune boundary.
func benchText(n int) string {
	const para = "Hi team, following up on yesterday's call with the customer. She said the order from March never arrived " +
		"and asked us to update her details: new phone 415-555-2671, e-mail jane.roe@example.com, shipping to 42 Elm Street Apt. 5, " +
		"Springfield, IL 62704. The refund goes back to the card ending in 1111. Dr. Emily Johnson from the clinic will confirm. " +
		"Our server at 203.0.113.45 logged the request at 12:30:45; the ticket number is 88231 and the total was $2,099.00. " +
		"Zürich office: Bahnhofstraße 12, Tel. +41 44 668 18 00. Thanks again, and see you on Monday!\n" +
		"The quarterly report covers 14 countries and 2,000 survey answers; nothing else in this paragraph is personal at all.\n"
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(para)
	}
	s := b.String()[:n]
	for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 {
		s = s[:len(s)-1]
	}
	return s
}

// adversarial inputs, by name: each makes some detector's candidate scan
// work hard.
var adversarial = map[string]func(n int) string{
	"digits":       func(n int) string { return strings.Repeat("1234567890", n/10) },
	"digit groups": func(n int) string { return strings.Repeat("415 555 2671 ", n/13) },
	"at signs":     func(n int) string { return strings.Repeat("a@", n/2) },
	"dots":         func(n int) string { return strings.Repeat("1.2.3.4.", n/8) },
	"colons":       func(n int) string { return strings.Repeat("a:b:", n/4) },
	"capitals":     func(n int) string { return strings.Repeat("Emily Johnson ", n/14) },
	"streets":      func(n int) string { return strings.Repeat("12 Main Street ", n/15) },
	"invalid utf8": func(n int) string { return strings.Repeat("\xff\xc3(\xe2\x80", n/5) },
}

func benchDetector(b *testing.B, d detect.Detector, text string) {
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(text)
	}
}

// BenchmarkDetect runs each detector and all of them together on 1 KB and
// 100 KB of mixed text.
func BenchmarkDetect(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KB", 1 << 10}, {"100KB", 100 << 10}} {
		text := benchText(size.n)
		for _, d := range All() {
			b.Run(strings.TrimPrefix(d.ID(), IDPrefix)+"/"+size.name, func(b *testing.B) { benchDetector(b, d, text) })
		}
		b.Run("all/"+size.name, func(b *testing.B) { benchDetector(b, allDetector{}, text) })
	}
}

// BenchmarkBaseline is the same text through one pass of a plain regexp
// for e-mail addresses and one strings.Count, for the ratio.
func BenchmarkBaseline(b *testing.B) {
	re := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	for _, size := range []struct {
		name string
		n    int
	}{{"1KB", 1 << 10}, {"100KB", 100 << 10}} {
		text := benchText(size.n)
		b.Run("regexp-email/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				re.FindAllStringIndex(text, -1)
			}
		})
		b.Run("strings.Count/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				strings.Count(text, "@")
			}
		})
	}
}

// BenchmarkAdversarial runs every detector on 1 MB of each adversarial
// input; BenchmarkLarge runs them on a 10 MB message.
func BenchmarkAdversarial(b *testing.B) {
	for name, gen := range adversarial {
		text := gen(1 << 20)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) { benchDetector(b, allDetector{}, text) })
	}
}

func BenchmarkLarge10MB(b *testing.B) { benchDetector(b, allDetector{}, benchText(10<<20)) }

// allDetector runs All() in turn.
type allDetector struct{}

var allDetectors = All()

func (allDetector) ID() string { return "all" }
func (allDetector) Detect(text string) []detect.Finding {
	var out []detect.Finding
	for _, d := range allDetectors {
		out = append(out, d.Detect(text)...)
	}
	return out
}
