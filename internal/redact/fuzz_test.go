package redact

import (
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
)

// FuzzStreamRestorer cuts the text into chunks at the lengths given by
// cuts and checks that streaming restores exactly what Restore does, and
// never holds back as much as the longest placeholder.
func FuzzStreamRestorer(f *testing.F) {
	f.Add("Dear [PERSON_1], [EMAIL_1] [EMAIL_", []byte{3, 1, 7, 2})
	f.Add("[[[[EMAIL_1]]]] [CARD_1][CARD_1] [PERSON_1", []byte{1, 1, 1, 1, 1})
	f.Add("\xff[\xc3EMAIL_1]é[PHONE_1]", []byte{5, 0, 9})
	m := NewMasker()
	m.Mask("Ann ann@x.io 555-0100 4111111111111111", []detect.Finding{
		{Start: 0, End: 3, Category: "person"}, {Start: 4, End: 12, Category: "email"},
		{Start: 13, End: 21, Category: "phone"}, {Start: 22, End: 38, Category: "card"},
	})
	v := m.Vault()
	f.Fuzz(func(t *testing.T, text string, cuts []byte) {
		want := Restore(v, text)
		var chunks []string
		rest := text
		for _, c := range cuts {
			n := min(len(rest), int(c)%16)
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		chunks = append(chunks, rest)
		if got := stream(t, v, chunks...); got != want {
			t.Fatalf("chunks %q: %q, want %q", chunks, got, want)
		}
	})
}

// FuzzMaskRestore masks the text at spans taken from spans and checks that
// Restore gives it back.
func FuzzMaskRestore(f *testing.F) {
	f.Add("mail jane@example.com now [EMAIL_1]", []byte{5, 16, 0, 3})
	f.Add("\xff[PERSON_1é", []byte{0, 2, 1, 1})
	cats := []string{"email", "phone", "person"}
	f.Fuzz(func(t *testing.T, text string, spans []byte) {
		var fs []detect.Finding
		for i := 0; i+1 < len(spans); i += 2 {
			s := int(spans[i])
			fs = append(fs, detect.Finding{Start: s, End: s + int(spans[i+1])%24, Category: cats[i/2%len(cats)]})
		}
		m := NewMasker()
		masked := m.Mask(text, fs)
		if back := m.Restore(masked); back != text {
			t.Fatalf("Restore(Mask(%q)) = %q (masked %q)", text, back, masked)
		}
		if len(fs) == 0 && masked != text {
			t.Fatalf("no findings, but masked %q", masked)
		}
		_ = strings.Builder{}
	})
}
