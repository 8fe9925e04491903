package spec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// BenchmarkGoldmarkOpenAI is the baseline for BenchmarkParseOpenAI: a plain
// CommonMark parse (to an AST, no rendering) of the same file by goldmark,
// with heading attributes on, measured in the same run.
func BenchmarkGoldmarkOpenAI(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(openaiDir, "model_spec.md"))
	if err != nil {
		b.Skip(err)
	}
	md := goldmark.New(goldmark.WithParserOptions(parser.WithAttribute()))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		md.Parser().Parse(text.NewReader(src))
	}
}
