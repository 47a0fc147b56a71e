package queue

import (
	"testing"
	"time"
)

func TestBounds(t *testing.T) {
	q := New(3, 10, func(s string) int { return len(s) })
	if !q.TryPush("abcd") || !q.TryPush("efgh") {
		t.Fatal("TryPush refused values that fit")
	}
	if q.TryPush("ijk") { // 8+3 > 10
		t.Fatal("TryPush took a value past the weight bound")
	}
	if !q.Force("ijk") {
		t.Fatal("Force refused")
	}
	pushed := make(chan bool)
	go func() { pushed <- q.Push("l") }() // full: 3 items, weight 11
	select {
	case <-pushed:
		t.Fatal("Push did not wait on a full queue")
	case <-time.After(50 * time.Millisecond):
	}
	got, closed := q.Take(nil)
	if len(got) != 3 || closed || got[2] != "ijk" {
		t.Fatalf("Take = %q, %v", got, closed)
	}
	if !<-pushed {
		t.Fatal("Push after Take reported closed")
	}
	<-q.Ready()
	got, _ = q.Take(got)
	if len(got) != 1 || got[0] != "l" {
		t.Fatalf("Take = %q", got)
	}
}

func TestClose(t *testing.T) {
	q := New[int](1, 1<<20, nil)
	q.Push(1)
	pushed := make(chan bool)
	go func() { pushed <- q.Push(2) }()
	time.Sleep(10 * time.Millisecond)
	q.Close()
	if <-pushed {
		t.Fatal("a Push waiting on a full queue reported success after Close")
	}
	if q.Push(3) || q.Force(3) || q.TryPush(3) {
		t.Fatal("a closed queue took a value")
	}
	<-q.Ready()
	got, closed := q.Take(nil)
	if !closed || len(got) != 1 || got[0] != 1 {
		t.Fatalf("Take = %v, %v", got, closed)
	}
}

// Once the queue is full, ForceOrFold offers only the values added since
// then to fold; Take starts afresh.
func TestForceOrFold(t *testing.T) {
	q := New[int](2, 100, nil)
	sum := func(w *int, v int) bool { *w += v; return true }
	q.ForceOrFold(1, sum)
	q.ForceOrFold(2, sum)  // not full before it: added
	q.ForceOrFold(10, sum) // full: nothing since then to fold into: added
	q.ForceOrFold(20, sum) // folded into 10
	q.ForceOrFold(30, sum)
	got, _ := q.Take(nil)
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 60 {
		t.Fatalf("Take = %v, want [1 2 60]", got)
	}
	q.ForceOrFold(5, sum)
	q.ForceOrFold(6, sum)
	if got, _ := q.Take(nil); len(got) != 2 {
		t.Fatalf("after Take, values folded before the queue was full again: %v", got)
	}
}
