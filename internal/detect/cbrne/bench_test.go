package cbrne_test

import (
	"testing"

	"github.com/modelspec/modelspec/internal/detect/cbrne"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

// BenchmarkReal screens the real messages of detecttest.RealMessages one
// by one, as the gateway would.
func BenchmarkReal(b *testing.B) {
	srcs := dt.RealMessages(b)
	if srcs == nil {
		b.Skip("no data")
	}
	var msgs []string
	size := 0
	for _, s := range srcs {
		for _, m := range s.Msgs {
			msgs = append(msgs, m)
			size += len(m)
		}
	}
	d := cbrne.New()
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, m := range msgs {
			d.Detect(m)
		}
	}
}
