package backend

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/internal/groupcommit"
)

var errDriver = errors.New("driver: connection reset")

func TestFail(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	var s State
	for _, c := range []struct {
		ctx     context.Context
		err     error
		is      []error
		message string
	}{
		{context.Background(), errDriver, []error{errDriver}, "get x: driver: connection reset"},
		{context.Background(), fmt.Errorf("task: %w", store.ErrNotFound), []error{store.ErrNotFound}, "get x: task: not found"},
		// The driver said it in its own words: the caller can still test for the cancellation.
		{canceled, errDriver, []error{context.Canceled, errDriver}, "get x: context canceled: driver: connection reset"},
		{canceled, context.Canceled, []error{context.Canceled}, "get x: context canceled"},
		// A sentinel stays itself even when the context is done.
		{canceled, store.ErrExists, []error{store.ErrExists}, "get x: " + store.ErrExists.Error()},
	} {
		got := s.Fail(c.ctx, "get x", c.err)
		for _, want := range c.is {
			if !errors.Is(got, want) {
				t.Errorf("Fail(%v) = %v, not %v", c.err, got, want)
			}
		}
		if got.Error() != c.message {
			t.Errorf("Fail(%v) = %q, want %q", c.err, got, c.message)
		}
	}
	if err := s.Ready(canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("Ready on a canceled context = %v", err)
	}
	if s.MarkClosed() || !s.MarkClosed() || !s.Closed() {
		t.Error("MarkClosed did not report the second call")
	}
	if err := s.Fail(context.Background(), "get x", errDriver); err != store.ErrClosed {
		t.Errorf("Fail after close = %v, want ErrClosed", err)
	}
	if err := s.Ready(context.Background()); err != store.ErrClosed {
		t.Errorf("Ready after close = %v, want ErrClosed", err)
	}
}

func TestWrap(t *testing.T) {
	var s State
	notFound := fmt.Errorf("item %q: %w", "i1", store.ErrNotFound)
	for _, c := range []struct {
		err, want error
	}{
		{nil, nil},
		{notFound, notFound},
		{context.DeadlineExceeded, context.DeadlineExceeded},
	} {
		if got := s.Wrap("add item", c.err); got != c.want {
			t.Errorf("Wrap(%v) = %v, want it unchanged", c.err, got)
		}
	}
	if got := s.Wrap("add item", errDriver); got.Error() != "add item: driver: connection reset" || !errors.Is(got, errDriver) {
		t.Errorf("Wrap(driver error) = %v", got)
	}
	s.MarkClosed()
	if got := s.Wrap("add item", errDriver); got != store.ErrClosed {
		t.Errorf("Wrap after close = %v, want ErrClosed", got)
	}
	if got := s.Wrap("add item", notFound); got != notFound {
		t.Errorf("Wrap after close of a sentinel = %v, want it unchanged", got)
	}
}

// rows is a result set of numbers as text, failing where told.
type rows struct {
	vals    []string
	i       int
	scanErr int // the row whose Scan fails, 1-based; 0 for none
	err     error
}

func (r *rows) Next() bool { r.i++; return r.i <= len(r.vals) }
func (r *rows) Err() error { return r.err }
func (r *rows) Scan(dest ...any) error {
	if r.i == r.scanErr {
		return errDriver
	}
	switch d := dest[0].(type) {
	case *string:
		*d = r.vals[r.i-1]
	case *[]byte:
		*d = []byte(r.vals[r.i-1])
	}
	return nil
}

func scanInt(sc Scanner) (int, error) {
	var s string
	if err := sc.Scan(&s); err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

func TestAppendRows(t *testing.T) {
	got, err := AppendRows([]int{}, &rows{vals: []string{"1", "2", "3"}}, scanInt)
	if err != nil || !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Errorf("AppendRows = %v, %v", got, err)
	}
	if got, err := AppendRows([]int{}, &rows{}, scanInt); err != nil || got == nil || len(got) != 0 {
		t.Errorf("AppendRows of nothing into an empty slice = %#v, %v; want an empty slice", got, err)
	}
	if got, err := AppendRows(nil, &rows{}, scanInt); err != nil || got != nil {
		t.Errorf("AppendRows of nothing into nil = %#v, %v", got, err)
	}
	for _, r := range []*rows{
		{vals: []string{"1", "2"}, scanErr: 2},
		{vals: []string{"1", "x"}},
		{vals: []string{"1"}, err: errDriver},
	} {
		if got, err := AppendRows([]int{}, r, scanInt); err == nil || got != nil {
			t.Errorf("AppendRows(%+v) = %v, %v; want an error and nothing", r, got, err)
		}
	}
}

func TestEachStops(t *testing.T) {
	var seen []int
	r := &rows{vals: []string{"1", "2", "3"}, err: errDriver}
	err := Each(r, scanInt, func(v int) bool {
		seen = append(seen, v)
		return v < 2
	})
	// Stopped by yield: the iteration's error is not consulted and no
	// further row is read.
	if err != nil || !reflect.DeepEqual(seen, []int{1, 2}) || r.i != 2 {
		t.Errorf("Each = %v, saw %v after %d rows", err, seen, r.i)
	}
}

func TestJSONColumn(t *testing.T) {
	type task struct{ ID string }
	scan := JSONColumn[task]("task")
	if got, err := scan(&rows{vals: []string{`{"ID":"t1"}`}, i: 1}); err != nil || got.ID != "t1" {
		t.Errorf("scan = %+v, %v", got, err)
	}
	if _, err := scan(&rows{vals: []string{`{"ID":`}, i: 1}); err == nil || !strings.HasPrefix(err.Error(), "stored task: ") {
		t.Errorf("scan of broken JSON = %v, want a stored task error", err)
	}
	if _, err := scan(&rows{vals: []string{`{}`}, i: 1, scanErr: 1}); !errors.Is(err, errDriver) {
		t.Errorf("scan error = %v, want the driver's", err)
	}
}

func TestCommitError(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	exists := fmt.Errorf("append d1: %w", store.ErrExists)
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want error
	}{
		{context.Background(), nil, nil},
		{context.Background(), exists, store.ErrExists},
		{canceled, context.Canceled, context.Canceled},
		{context.Background(), groupcommit.ErrClosed, store.ErrClosed},
		{context.Background(), errDriver, errDriver},
	} {
		got := CommitError(c.ctx, "d1", c.err)
		if !errors.Is(got, c.want) || (c.want == nil) != (got == nil) {
			t.Errorf("CommitError(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if got := CommitError(context.Background(), "d1", errDriver); got.Error() != "append d1: driver: connection reset" {
		t.Errorf("driver error = %q", got)
	}
}
