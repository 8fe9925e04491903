package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBatches(t *testing.T) {
	var mu sync.Mutex
	var committed []int
	var commits atomic.Int64
	c := New(func(items []int) ([]error, error) {
		time.Sleep(2 * time.Millisecond) // an fsync
		mu.Lock()
		committed = append(committed, items...)
		mu.Unlock()
		commits.Add(1)
		res := make([]error, len(items))
		for i, it := range items {
			if it%10 == 0 {
				res[i] = fmt.Errorf("item %d: %w", it, errors.ErrUnsupported)
			}
		}
		return res, nil
	}, 1, 64, 0)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				it := g*100 + i + 1
				err := c.Do(context.Background(), it)
				if (it%10 == 0) != errors.Is(err, errors.ErrUnsupported) {
					t.Errorf("item %d: %v", it, err)
				}
			}
		})
	}
	wg.Wait()
	c.Close()
	if len(committed) != 16*20 {
		t.Errorf("%d items committed, want %d", len(committed), 16*20)
	}
	if n := commits.Load(); n > 16*20/3 {
		t.Errorf("%d commits for %d items: not batched", n, 16*20)
	}
	if err := c.Do(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close = %v", err)
	}
	c.Close()
}

// TestIsolation: a transaction error makes each item of the batch retry
// alone, so only the bad one fails.
func TestIsolation(t *testing.T) {
	bad := errors.New("bad item")
	release := make(chan struct{})
	c := New(func(items []int) ([]error, error) {
		<-release
		for _, it := range items {
			if it < 0 {
				return nil, bad
			}
		}
		return make([]error, len(items)), nil
	}, 1, 64, 0)
	defer c.Close()
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			it := i
			if i == 3 {
				it = -1
			}
			errs[i] = c.Do(context.Background(), it)
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	for i, err := range errs {
		if (i == 3) != errors.Is(err, bad) {
			t.Errorf("item %d: %v", i, err)
		}
	}
}

func TestCanceled(t *testing.T) {
	block := make(chan struct{})
	var got []int
	c := New(func(items []int) ([]error, error) {
		<-block
		got = append(got, items...)
		return nil, nil
	}, 1, 1, 0)
	first := make(chan error)
	go func() { first <- c.Do(context.Background(), 1) }()
	time.Sleep(10 * time.Millisecond) // item 1 is being committed
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Do(ctx, 2) }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a canceled context = %v", err)
	}
	close(block)
	if err := <-first; err != nil {
		t.Error(err)
	}
	c.Close()
	if len(got) != 1 || got[0] != 1 {
		t.Errorf("committed %v; the canceled item must not be written", got)
	}
}

// TestGathering: items that come one at a time share a commit when the
// committer gathers, and each has one of its own when it does not.
func TestGathering(t *testing.T) {
	for _, gather := range []time.Duration{0, time.Hour} {
		var commits atomic.Int64
		c := New(func(items []int) ([]error, error) {
			commits.Add(1)
			return make([]error, len(items)), nil
		}, 1, 8, gather)
		// Eight items, each sent after the previous one returned (without
		// gathering) or was queued (with it): a batch fills at eight, so
		// gathering for an hour commits them at once, in one transaction.
		var wg sync.WaitGroup
		for i := range 8 {
			if gather == 0 {
				if err := c.Do(context.Background(), i); err != nil {
					t.Fatal(err)
				}
				continue
			}
			wg.Go(func() {
				if err := c.Do(context.Background(), i); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		c.Close()
		want := int64(8)
		if gather > 0 {
			want = 1
		}
		if n := commits.Load(); n != want {
			t.Errorf("gather %v: %d commits for 8 items, want %d", gather, n, want)
		}
	}
}

// TestGatheringClose: Close ends a gathering window at once and commits
// what it holds. (An item that Close beats to the queue gets ErrClosed and
// the round is tried again.)
func TestGatheringClose(t *testing.T) {
	for {
		var got atomic.Int64
		c := New(func(items []int) ([]error, error) {
			got.Add(int64(len(items)))
			return make([]error, len(items)), nil
		}, 1, 64, time.Hour)
		done := make(chan error)
		go func() { done <- c.Do(context.Background(), 1) }()
		time.Sleep(20 * time.Millisecond) // the worker holds the item, most likely
		c.Close()                         // would wait an hour if the window did not end
		err := <-done
		if errors.Is(err, ErrClosed) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got.Load() != 1 {
			t.Errorf("%d items committed, want 1", got.Load())
		}
		return
	}
}
