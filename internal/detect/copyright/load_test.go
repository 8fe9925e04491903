package copyright

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadDir(t *testing.T) {
	fsys := fstest.MapFS{
		"b.txt":                 {Data: []byte("\n\n  Second Book  \nbody text")},
		"a.MD":                  {Data: []byte("# A Title\n\nSome words.")},
		"lyrics/song.md":        {Data: []byte("---\ntitle: \"Front Matter Title\"\nartist: x\n---\n# Heading\nla la")},
		"lyrics/rule.md":        {Data: []byte("---\nartist: x\n---\n\n=====\n## Real Title ##\n")},
		"lyrics/.draft.txt":     {Data: []byte("hidden")},
		".git/config.txt":       {Data: []byte("hidden folder")},
		"notes.json":            {Data: []byte("{}")},
		"bom.txt":               {Data: []byte("\ufeffBOM title\nx")},
		"long.txt":              {Data: []byte(strings.Repeat("é", 60) + "\nx")},
		"empty.txt":             {Data: nil},
		"deep/er/nested.txt":    {Data: []byte("nested")},
		"invalid.txt":           {Data: []byte("bad \xff title\nx")},
		"folder.txt/inside.txt": {Data: []byte("a folder named like a file")},
	}
	docs, err := LoadDir(fsys)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var ids []string
	for _, d := range docs {
		got[d.ID] = d.Title
		ids = append(ids, d.ID)
	}
	want := map[string]string{
		"a.MD":                  "A Title",
		"b.txt":                 "Second Book",
		"bom.txt":               "BOM title",
		"deep/er/nested.txt":    "nested",
		"empty.txt":             "",
		"folder.txt/inside.txt": "a folder named like a file",
		"invalid.txt":           "bad \uFFFD title",
		"long.txt":              strings.Repeat("é", 40),
		"lyrics/rule.md":        "Real Title",
		"lyrics/song.md":        "Front Matter Title",
	}
	if len(got) != len(want) {
		t.Errorf("ids %q", ids)
	}
	for id, title := range want {
		if g, ok := got[id]; !ok || g != title {
			t.Errorf("%s: title %q (found %v), want %q", id, g, ok, title)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids not in lexical order: %q", ids)
	}
	if docs[0].Text != "# A Title\n\nSome words." {
		t.Errorf("text %q", docs[0].Text)
	}
}

type failFS struct{ fstest.MapFS }

var errDisk = errors.New("disk on fire")

func (f failFS) Open(name string) (fs.File, error) {
	if strings.HasSuffix(name, "bad.txt") {
		return nil, errDisk
	}
	return f.MapFS.Open(name)
}

func (f failFS) ReadFile(name string) ([]byte, error) {
	if strings.HasSuffix(name, "bad.txt") {
		return nil, errDisk
	}
	return f.MapFS.ReadFile(name)
}

func TestLoadDirError(t *testing.T) {
	_, err := LoadDir(failFS{fstest.MapFS{"ok.txt": {Data: []byte("x")}, "bad.txt": {Data: []byte("y")}}})
	if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "bad.txt") {
		t.Errorf("error %v, want one wrapping %v and naming bad.txt", err, errDisk)
	}
	docs, err := LoadDir(fstest.MapFS{})
	if err != nil || len(docs) != 0 {
		t.Errorf("empty folder: %v, %v", docs, err)
	}
}
