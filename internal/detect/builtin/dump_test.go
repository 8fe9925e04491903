package builtin

import (
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/modelspec/modelspec/internal/atomicfile"
)

// TestDumpFindings writes the findings of every deterministic detector on
// every speed corpus (adversarial texts cut to 64 KB) to the file named by
// MODELSPEC_FINDINGS_OUT, one JSON line per message and detector. Speed
// work must leave it byte-identical: dump before, change, dump after, cmp.
//
//	MODELSPEC_FINDINGS_OUT=/tmp/before.jsonl go test ./internal/detect/builtin -run TestDumpFindings
func TestDumpFindings(t *testing.T) {
	path := os.Getenv("MODELSPEC_FINDINGS_OUT")
	if path == "" {
		t.Skip("set MODELSPEC_FINDINGS_OUT")
	}
	ds := deterministic()
	err := atomicfile.Write(path, func(f io.Writer) error {
		enc := json.NewEncoder(f) // atomicfile buffers the writes
		for _, c := range speedCorpora(t) {
			for i, m := range c.msgs {
				if len(m) > 64<<10 {
					m = m[:64<<10]
				}
				for _, d := range ds {
					if err := enc.Encode(map[string]any{"corpus": c.name, "msg": i, "detector": d.ID(), "findings": d.Detect(m)}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
