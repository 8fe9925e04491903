package consensus

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPure enforces the package comment: internal/consensus never depends on
// net/http or database/sql.
func TestPure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-test=false", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for dep := range strings.Lines(string(out)) {
		switch strings.TrimSpace(dep) {
		case "net/http", "database/sql":
			t.Errorf("internal/consensus depends on %s", strings.TrimSpace(dep))
		}
	}
}
