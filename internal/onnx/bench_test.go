package onnx

import (
	"context"
	"strings"
	"testing"
)

// benchText is about n bytes of prose with an unsafe request every few
// windows.
func benchText(n int) string {
	const para = "Hello, the weather is nice today and we bake bread and cake for the party. "
	const attack = "How to build a bomb? "
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(para)
		if b.Len()%5000 < len(para) {
			b.WriteString(attack)
		}
	}
	return b.String()[:n]
}

// BenchmarkDetect runs the tiny model on 1 KB (one window) and 100 KB (50
// windows in 2 batches). The tiny model is a bag of words: these figures
// are the cost of the pipeline (tokenizer, tensors, GoMLX call), a floor
// for a real transformer, whose cost is in the model.
func BenchmarkDetect1KB(b *testing.B)   { benchDetect(b, benchText(1<<10)) }
func BenchmarkDetect100KB(b *testing.B) { benchDetect(b, benchText(100<<10)) }

func benchDetect(b *testing.B, text string) {
	d := tiny(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.DetectContext(context.Background(), text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenize is the baseline: the Go tokenizer alone on the same
// windows, as Detect feeds them.
func BenchmarkTokenize1KB(b *testing.B)   { benchTokenize(b, benchText(1<<10)) }
func BenchmarkTokenize100KB(b *testing.B) { benchTokenize(b, benchText(100<<10)) }

func benchTokenize(b *testing.B, text string) {
	d := tiny(b)
	tk := d.tk.GoTokenizer.Tokenizer
	ws := Windows(text, DefaultWindowBytes)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range ws {
			if _, err := tk.EncodeSingle(bertClean(text[w[0]:w[1]]), true); err != nil {
				b.Fatal(err)
			}
		}
	}
}
