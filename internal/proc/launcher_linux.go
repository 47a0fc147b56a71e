package proc

import (
	"runtime"
	"sync"
)

type launchReq struct {
	a     Attr
	reply chan launchResult
}

type launchResult struct {
	g   *Group
	err error
}

// forker is the process's few goroutines, each locked to its OS thread, that
// fork every child: the parent-death signal follows the thread that forked,
// not the process (golang/go#27505), so those threads must outlive every
// child started from them. They are shared by every Launcher of the process
// (a few threads for a thousand sidecars, not a thousand), started with
// the first Launcher and ended with the last, when no child started from
// them is left. Like the watcher, they are inherently per process.
var forker struct {
	mu    sync.Mutex
	users int
	reqs  chan launchReq
	done  chan struct{} // one value per forkLoop that returned
}

// forkers is how many threads fork. A fork waits for the child to exec
// (vfork semantics): on a loaded machine that wait is mostly the child's
// turn on a CPU, and a few forking threads overlap those waits for a burst
// of starts (tether up with a thousand sidecars) while costing few threads.
const forkers = 4

// launcher is a Launcher's hold on the shared forker.
type launcher struct {
	reqs chan launchReq
}

func newLauncher() launcher {
	forker.mu.Lock()
	defer forker.mu.Unlock()
	if forker.users == 0 {
		forker.reqs = make(chan launchReq)
		forker.done = make(chan struct{}, forkers)
		for range forkers {
			go forkLoop(forker.reqs, forker.done)
		}
	}
	forker.users++
	return launcher{reqs: forker.reqs}
}

// forkLoop runs on a locked OS thread. When it returns the thread exits with
// it (a goroutine that ends locked takes its thread along), which fires the
// parent-death signal of children still alive: it returns only once the last
// Launcher has closed, when every child is gone.
func forkLoop(reqs <-chan launchReq, done chan<- struct{}) {
	runtime.LockOSThread()
	defer func() { done <- struct{}{} }()
	for r := range reqs {
		g, err := start(r.a)
		r.reply <- launchResult{g: g, err: err}
	}
}

func (l launcher) start(a Attr) (*Group, error) {
	reply := make(chan launchResult, 1)
	l.reqs <- launchReq{a: a, reply: reply}
	res := <-reply
	return res.g, res.err
}

// close drops the hold; the last one ends the forkers' threads.
func (l launcher) close() {
	forker.mu.Lock()
	defer forker.mu.Unlock()
	forker.users--
	if forker.users > 0 {
		return
	}
	close(forker.reqs)
	for range forkers {
		<-forker.done
	}
	forker.reqs, forker.done = nil, nil
}
