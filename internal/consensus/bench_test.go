package consensus

import (
	"fmt"
	"testing"
)

// BenchmarkBuild is the baseline: building the matrix from the votes,
// the least any analysis must do.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100, 1000} {
		cs, _ := noisy(rng(1), 3, n/3, 40, 0.1, 0.3)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Build(cs, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnalyze is the whole analysis (PCA, k = 2..5 with 10 restarts
// each, silhouettes, scores) on 40 statements.
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{100, 1000} {
		cs, _ := noisy(rng(1), 3, n/3, 40, 0.1, 0.3)
		m, err := Build(cs, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Analyze(m, Options{Rand: rng(2)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
