//go:build linux

package builtin

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestLinearTime checks that every deterministic detector takes time linear
// in the length of adversarial text. It compares CPU time, not a clock
// against a limit: sixteen runs on n bytes against one run on 16n bytes,
// the same number of bytes either way. A linear scan costs the same on
// both sides; a quadratic one would cost 16 times more on the long text.
// The test fails above 3 times (plus the 10 ms the thread clock may be off
// by). Each side is the best of three, measured on the thread's CPU time,
// so that other work on the machine does not fail it. It runs under -race
// too, on shorter texts.
func TestLinearTime(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runtime.LockOSThread() // cputime.Thread reads this thread's clock
	defer runtime.UnlockOSThread()
	const (
		factor = 16
		slack  = 3
	)
	small, target := 16<<10, 10*time.Millisecond
	if raceEnabled {
		small, target = 4<<10, 5*time.Millisecond // the race detector slows every access alike
	}
	type input struct {
		name string
		text func(n int) string // about n bytes of it
	}
	inputs := []input{{"dense", func(n int) string { return repeatTo(denseText(4<<10), n) }}}
	for _, a := range adversarialUnits {
		inputs = append(inputs, input{a.name, func(n int) string { return repeatTo(a.unit, n) }})
	}
	// One long run of what a scan walks back over before a candidate: the
	// address scan once looked forward from every byte of such a run.
	inputs = append(inputs,
		input{"comma_run_box", func(n int) string { return strings.Repeat(",", n) + "Box 12" }},
		input{"comma_run_o", func(n int) string { return "word " + strings.Repeat(",", n) + "o 1" }})
	for _, a := range inputs {
		short, long := a.text(small), a.text(small*factor)
		for _, d := range deterministic() {
			// Enough runs for target on the long side (the thread's clock
			// ticks coarsely).
			reps := threadReps(target, func() { d.Detect(long) })
			best := func(f func()) time.Duration { return bestThread(reps, f) }
			tShort := best(func() {
				for range factor {
					d.Detect(short)
				}
			})
			tLong := best(func() { d.Detect(long) })
			t.Logf("%-18s %-14s %d × %d KB: %v, %d × %d KB: %v", d.ID(), a.name, reps*factor, small>>10, tShort, reps, small*factor>>10, tLong)
			if tLong > slack*tShort+10*time.Millisecond {
				t.Errorf("%s on %s: %v for %d × %d KB, %v for %d × %d KB: not linear", d.ID(), a.name, tLong, reps, small*factor>>10, tShort, reps*factor, small>>10)
			}
		}
	}
}
