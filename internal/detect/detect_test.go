package detect_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
)

// word reports each occurrence of a word.
type word struct{ id, w string }

var _ detect.Detector = word{}

func (d word) ID() string { return d.id }

func (d word) Detect(text string) []detect.Finding {
	var out []detect.Finding
	for i := 0; ; {
		j := strings.Index(text[i:], d.w)
		if j < 0 {
			return out
		}
		i += j
		out = append(out, detect.Finding{Detector: d.id, Start: i, End: i + len(d.w), Evidence: d.w})
		i += len(d.w)
	}
}

func TestRegistry(t *testing.T) {
	r, err := detect.NewRegistry(word{"detect.b", "b"}, word{"detect.a", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Register(word{"detect.a", "x"}); !errors.Is(err, detect.ErrDuplicateID) {
		t.Errorf("duplicate: err %v, want ErrDuplicateID", err)
	}
	if err := r.Register(word{"", "x"}); !errors.Is(err, detect.ErrEmptyID) {
		t.Errorf("empty id: err %v, want ErrEmptyID", err)
	}
	if err := r.Register(nil); !errors.Is(err, detect.ErrNilDetector) {
		t.Errorf("nil: err %v, want ErrNilDetector", err)
	}
	if got := r.IDs(); !slices.Equal(got, []string{"detect.a", "detect.b"}) {
		t.Errorf("IDs = %q", got)
	}
	if d, ok := r.Get("detect.b"); !ok || d.ID() != "detect.b" {
		t.Errorf("Get(detect.b) = %v, %v", d, ok)
	}
	if _, ok := r.Get("detect.zzz"); ok {
		t.Error("Get of an unknown id succeeded")
	}
	fs := r.Run("b a ab")
	var got []string
	for _, f := range fs {
		got = append(got, f.Evidence)
	}
	if want := []string{"b", "a", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("Run evidence order %q, want %q (by start)", got, want)
	}
}

func TestZeroRegistry(t *testing.T) {
	var r detect.Registry
	if fs := r.Run("text"); len(fs) != 0 {
		t.Errorf("empty registry found %v", fs)
	}
	if err := r.Register(word{"detect.a", "a"}); err != nil {
		t.Fatal(err)
	}
	if len(r.Run("a")) != 1 {
		t.Error("zero-value registry did not run its detector")
	}
}

func TestRegistryConcurrent(t *testing.T) {
	var r detect.Registry
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_ = r.Register(word{"detect.w" + string(rune('a'+i)), "x"})
			r.Run("x y x")
			r.IDs()
		})
	}
	wg.Wait()
	if len(r.IDs()) != 8 {
		t.Errorf("IDs = %q, want 8", r.IDs())
	}
}

func TestSortFindings(t *testing.T) {
	fs := []detect.Finding{
		{Detector: "b", Start: 5, End: 9},
		{Detector: "a", Start: 5, End: 9},
		{Detector: "a", Start: 5, End: 6},
		{Detector: "z", Start: 1, End: 2},
	}
	detect.SortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Detector)
	}
	if want := []string{"z", "a", "a", "b"}; !slices.Equal(got, want) || fs[1].End != 6 {
		t.Errorf("order %q %+v", got, fs)
	}
}
