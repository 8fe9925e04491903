package cputime

import (
	"runtime"
	"testing"
)

// TestAdvances: burning CPU moves both clocks forward.
func TestAdvances(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, t0 := Process(), Thread()
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	_ = x
	if Process() <= p0 || Thread() <= t0 {
		t.Errorf("clocks did not advance: process %v -> %v, thread %v -> %v", p0, Process(), t0, Thread())
	}
}
