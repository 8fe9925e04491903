package cputime

import (
	"syscall"
	"time"
)

// Thread returns the user and system CPU time of the calling OS thread
// (RUSAGE_THREAD). The caller must hold the thread with
// runtime.LockOSThread for the figure to mean anything.
func Thread() time.Duration { return rusage(syscall.RUSAGE_THREAD) }
