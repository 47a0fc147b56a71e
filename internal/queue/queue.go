// Package queue is the one bounded queue of tether: many goroutines put
// values in, one goroutine takes them all out at once.
package queue

import "sync"

// A Queue holds values on their way from producers to one consumer. It is
// bounded by a number of values and a total weight (bytes, say): Push waits
// while it is full, TryPush refuses, and Force goes past the bounds for the
// few values that must never wait (a stop's own messages). Take empties it
// in one step; Ready signals that values are waiting or that it closed.
//
// The zero Queue is not usable; call New.
type Queue[T any] struct {
	mu        sync.Mutex
	room      *sync.Cond // signalled when the consumer took values, or on Close
	items     []T
	weight    int
	closed    bool
	ready     chan struct{} // one token: values are waiting, or the queue closed
	maxItems  int
	maxWeight int
	weigh     func(T) int
	foldFrom  int // ForceOrFold: the values added since the queue was found full (-1: none)
}

// New returns an empty queue bounded at maxItems values and maxWeight in
// total, where weigh gives a value's weight (nil: every value weighs 0).
func New[T any](maxItems, maxWeight int, weigh func(T) int) *Queue[T] {
	if weigh == nil {
		weigh = func(T) int { return 0 }
	}
	q := &Queue[T]{ready: make(chan struct{}, 1), maxItems: maxItems, maxWeight: maxWeight, weigh: weigh, foldFrom: -1}
	q.room = sync.NewCond(&q.mu)
	return q
}

// full reports whether the queue is at one of its bounds. q.mu is held.
func (q *Queue[T]) full() bool {
	return len(q.items) > 0 && (len(q.items) >= q.maxItems || q.weight >= q.maxWeight)
}

// Push adds v, waiting while the queue is full. It reports false, and drops
// v, when the queue is closed.
func (q *Queue[T]) Push(v T) bool {
	q.mu.Lock()
	for !q.closed && q.full() {
		q.room.Wait()
	}
	return q.add(v)
}

// Force adds v even when the queue is full. It reports false, and drops v,
// when the queue is closed.
func (q *Queue[T]) Force(v T) bool {
	q.mu.Lock()
	return q.add(v)
}

// TryPush adds v only if it fits within the bounds, counting v itself; it
// never waits. It reports false, and drops v, when v does not fit or the
// queue is closed.
func (q *Queue[T]) TryPush(v T) bool {
	q.mu.Lock()
	if len(q.items) >= q.maxItems || q.weight+q.weigh(v) > q.maxWeight {
		q.mu.Unlock()
		return false
	}
	return q.add(v)
}

// ForceOrFold adds v as Force does while the queue is within its bounds.
// Once it is full it never grows for v without bound: fold is offered each
// value added since the queue was found full, newest first, and may fold v
// into it (report true); only if none takes v is it added. It reports
// false, and drops v, when the queue is closed.
func (q *Queue[T]) ForceOrFold(v T, fold func(waiting *T, v T) bool) bool {
	q.mu.Lock()
	if q.closed || !q.full() {
		return q.add(v)
	}
	if q.foldFrom < 0 {
		q.foldFrom = len(q.items)
	}
	for i := len(q.items) - 1; i >= q.foldFrom; i-- {
		if fold(&q.items[i], v) {
			q.mu.Unlock()
			return true
		}
	}
	return q.add(v)
}

// add appends v and unlocks q.mu.
func (q *Queue[T]) add(v T) bool {
	if q.closed {
		q.mu.Unlock()
		return false
	}
	first := len(q.items) == 0
	q.items = append(q.items, v)
	q.weight += q.weigh(v)
	q.mu.Unlock()
	if first { // the consumer may be waiting: it takes everything at once
		q.signal()
	}
	return true
}

// signal leaves the ready token, if it is not there already.
func (q *Queue[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready receives a value when values may be waiting or the queue closed.
// Only the one consumer waits on it.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Take moves every waiting value into dst (reused from its start) and
// reports whether the queue is closed.
func (q *Queue[T]) Take(dst []T) ([]T, bool) {
	q.mu.Lock()
	dst = append(dst[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.weight = 0
	q.foldFrom = -1
	closed := q.closed
	q.mu.Unlock()
	q.room.Broadcast()
	return dst, closed
}

// Close ends the queue: values already in it can still be taken, new ones
// are dropped, and producers waiting in Push return false.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.room.Broadcast()
	q.signal()
}
