package proc

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Stopping many subreaper attempts at once reads the process table a few
// times, not once or more per attempt. Each walk of an attempt's tree used
// to read the whole table itself (three system calls per process of the
// system), twice for the stop signal alone (SIGTERM, then SIGCONT): the
// stop of 1,000 sidecars at once took 8 s. Here the first read is held
// until every other attempt's stop signal waits for one: all of those must
// then share a single read that began after they asked (not the held one,
// which began too early), and every child must still get SIGTERM.
// Not parallel: it holds and counts the host's reads of the table.
func TestSubreaperStopsShareTableReads(t *testing.T) {
	const attempts = 100
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLauncher()
	defer l.Close()
	t.Cleanup(func() { killTagged(t) })
	groups := make([]*Group, 0, attempts)
	for range attempts {
		g, err := l.Start(Attr{
			Path: sleep, Args: []string{"sleep", "1000"},
			Env:         append(os.Environ(), tagOf(t)),
			Containment: ModeSubreaper,
		})
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	held, release := make(chan struct{}), make(chan struct{})
	var holdFirst sync.Once
	setScan(func() ([]procInfo, error) {
		holdFirst.Do(func() {
			close(held)
			<-release
		})
		return readProcTable()
	})
	defer setScan(nil)
	before, _ := host.walks.reads()

	// Each attempt stops as tether stops it, all at once: the stop
	// signal, the child's exit, the wait for the whole tree, the release.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	signalled := make(chan struct{}, attempts)
	counted := make(chan struct{})
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Go(func() {
			defer g.Release()
			if err := g.Signal(syscall.SIGTERM); err != nil {
				t.Errorf("signal: %v", err)
				g.Kill()
			}
			signalled <- struct{}{}
			<-counted
			st, _ := g.Wait()
			if ws, ok := st.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
				t.Errorf("child %d: %v, want killed by SIGTERM", g.Pid(), st)
			}
			if !g.WaitGone(ctx) {
				t.Errorf("child %d: tree not gone within a minute of SIGTERM", g.Pid())
			}
		})
	}
	<-held
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if _, waiting := host.walks.reads(); waiting == attempts-1 {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			close(counted)
			wg.Wait()
			t.Fatal("the stop signals did not all wait for the held read within a minute")
		}
	}
	close(release)
	for range attempts {
		<-signalled
	}
	reads, _ := host.walks.reads()
	close(counted)
	wg.Wait()
	if reads -= before; reads != 2 {
		t.Errorf("%d stop signals read the process table %d times, want 2 (the held read, then one for all the others)", attempts, reads)
	}
	if pids := tagged(t); len(pids) > 0 {
		t.Errorf("processes left: %v", pids)
	}
}

// setScan makes the host's reads of the process table use scan (nil:
// readProcTable).
func setScan(scan func() ([]procInfo, error)) {
	host.walks.mu.Lock()
	defer host.walks.mu.Unlock()
	host.walks.scan = scan
}
