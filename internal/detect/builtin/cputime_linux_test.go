//go:build linux

package builtin

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/testutil/cputime"
)

// TestSpeedCPU measures what BenchmarkDeterministic measures by the CPU
// time of the thread instead of the wall clock, so that the figures hold on
// a machine shared with other work (each figure is the best of three
// rounds). MODELSPEC_CPUTIME=1 measures the real, 1 KB and dense texts,
// =all also the adversarial ones, and any other value the texts whose name
// starts with it:
//
//	MODELSPEC_CPUTIME=1 go test ./internal/detect/builtin -run TestSpeedCPU -v
func TestSpeedCPU(t *testing.T) {
	if os.Getenv("MODELSPEC_CPUTIME") == "" {
		t.Skip("set MODELSPEC_CPUTIME=1")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ds := deterministic()
	for _, c := range speedCorpora(t) {
		switch env := os.Getenv("MODELSPEC_CPUTIME"); {
		case env == "all":
		case env == "1" && strings.HasPrefix(c.name, "adversarial"):
			continue
		case env != "1" && !strings.HasPrefix(c.name, env):
			continue
		}
		// Each figure is the best of three rounds of at least 100 ms of CPU
		// time (the clock of a thread ticks coarsely).
		mbps := func(f func(string)) float64 {
			pass := func() {
				for _, m := range c.msgs {
					f(m)
				}
			}
			reps := 1
			for {
				c0 := cputime.Thread()
				for range reps {
					pass()
				}
				if cputime.Thread()-c0 >= 100*time.Millisecond {
					break
				}
				reps *= 2
			}
			best := time.Duration(1 << 62)
			for range 3 {
				c0 := cputime.Thread()
				for range reps {
					pass()
				}
				best = min(best, cputime.Thread()-c0)
			}
			return float64(c.size) * float64(reps) / best.Seconds() / 1e6
		}
		var row []string
		add := func(name string, f func(string)) float64 {
			v := mbps(f)
			row = append(row, fmt.Sprintf("%s %.0f", name, v))
			return v
		}
		add("baseline_scan", func(m string) { strings.Count(m, "@") })
		re := add("baseline_regexp", func(m string) { baselineEmail.FindAllStringIndex(m, -1) })
		if !strings.HasPrefix(c.name, "adversarial") {
			for _, d := range ds {
				add(strings.TrimPrefix(d.ID(), "detect."), func(m string) { d.Detect(m) })
			}
		}
		all := add("ALL", func(m string) {
			for _, d := range ds {
				d.Detect(m)
			}
		})
		t.Logf("%s (%d messages, %d bytes), MB/s of CPU time: %s; ALL/baseline_regexp %.2f",
			c.name, len(c.msgs), c.size, strings.Join(row, ", "), all/re)
	}
}
