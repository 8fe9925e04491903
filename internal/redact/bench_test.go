package redact

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
)

// benchMasked returns about n bytes of masked text: prose with a
// placeholder every 100 bytes or so, and the masker that made it.
func benchMasked(n int) (*Masker, string, string, []detect.Finding) {
	const para = "Hello Ann Lee, thanks for writing from ann@example.com about the order; we will call 415-555-2671 today. "
	var b strings.Builder
	var fs []detect.Finding
	for b.Len() < n {
		off := b.Len()
		b.WriteString(para)
		fs = append(fs,
			detect.Finding{Start: off + 6, End: off + 13, Category: "person"},
			detect.Finding{Start: off + 35, End: off + 50, Category: "email"},
			detect.Finding{Start: off + 85, End: off + 97, Category: "phone"})
	}
	text := b.String()
	m := NewMasker()
	return m, text, m.Mask(text, fs), fs
}

func BenchmarkMask(b *testing.B) {
	for _, n := range []int{1 << 10, 100 << 10} {
		_, text, _, fs := benchMasked(n)
		b.Run(sizeName(n), func(b *testing.B) {
			m := NewMasker()
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				m.Mask(text, fs)
			}
		})
	}
}

func BenchmarkRestore(b *testing.B) {
	for _, n := range []int{1 << 10, 100 << 10} {
		m, _, masked, _ := benchMasked(n)
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(len(masked)))
			b.ReportAllocs()
			for b.Loop() {
				m.Restore(masked)
			}
		})
	}
}

// BenchmarkStream restores in chunks of 16 bytes, as a model streams.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{1 << 10, 100 << 10} {
		m, _, masked, _ := benchMasked(n)
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(len(masked)))
			b.ReportAllocs()
			for b.Loop() {
				s := NewStreamRestorer(m.Vault())
				for i := 0; i < len(masked); i += 16 {
					s.Write(masked[i:min(len(masked), i+16)])
				}
				s.Flush()
			}
		})
	}
}

// BenchmarkBaselineRegexp is one regexp pass finding the placeholders of the
// same masked text and a strings.Replacer over the vault, for the ratio.
func BenchmarkBaselineRegexp(b *testing.B) {
	re := regexp.MustCompile(`\[[A-Z0-9_]+_[0-9]+\]`)
	for _, n := range []int{1 << 10, 100 << 10} {
		m, _, masked, _ := benchMasked(n)
		var pairs []string
		for _, p := range m.Vault().Placeholders() {
			v, _ := m.Vault().Get(p)
			pairs = append(pairs, p, v)
		}
		r := strings.NewReplacer(pairs...)
		b.Run("regexp/"+sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(len(masked)))
			for b.Loop() {
				re.FindAllStringIndex(masked, -1)
			}
		})
		b.Run("replacer/"+sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(len(masked)))
			for b.Loop() {
				r.Replace(masked)
			}
		})
	}
}

// BenchmarkRestoreAdversarial restores 1 MB of brackets and partial
// placeholders.
func BenchmarkRestoreAdversarial(b *testing.B) {
	m, _, _, _ := benchMasked(1 << 10)
	text := strings.Repeat("[PERSON_", 1<<20/8)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Restore(text)
	}
}

func sizeName(n int) string { return strconv.Itoa(n>>10) + "KB" }
