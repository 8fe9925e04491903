package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
)

// BenchRecord is the record the benchmarks append: a typical decision with
// three findings, two clauses and two overrides (about 1.3 KB of JSON).
func BenchRecord(id string, t time.Time) decisionlog.Record {
	r := Full(id, t)
	r.Clauses = r.Clauses[:2]
	r.Latencies.Total = 300 * time.Millisecond
	return r
}

var benchSeq atomic.Int64

// Bench measures Append on stores from open, one goroutine at a time and
// from 8 goroutines, next to the baseline of encoding the same record to
// JSON alone (which any log does). Each reports records/s.
func Bench(b *testing.B, open func(tb testing.TB) store.DecisionLog) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("json/goroutines=%d", workers), func(b *testing.B) {
			run(b, workers, func(i int64) error {
				_, err := json.Marshal(BenchRecord(fmt.Sprintf("bench-%d", i), base))
				return err
			})
		})
		b.Run(fmt.Sprintf("append/goroutines=%d", workers), func(b *testing.B) {
			s := open(b)
			run(b, workers, func(i int64) error {
				return s.Append(context.Background(), BenchRecord(fmt.Sprintf("bench-%d", i), base.Add(time.Duration(i))))
			})
		})
	}
}

// run calls op b.N times, spread over workers goroutines, and reports the
// rate.
func run(b *testing.B, workers int, op func(i int64) error) {
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	var next atomic.Int64
	next.Store(int64(b.N))
	for range workers {
		wg.Go(func() {
			for next.Add(-1) >= 0 {
				if err := op(benchSeq.Add(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
