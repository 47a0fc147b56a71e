package proc

import (
	"strings"
	"testing"
)

// sheddable keeps read-only file mappings whose pages are the file's own,
// and skips writable, anonymous and relocated (RELRO) ones.
func TestSheddable(t *testing.T) {
	const smaps = `00400000-00500000 r-xp 00000000 08:01 12 /usr/bin/host
Size:               1024 kB
Anonymous:             0 kB
00500000-00510000 r--p 00100000 08:01 12 /usr/bin/host
Size:                 64 kB
Anonymous:             8 kB
00510000-00520000 rw-p 00110000 08:01 12 /usr/bin/host
Anonymous:            64 kB
00600000-00700000 rw-p 00000000 00:00 0 [heap]
Anonymous:          1024 kB
7f0000000000-7f0000100000 r--p 00000000 08:01 99 /usr/lib/libc.so.6
Anonymous:             0 kB
7f0000200000-7f0000201000 r--p 00000000 00:00 0
Anonymous:             0 kB
`
	got := sheddable(strings.NewReader(smaps))
	want := [][2]uintptr{{0x400000, 0x500000}, {0x7f0000000000, 0x7f0000100000}}
	if len(got) != len(want) {
		t.Fatalf("sheddable = %x, want %x", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sheddable[%d] = %x, want %x", i, got[i], want[i])
		}
	}
}
