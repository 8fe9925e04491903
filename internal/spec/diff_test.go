package spec

import (
	"fmt"
	"os"
	"testing"
)

func TestScratchDiff(t *testing.T) {
	dir := "../../../shared/data/openai-model-spec/"
	files := []string{"versions/model_spec-2025-02-12.md", "versions/model_spec-2025-04-11.md", "versions/model_spec-2025-09-12.md", "versions/model_spec-2025-10-27.md", "model_spec.md"}
	var specs []*Spec
	for _, f := range files {
		src, _ := os.ReadFile(dir + f)
		s, _ := Parse(f, src)
		specs = append(specs, s)
	}
	for i := 1; i < len(specs); i++ {
		d := Diff(specs[i-1], specs[i])
		fmt.Println(FormatDiff(d, DiffTextOptions{}))
		fmt.Printf("SUMMARY %+v\n", d.Summary)
	}
}
