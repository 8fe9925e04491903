package label

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundary enforces the package comment: label depends on
// neither net/http nor database/sql.
func TestImportBoundary(t *testing.T) {
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
			t.Errorf("internal/label depends on %s", strings.TrimSpace(dep))
		}
	}
}
