package gateway_test

import (
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/testutil/cputime"
)

// reportCPU adds cpu-ns/op, the process's CPU time per request (the
// garbage collector's included): on a shared machine the CPU a request
// costs varies far less than its wall time. Nothing is reported where the
// platform does not tell the process's CPU time.
func reportCPU(b *testing.B, start time.Duration) {
	if end := cputime.Process(); b.N > 0 && end > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
