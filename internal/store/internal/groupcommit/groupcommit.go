// Package groupcommit turns many concurrent writes into few transactions:
// callers hand items to a Committer and wait; its workers take whatever is
// queued (up to a bound) and commit it as one batch, so that one commit,
// and one fsync, serves every caller in the batch. A caller returns only
// after its batch has committed.
//
// It knows nothing of SQL: the backend's commit function writes a batch.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("committer closed")

// CommitFunc writes items in one transaction. It returns either a
// transaction error (nothing was committed) or one result per item (the
// transaction committed; a result is that item's own outcome, such as "id
// already stored").
type CommitFunc[T any] func(items []T) (results []error, err error)

// Committer batches items into commits. It is safe for concurrent use.
type Committer[T any] struct {
	commit   CommitFunc[T]
	maxBatch int
	gather   time.Duration
	mu       sync.RWMutex // Do holds it for reading while it enqueues; Close for writing
	closed   bool
	reqs     chan *req[T]
	wg       sync.WaitGroup
}

type req[T any] struct {
	ctx  context.Context
	item T
	res  chan error // buffered: a worker never blocks on it
}

// New starts workers goroutines that each commit batches of up to maxBatch
// items with commit. One worker gives one transaction at a time (what
// SQLite, with its single writer, wants); more let a server commit several
// at once.
//
// gather is how long a worker that takes an item waits for more (or until
// the batch is full) before it commits; zero commits at once, with
// whatever is already queued. Callers wait up to gather longer; in
// exchange, items that come one at a time (a gateway at a few hundred
// requests a second) share commits instead of each paying a transaction
// and an fsync of its own.
func New[T any](commit CommitFunc[T], workers, maxBatch int, gather time.Duration) *Committer[T] {
	c := &Committer[T]{commit: commit, maxBatch: max(1, maxBatch), gather: max(0, gather), reqs: make(chan *req[T], max(1, maxBatch))}
	for range max(1, workers) {
		c.wg.Go(c.work)
	}
	return c
}

// Do queues item and returns once its batch has committed, with the item's
// result or the transaction's error. If ctx ends first, Do returns its
// error and the item may or may not be committed; an item whose context
// has ended before its batch starts is not written.
func (c *Committer[T]) Do(ctx context.Context, item T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &req[T]{ctx: ctx, item: item, res: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrClosed
	}
	select {
	case c.reqs <- r:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is queued, stops the workers and returns when they
// have stopped. Later calls of Do return ErrClosed. Close is idempotent.
func (c *Committer[T]) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.reqs)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *Committer[T]) work() {
	batch := make([]*req[T], 0, c.maxBatch)
	var timer *time.Timer
	for r := range c.reqs {
		batch = append(batch[:0], r)
		if c.gather == 0 {
			batch = c.fill(batch, nil)
		} else {
			if timer == nil {
				timer = time.NewTimer(c.gather)
			} else {
				timer.Reset(c.gather)
			}
			batch = c.fill(batch, timer.C)
			timer.Stop()
		}
		c.run(batch)
	}
}

// fill adds queued items to batch, up to the batch size: with window nil,
// what is queued now; otherwise what comes before window fires. A Close
// ends the filling at once, so that shutting down does not wait out a
// window.
func (c *Committer[T]) fill(batch []*req[T], window <-chan time.Time) []*req[T] {
	for len(batch) < c.maxBatch {
		var r *req[T]
		var ok bool
		if window == nil {
			select {
			case r, ok = <-c.reqs:
			default:
				return batch
			}
		} else {
			select {
			case r, ok = <-c.reqs:
			case <-window:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, r)
	}
	return batch
}

// run commits batch. If the transaction fails and the batch has more than
// one item, each item is committed alone, so that one bad item fails only
// itself.
func (c *Committer[T]) run(batch []*req[T]) {
	live := make([]*req[T], 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.res <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	items := make([]T, len(live))
	for i, r := range live {
		items[i] = r.item
	}
	results, err := c.commit(items)
	if err != nil && len(live) > 1 {
		for _, r := range live {
			c.run([]*req[T]{r})
		}
		return
	}
	for i, r := range live {
		if err != nil {
			r.res <- err
		} else if i < len(results) {
			r.res <- results[i]
		} else {
			r.res <- nil
		}
	}
}
