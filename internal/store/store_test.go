package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
)

func TestCursor(t *testing.T) {
	for _, r := range []decisionlog.Record{
		{ID: "01JX", Time: time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.UTC)},
		{ID: "with/slash and spaces", Time: time.Unix(0, 0)},
		{ID: "before-1970", Time: time.Date(1960, 1, 1, 0, 0, 0, 999, time.UTC)},
	} {
		p, err := store.ParseCursor(store.Cursor(r))
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != r.ID || p.Micros != r.Time.Truncate(store.TimePrecision).UnixMicro() {
			t.Errorf("cursor of %s %v = %+v", r.ID, r.Time, p)
		}
	}
	for _, bad := range []string{"", "***", "MTIz", "eC95"} { // "", junk, "123", "x/y"
		if _, err := store.ParseCursor(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ParseCursor(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(store.Cursor(decisionlog.Record{ID: "x", Time: time.Unix(1, 2000)}))
	f.Add("")
	f.Fuzz(func(t *testing.T, c string) {
		p, err := store.ParseCursor(c)
		if err != nil {
			return
		}
		// A cursor that parses, made again, parses to the same position.
		q, err := store.ParseCursor(store.Cursor(decisionlog.Record{ID: p.ID, Time: time.UnixMicro(p.Micros)}))
		if err != nil || q != p {
			t.Errorf("%q: %+v then %+v, %v", c, p, q, err)
		}
	})
}

// TestPrepareFilter: time bounds round up to the microsecond, so that
// stored microseconds compare as the exact times would.
func TestPrepareFilter(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 5000, time.UTC)
	for _, c := range []struct {
		t    time.Time
		want int64
	}{
		{at, at.UnixMicro()},
		{at.Add(1), at.UnixMicro() + 1},
		{at.Add(-1), at.UnixMicro()},
		{time.Unix(-1, 1), -999999},
	} {
		q, err := store.PrepareFilter(store.Filter{Since: c.t, Until: c.t})
		if err != nil || !q.HasSince || q.SinceMicros != c.want || q.UntilMicros != c.want {
			t.Errorf("%v: %+v, %v; want %d", c.t, q, err, c.want)
		}
	}
	q, _ := store.PrepareFilter(store.Filter{})
	if q.HasSince || q.HasUntil || q.Limit != store.DefaultLimit || q.After != nil {
		t.Errorf("zero filter = %+v", q)
	}
}

func TestNormalize(t *testing.T) {
	r := decisionlog.Record{Version: 1, ID: "n", Time: time.Date(2025, 1, 1, 5, 0, 0, 1999, time.FixedZone("X", 3600)), App: "a\x00b\xff"}
	n, err := store.Normalize(r)
	if err != nil {
		t.Fatal(err)
	}
	if n.Time.Location() != time.UTC || n.Time.Nanosecond() != 1000 || n.App != "a\uFFFDb\uFFFD" {
		t.Errorf("Normalize = %v %q", n.Time, n.App)
	}
	if n.Clauses == nil || n.Findings == nil || n.Output == nil || n.Overrides == nil {
		t.Error("Normalize left a nil list")
	}
	if _, err := store.Normalize(decisionlog.Record{Version: 1, ID: "a\x00", Time: time.Now()}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("an id with NUL: %v", err)
	}
}
