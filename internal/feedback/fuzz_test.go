package feedback

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNormalizeEmail: any form input either is refused with ErrInvalid
// or gives one plain address that normalises to itself.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.org", " Jane.Doe@Example.ORG ", "Jane <j@x.org>", "a@b.c, d@e.f", "\"q\"@x.org", "a@[127.0.0.1]", "@", "<script>@x.org", "\xff@x.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormalizeEmail(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if len(out) > MaxEmail || !strings.Contains(out, "@") || strings.ContainsAny(out, " ,<>\n") || !utf8.ValidString(out) {
			t.Fatalf("NormalizeEmail(%q) = %q", in, out)
		}
		again, err := NormalizeEmail(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
	})
}

// FuzzScreen: screening any text never panics, and an address the email
// detector finds in the masked text was not there to mask.
func FuzzScreen(f *testing.F) {
	s := screener(f)
	for _, x := range []string{"write to a@b.org", "call +1 415 555 0132", "I hate black people, they are animals.", "[EMAIL_1] a@b.org", "\xff\xfe", ""} {
		f.Add(x, "and jane@example.org")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ca, cb := a, b
		r := s.Screen(&ca, &cb)
		if r.Status() != Published && r.Status() != Held {
			t.Fatalf("status %q", r.Status())
		}
		for _, x := range []string{ca, cb} {
			for _, d := range s.mask {
				if d.ID() != "detect.pii.email" {
					continue
				}
				if fs := d.Detect(x); len(fs) > 0 && strings.Contains(a+b, x[fs[0].Start:fs[0].End]) {
					t.Fatalf("address %q left in %q", x[fs[0].Start:fs[0].End], x)
				}
			}
		}
	})
}
