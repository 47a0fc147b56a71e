//go:build unix

package proc

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Attempts released together have their records dropped by a few writes,
// not one each under the hub's lock; every drop still reaches the watcher,
// whole, among records written meanwhile.
func TestForgetDropsEveryRecord(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const attempts = 500
	h := &watchHub{users: 1, w: &watcherProc{life: w}, entries: map[string]watchEntry{}}
	seen := map[string]watchEntry{}
	for i := range attempts {
		id := "attempt-" + strconv.Itoa(i)
		h.entries[id] = watchEntry{pgid: 1000 + i}
		seen[id] = watchEntry{pgid: 1000 + i}
	}
	lines := make(chan []string)
	go func() {
		var got []string
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			got = append(got, sc.Text())
		}
		lines <- got
	}()
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Go(func() {
			id := "attempt-" + strconv.Itoa(i)
			if i%10 == 0 {
				// A new attempt's record, written meanwhile.
				h.mu.Lock()
				_ = h.w.send(addRecord("new-"+id, watchEntry{pgid: 1}))
				h.mu.Unlock()
			}
			h.forget(id)
		})
	}
	wg.Wait()
	if len(h.entries) != 0 || len(h.dropped) != 0 || h.dropping {
		t.Errorf("after every forget: %d entries, %d drops unwritten, writing %v", len(h.entries), len(h.dropped), h.dropping)
	}
	w.Close()
	got := <-lines
	for _, line := range got {
		if !strings.HasPrefix(line, "- attempt-") && !strings.HasPrefix(line, "+ new-attempt-") {
			t.Errorf("record cut or mixed with another: %q", line)
		}
		parseRecord(line, seen)
	}
	if len(seen) != attempts/10 {
		t.Errorf("the watcher would keep %d records, want the %d new ones: %v", len(seen), attempts/10, seen)
	}
}
