package secrets

import (
	"strings"
	"testing"
	"time"
)

// TestAdversarial runs Detect on 64 KB texts built to make the rules work
// hard (a keyword every few bytes, long runs that keep a match going, a
// private key header with no end) and logs the time each takes; the test
// fails only if one takes more than a minute, which would mean the cost is
// no longer linear.
func TestAdversarial(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow; timings under -race mean nothing")
	}
	const n = 64 << 10
	for name, unit := range map[string]string{
		"key=":             "key=",
		"api_key = value ": "api_key = 'abcdefghijkl' ",
		"ey":               " eyJ",
		"begin":            "-----BEGIN PRIVATE KEY-----",
		"begin run":        "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("A", 4096),
		"curl":             "curl -H ",
		"webhook":          "webhookb2 ",
		"long run":         "token=" + strings.Repeat("a", 20000) + " ",
		"s.":               " s.",
	} {
		text := strings.Repeat(unit, n/len(unit)+1)[:n]
		start := time.Now()
		fs := New().Detect(text)
		el := time.Since(start)
		t.Logf("%-18s %8.1f ms  %6.1f MB/s  %d findings", name, el.Seconds()*1000, float64(n)/el.Seconds()/1e6, len(fs))
		if el > time.Minute {
			t.Errorf("%s: %v for 64 KB", name, el)
		}
	}
}
