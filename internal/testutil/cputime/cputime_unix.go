//go:build unix

package cputime

import (
	"syscall"
	"time"
)

func process() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// rusage returns the user and system CPU time getrusage(2) gives for who,
// or 0 when it fails.
func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
