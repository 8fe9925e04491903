//go:build linux

package copyright

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/testutil/cputime"
)

// TestCPUTime measures throughput in CPU time of the calling thread rather
// than wall time, which on a shared, loaded machine says more about the
// code than go test -bench can. It runs only when asked:
//
//	MODELSPEC_CPUTIME=1 go test ./internal/detect/copyright -run TestCPUTime -v
//
// The 1 KB figures cycle through 64 different texts. Each figure is the best of five rounds of at least 300 ms of CPU time.
// Build is left out: much of its cost is garbage collection, which runs on
// other threads and would not be counted.
func TestCPUTime(t *testing.T) {
	if os.Getenv("MODELSPEC_CPUTIME") == "" {
		t.Skip("set MODELSPEC_CPUTIME=1 to measure")
	}
	docs := corpus()
	h1, h100 := pieces(1<<10), haystack(100<<10)
	accented := strings.ReplaceAll(h100, "e", "é")[:100<<10]
	big, small := New(bigIndex()), New(index(t))
	var sc scanner
	var ws []word
	i := 0 // which 1 KB text
	for _, c := range []struct {
		name  string
		bytes int
		fn    func()
	}{
		{"baseline FNV-1a 10 MB", corpusSize, func() {
			for _, d := range docs {
				sink += fnv1a(d.Text)
			}
		}},
		{"tokenize 10 MB", corpusSize, func() {
			for _, d := range docs {
				ws = sc.appendWords(ws[:0], d.Text)
			}
		}},
		{"Detect 1 KB, 10 MB index", 1 << 10, func() { big.Detect(h1[i%len(h1)]); i++ }},
		{"Detect 100 KB, 10 MB index", len(h100), func() { big.Detect(h100) }},
		{"Detect 100 KB, 9 KB index", len(h100), func() { small.Detect(h100) }},
		{"Detect 100 KB accented, 10 MB index", len(accented), func() { big.Detect(accented) }},
		{"baseline FNV-1a 1 KB", 1 << 10, func() { sink += fnv1a(h1[i%len(h1)]); i++ }},
		{"baseline FNV-1a 100 KB", len(h100), func() { sink += fnv1a(h100) }},
	} {
		t.Logf("%-36s %7.1f MB/s of CPU time", c.name, cpuRate(c.fn, c.bytes))
	}
}

func cpuRate(fn func(), bytes int) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best := 0.0
	for range 5 {
		t0 := cputime.Thread()
		n := 0
		for cputime.Thread()-t0 < 300*time.Millisecond {
			fn()
			n++
		}
		best = max(best, float64(n*bytes)/(cputime.Thread()-t0).Seconds()/1e6)
	}
	return best
}
