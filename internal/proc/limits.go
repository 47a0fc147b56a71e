package proc

import (
	"fmt"
	"strings"
)

// Limits bound what one attempt's whole tree may use. A zero field means no
// limit. They are enforced by the containment unit: a cgroup v2 on Linux
// (memory.max, cpu.max, pids.max), or cgroup v1 for the controllers bound
// to it (see v1Limits), the job object on Windows; a unit that
// cannot enforce one makes Start fail with an error matching ErrUnavailable
// that names the limit, rather than run without it.
type Limits struct {
	MemoryBytes int64 // the tree's memory, in bytes
	CPUPercent  int   // CPU time, in percent of one CPU: 150 is one and a half
	Pids        int   // processes (on Linux: tasks, threads included)
}

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool { return l == Limits{} }

// String names the limits that are set, for errors: "memory 64MiB, pids 20".
func (l Limits) String() string {
	var s []string
	if l.MemoryBytes > 0 {
		s = append(s, fmt.Sprintf("memory %d bytes", l.MemoryBytes))
	}
	if l.CPUPercent > 0 {
		s = append(s, fmt.Sprintf("cpu %d%%", l.CPUPercent))
	}
	if l.Pids > 0 {
		s = append(s, fmt.Sprintf("pids %d", l.Pids))
	}
	return strings.Join(s, ", ")
}

// limitsUnavailable is the error of a unit that cannot enforce l.
func limitsUnavailable(m Mode, l Limits, why string, cause error) error {
	return unavailable(m, "cannot enforce the limits ("+l.String()+"): "+why, cause)
}
