package fileerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	es := Errors{{Path: "cases.jsonl", Line: 3, Message: `case "a": no id`}, {Path: "cases.jsonl", Message: "too many problems; stopped"}}
	if got, want := es.Error(), "cases.jsonl:3: case \"a\": no id\ncases.jsonl: too many problems; stopped"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var found Errors
	if err := fmt.Errorf("load: %w", es); !errors.As(err, &found) || len(found) != 2 || found[0].Line != 3 {
		t.Errorf("errors.As through a wrap = %v", found)
	}
}
