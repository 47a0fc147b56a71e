package tether

import "sync"

// Bounds of the event queue between a Run and its OnEvent goroutine.
const (
	// maxQueuedOutput is how many batches of output (each one read of a
	// pipe, at most a few hundred KiB) may wait; past it the readers wait,
	// and the sidecar blocks on its full pipe.
	maxQueuedOutput = 16
	// maxQueuedEvents is how many of the loop's own events may wait before
	// the loop holds back the next attempt (see loop.roomForAttempt). The
	// loop never waits inside an attempt: a host that stops reading events
	// must not keep a stop from acting.
	maxQueuedEvents = 256
)

// eventQueue carries deliveries from a Run to its OnEvent goroutine, in
// order. Output batches wait for room; the loop's events never wait, so a
// stalled OnEvent never blocks a stop, a kill or a reap.
//
// The OnEvent goroutine runs only while deliveries wait: a push that finds
// none running starts one (drain, which pops until the queue is empty),
// so an idle sidecar costs no goroutine here. One runs at most, so the
// order holds.
type eventQueue struct {
	mu         sync.Mutex
	items      []delivery
	head       int // items[head:] are waiting
	output     int // output batches waiting
	events     int // loop events waiting
	closed     bool
	delivering bool                // a drain goroutine runs
	drain      func(q *eventQueue) // pops until pop reports false
	drains     sync.WaitGroup      // the drain goroutines
	outRoom    *sync.Cond          // signalled when an output batch was taken
	eventRoom  chan struct{}       // one token: a loop event was taken
}

// newEventQueue returns a queue whose deliveries drain takes, on a
// goroutine of its own, calling pop until it reports false.
func newEventQueue(drain func(q *eventQueue)) *eventQueue {
	q := &eventQueue{drain: drain, eventRoom: make(chan struct{}, 1)}
	q.outRoom = sync.NewCond(&q.mu)
	return q
}

// pushEvent queues one event of the loop (d.out is nil). It never waits.
func (q *eventQueue) pushEvent(d delivery) {
	q.mu.Lock()
	q.items = append(q.items, d)
	q.events++
	q.startDrain()
	q.mu.Unlock()
}

// pushOutput queues a batch of output, waiting while maxQueuedOutput
// batches wait already.
func (q *eventQueue) pushOutput(b *outBatch) {
	q.mu.Lock()
	for q.output >= maxQueuedOutput && !q.closed {
		q.outRoom.Wait()
	}
	q.items = append(q.items, delivery{out: b})
	q.output++
	q.startDrain()
	q.mu.Unlock()
}

// startDrain starts the drain goroutine unless one runs. q.mu is held.
func (q *eventQueue) startDrain() {
	if q.delivering {
		return
	}
	q.delivering = true
	q.drains.Add(1)
	go func() {
		defer q.drains.Done()
		q.drain(q)
	}()
}

// eventsWaiting reports how many loop events wait for OnEvent.
func (q *eventQueue) eventsWaiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.events
}

// pop returns the next delivery for the drain goroutine; ok is false, and
// the drain must return, once none waits.
func (q *eventQueue) pop() (d delivery, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.items) {
		q.delivering = false
		return delivery{}, false
	}
	d = q.items[q.head]
	q.items[q.head] = delivery{}
	q.head++
	if q.head == len(q.items) {
		// Drained: an idle sidecar's queue holds no array (a thousand
		// of them held a megabyte).
		q.items, q.head = nil, 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	if d.out != nil {
		q.output--
		q.outRoom.Signal()
	} else {
		q.events--
		notify(q.eventRoom)
	}
	return d, true
}

// close ends the queue: an output batch waiting for room is queued at once,
// and nothing may be pushed after it.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.outRoom.Broadcast()
	q.mu.Unlock()
}

// wait returns once everything queued has been delivered: call it after
// close.
func (q *eventQueue) wait() { q.drains.Wait() }

// notify leaves a token in c unless one is there.
func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
