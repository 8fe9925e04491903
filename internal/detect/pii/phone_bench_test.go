package pii

import (
	"strings"
	"testing"
)

// BenchmarkPhoneAdversarial runs the phone detector alone on 1 MB of each
// adversarial input (BenchmarkAdversarial runs all detectors together).
//
//	go test ./internal/detect/pii -run '^$' -bench PhoneAdversarial -benchtime 20x
func BenchmarkPhoneAdversarial(b *testing.B) {
	d := NewPhone()
	d.Detect("+44 20 7946 0958, 212-555-0199") // builds the numbering plans outside the timing
	for name, gen := range adversarial {
		text := gen(1 << 20)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) { benchDetector(b, d, text) })
	}
}
