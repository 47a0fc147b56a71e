//go:build !linux

package proc

// listPids lists the pids of the process table.
func listPids() ([]int, error) {
	procs, err := readProcTable()
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.pid
	}
	return pids, err
}
