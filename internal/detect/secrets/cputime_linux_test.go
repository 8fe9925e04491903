//go:build linux

package secrets

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/detect/detecttest"

	"github.com/modelspec/modelspec/internal/testutil/cputime"
)

// TestCPUThroughput measures what the benchmarks measure, by the CPU time
// of the thread rather than the wall clock, so that the figures hold on a
// machine shared with other work:
//
//	SECRETS_CPUTIME=1 go test ./internal/detect/secrets -run TestCPUThroughput -v
func TestCPUThroughput(t *testing.T) {
	if os.Getenv("SECRETS_CPUTIME") == "" {
		t.Skip("set SECRETS_CPUTIME=1")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	texts := []struct{ name, text string }{{"1KB", benchText(1 << 10)}, {"100KB", benchText(100 << 10)}}
	if b, err := os.ReadFile(filepath.Join(detecttest.DataDir(), "openai-model-spec", "model_spec.md")); err == nil {
		texts = append(texts, struct{ name, text string }{"model spec", string(b)})
	}
	d := New()
	for _, x := range texts {
		iters := 32 << 20 / len(x.text)
		per := func(f func()) (time.Duration, float64) {
			f()
			c0 := cputime.Thread()
			for range iters {
				f()
			}
			c := (cputime.Thread() - c0) / time.Duration(iters)
			return c, float64(len(x.text)) / c.Seconds() / 1e6
		}
		dt, dmb := per(func() { d.Detect(x.text) })
		_, bmb := per(func() { awsRule.MatchString(x.text) })
		var hits []hit
		_, kmb := per(func() { hits = d.set().kw.find(x.text, hits[:0]) })
		t.Logf("%-10s Detect %9v/op %6.1f MB/s; baseline one regexp %6.1f MB/s; keyword pass alone %6.1f MB/s", x.name, dt, dmb, bmb, kmb)
	}
}
