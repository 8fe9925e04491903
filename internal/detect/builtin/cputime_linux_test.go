//go:build linux

package builtin

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
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
		var row []string
		add := func(name string, f func(string)) float64 {
			v := float64(c.size) / threadNs(c, f) * 1e3
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

// threadNs returns the thread's CPU time, in nanoseconds, for f on every
// message of c: the best of three rounds of at least 100 ms (the clock of
// a thread ticks coarsely), divided by the passes a round made.
func threadNs(c corpus, f func(string)) float64 {
	pass := func() {
		for _, m := range c.msgs {
			f(m)
		}
	}
	reps := threadReps(100*time.Millisecond, pass)
	return float64(bestThread(reps, pass).Nanoseconds()) / float64(reps)
}

// threadReps returns how many runs of f take the thread at least target of
// CPU time, a power of two.
func threadReps(target time.Duration, f func()) int {
	for reps := 1; ; reps *= 2 {
		c0 := cputime.Thread()
		for range reps {
			f()
		}
		if cputime.Thread()-c0 >= target {
			return reps
		}
	}
}

// bestThread returns the thread's CPU time for reps runs of f, the best of
// three rounds.
func bestThread(reps int, f func()) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		c0 := cputime.Thread()
		for range reps {
			f()
		}
		best = min(best, cputime.Thread()-c0)
	}
	return best
}

// TestSpeedShares measures, on all real text, what each deterministic
// detector adds to the whole set run one after another on every message
// (the set's time less that of the others) beside its time alone. Where
// the two differ, running between the others costs it, or them, cache
// misses: the figure to lower for the set together.
//
//	MODELSPEC_CPUTIME=shares go test ./internal/detect/builtin -run TestSpeedShares -v
func TestSpeedShares(t *testing.T) {
	if os.Getenv("MODELSPEC_CPUTIME") != "shares" {
		t.Skip("set MODELSPEC_CPUTIME=shares")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var c corpus
	for _, cc := range speedCorpora(t) {
		if cc.name == "real" {
			c = cc
		}
	}
	if c.size == 0 {
		t.Skip("no real text in " + detecttest.DataDir())
	}
	run := func(ds []detect.Detector) func(string) {
		return func(m string) {
			for _, d := range ds {
				d.Detect(m)
			}
		}
	}
	perByte := func(ds []detect.Detector) float64 { return threadNs(c, run(ds)) / float64(c.size) }
	ds := deterministic()
	best, sum := 1e9, 0.0
	for i, d := range ds {
		alone := perByte(ds[i : i+1])
		// The set measured again beside the others each time, so that a
		// change in the machine's load between the two shows less.
		all := perByte(ds)
		others := perByte(append(slices.Clone(ds[:i]), ds[i+1:]...))
		best, sum = min(best, all), sum+alone
		t.Logf("%-20s alone %.2f ns/byte, in the set %.2f (the set %.2f)", d.ID(), alone, all-others, all)
	}
	t.Logf("the %d together %.2f ns/byte (%.0f MB/s), their times alone summed %.2f", len(ds), best, 1e3/best, sum)
}
