package cputime

import (
	"syscall"
	"time"
)

// Thread returns the user and system CPU time of the calling OS thread
// (RUSAGE_THREAD). The caller must hold the thread with
// runtime.LockOSThread for the figure to mean anything.
func Thread() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
