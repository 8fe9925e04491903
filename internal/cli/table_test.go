package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// countingWriter counts the Write calls made on it: each is a system call
// when the writer is os.Stdout.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// TestTableOutputBuffered: a table of thousands of rows reaches stdout in
// a few large writes, not one per cell (text/tabwriter's own way).
func TestTableOutputBuffered(t *testing.T) {
	text := strings.Repeat("Call Emily Johnson at 415-555-2671 about the invoice.\n", 2000)
	var out countingWriter
	var errOut bytes.Buffer
	if code := Main(context.Background(), []string{"screen", writeFile(t, "many.txt", text)}, &out, &errOut); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	rows := strings.Count(out.String(), "\n") - 1
	if rows < 4000 || !strings.Contains(out.String(), `"415-555-2671"`) {
		t.Fatalf("%d rows:\n%.300s", rows, out.String())
	}
	// The bytes in 4 KB writes, with room to spare.
	if most := out.Len()/4096 + 10; out.writes > most {
		t.Errorf("%d rows in %d writes, want at most %d", rows, out.writes, most)
	}
}
