package recorder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
)

type memStore struct {
	mu    sync.Mutex
	ids   map[string]int
	delay time.Duration
	fail  int // fail this many appends first
}

func (m *memStore) Append(ctx context.Context, r decisionlog.Record) error {
	time.Sleep(m.delay)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return errors.New("busy")
	}
	m.ids[r.ID]++
	return nil
}

func TestNoRecordLost(t *testing.T) {
	st := &memStore{ids: map[string]int{}, delay: 100 * time.Microsecond, fail: 3}
	r := New(st, 4, nil) // a small queue: writers must wait, not drop
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := r.Record(context.Background(), decisionlog.Record{ID: fmt.Sprintf("%d-%d", g, i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	r.Close()
	if len(st.ids) != 400 {
		t.Fatalf("stored %d of 400 records", len(st.ids))
	}
	for id, n := range st.ids {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	if w, f := r.Stats(); w != 400 || f != 0 {
		t.Errorf("stats %d written, %d failed", w, f)
	}
	if err := r.Record(context.Background(), decisionlog.Record{ID: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("record after close: %v", err)
	}
	r.Close() // twice is fine
}

func TestRecordWaitsOnlyWhileContextAllows(t *testing.T) {
	st := &memStore{ids: map[string]int{}, delay: 200 * time.Millisecond}
	r := New(st, 1, nil)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var err error
	for i := 0; i < Writers+10 && err == nil; i++ {
		err = r.Record(ctx, decisionlog.Record{ID: fmt.Sprint(i)})
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
}
