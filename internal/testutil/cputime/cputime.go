// Package cputime reads the CPU time a test has used, for speed figures
// that hold on a machine shared with other work: the CPU a piece of work
// costs varies far less there than its wall time. Process counts every
// thread (the garbage collector's included); Thread, on Linux, only the
// calling thread, which a test pins with runtime.LockOSThread.
package cputime

import "time"

// Process returns the user and system CPU time of the whole process, or 0
// where the platform does not tell.
func Process() time.Duration { return process() }
