package proc

import "runtime"

type launchReq struct {
	a     Attr
	reply chan launchResult
}

type launchResult struct {
	g   *Group
	err error
}

type launcher struct {
	reqs chan launchReq
	done chan struct{}
}

func newLauncher() launcher {
	l := launcher{reqs: make(chan launchReq), done: make(chan struct{})}
	go l.loop()
	return l
}

// loop runs on a locked OS thread. When it returns the thread exits with it
// (a goroutine that ends locked takes its thread along), which fires the
// parent-death signal of children still alive: Close is called only once
// every child is gone.
func (l launcher) loop() {
	runtime.LockOSThread()
	defer close(l.done)
	for r := range l.reqs {
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

func (l launcher) close() {
	close(l.reqs)
	<-l.done
}
