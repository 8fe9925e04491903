package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/fakeupstream"
)

// benchText is about 1 KB of prose with an SSN near the end.
func benchText() string {
	const para = "Thanks for the update on the quarterly numbers; the team will review the draft before Friday and send comments. "
	s := strings.Repeat(para, 9)
	return s[:1000-len("SSN 078-05-1120.")] + "SSN 078-05-1120."
}

const benchVerdict = `{"violates":true,"score":0.97,"span":"078-05-1120","reason":"an SSN"}`

// BenchmarkFakeDirect is the baseline for BenchmarkJudgeRoundTrip: the same
// request body posted to the same fake (0 ms latency) with the same client,
// the response read but not decoded.
func BenchmarkFakeDirect(b *testing.B) {
	up := fakeupstream.Start(b, fakeupstream.Options{Reply: fakeupstream.Fixed(benchVerdict)})
	body, err := json.Marshal(Request("judge-model", privacy, benchText()))
	if err != nil {
		b.Fatal(err)
	}
	c := up.HTTP.Client()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Post(up.BaseURL+"/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatal(res.Status)
		}
	}
}

// BenchmarkJudgeRoundTrip is one DetectContext against the fake at 0 ms:
// prompt, encode, post, decode, parse the verdict, locate the span.
func BenchmarkJudgeRoundTrip(b *testing.B) {
	up := fakeupstream.Start(b, fakeupstream.Options{Reply: fakeupstream.Fixed(benchVerdict)})
	d := New(Config{BaseURL: up.BaseURL, Model: "judge-model", Clause: privacy, HTTPClient: up.HTTP.Client()})
	text := benchText()
	b.ReportAllocs()
	for b.Loop() {
		fs, err := d.DetectContext(context.Background(), text)
		if err != nil || len(fs) != 1 {
			b.Fatal(fs, err)
		}
	}
}

func BenchmarkParseVerdict(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseVerdict(benchVerdict); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocateFuzzy1KB is the slow path of Locate (the quote differs in
// case and spacing) on 1 KB; BenchmarkLocateVerbatim1KB is its fast path,
// a plain strings.Index, as the baseline.
func BenchmarkLocateFuzzy1KB(b *testing.B) {
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ev := Locate(text, "ssn  078-05-1120"); ev != EvidenceFuzzySpan {
			b.Fatal(ev)
		}
	}
}

func BenchmarkLocateVerbatim1KB(b *testing.B) {
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ev := Locate(text, "SSN 078-05-1120"); ev != EvidenceSpan {
			b.Fatal(ev)
		}
	}
}
