package copyright

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"
)

// LoadDir reads the protected texts in fsys: every file whose name ends in
// .txt or .md (any case), in every folder, in lexical order, skipping files
// and folders whose names start with a dot. The caller opens the folder
// (os.DirFS(dir)); LoadDir is for start-up, the detector itself does no I/O.
//
// A document's ID is its slash-separated path in fsys, e.g.
// "lyrics/harbour.md"; its Title is its first non-blank line with any
// Markdown heading marks removed, cut to 80 bytes. An empty folder gives no
// documents and no error.
func LoadDir(fsys fs.FS) ([]Document, error) {
	var docs []Document
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(path.Ext(p)) {
		case ".txt", ".md":
		default:
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		text := string(b)
		docs = append(docs, Document{ID: p, Title: title(text), Text: text})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load protected texts: %w", err)
	}
	return docs, nil
}

// maxTitleLen bounds a title read from a file, in bytes.
const maxTitleLen = 80

// title is the "title:" of a leading YAML front matter block, or else the
// first line of text after it that holds more than Markdown marks, without
// heading marks or a byte-order mark, cut on a rune boundary to maxTitleLen
// bytes.
func title(text string) string {
	text = strings.TrimPrefix(text, "\ufeff")
	if rest, ok := strings.CutPrefix(text, "---\n"); ok {
		if fm, body, ok := strings.Cut(rest, "\n---"); ok {
			for line := range strings.Lines(fm) {
				if v, ok := strings.CutPrefix(line, "title:"); ok {
					if t := strings.Trim(strings.TrimSpace(v), `"'`); t != "" {
						return cut(t)
					}
				}
			}
			text = body
			if i := strings.IndexByte(text, '\n'); i >= 0 {
				text = text[i+1:] // the rest of the closing line
			} else {
				text = ""
			}
		}
	}
	for line := range strings.Lines(text) {
		t := strings.TrimSpace(line)
		if h := strings.TrimLeft(t, "#"); len(h) < len(t) {
			t = strings.TrimSpace(strings.TrimRight(h, "# \t")) // an ATX heading
		}
		if strings.Trim(t, "-=*_ \t") == "" {
			continue // blank, or a Markdown rule or underline
		}
		return cut(t)
	}
	return ""
}

// cut cuts t on a rune boundary to maxTitleLen bytes and makes it valid UTF-8.
func cut(t string) string {
	if len(t) > maxTitleLen {
		i := maxTitleLen
		for i > 0 && !utf8.RuneStart(t[i]) {
			i--
		}
		t = strings.TrimSpace(t[:i])
	}
	return strings.ToValidUTF8(t, "\uFFFD")
}
