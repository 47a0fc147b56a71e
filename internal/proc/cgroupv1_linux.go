package proc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// v1Limits holds the limits an attempt's cgroup v2 could not take, in
// cgroup v1 hierarchies. That is the hybrid layout of Ubuntu 20.04, RHEL 8
// and many container hosts: the memory, pids and cpu controllers are bound
// to v1 hierarchies (/sys/fs/cgroup/memory, …) and the cgroup2 at
// /sys/fs/cgroup/unified has none of them. The attempt's v2 cgroup still
// holds the tree (stop, kill, emptiness); its v1 cgroups, one per
// hierarchy, only bound it.
//
// v1 has no CLONE_INTO_CGROUP, but it takes a thread id in a hierarchy's
// tasks file and a child is born in its forking thread's cgroups: the
// launcher thread enters the attempt's v1 cgroups just before the fork and
// goes back just after (see aroundFork), so that not even a fork bomb's
// first fork happens outside the limits.
type v1Limits struct {
	dirs        []v1Cgroup
	controllers []string // those used, for the containment's name
	memDir      string   // the v1 memory cgroup, for OOM kills; "" when memory is not bounded here
	pidsAfter   string   // pids.max to write once the launcher thread has left, or ""
}

// v1Cgroup is the attempt's cgroup in one v1 hierarchy.
type v1Cgroup struct {
	hierarchy v1Hierarchy
	dir       string
}

// v1Hierarchy is a mounted cgroup v1 hierarchy.
type v1Hierarchy struct {
	mountPoint  string   // where it is mounted
	root        string   // the hierarchy's path mounted there ("" for its root)
	controllers []string // the controllers bound to it
}

// dirOf returns the directory of the cgroup that /proc/*/cgroup names rel in
// this hierarchy.
func (h v1Hierarchy) dirOf(rel string) (string, error) {
	sub, ok := strings.CutPrefix(rel, h.root)
	if !ok || (sub != "" && !strings.HasPrefix(sub, "/")) {
		return "", fmt.Errorf("cgroup %s is outside the mount's root %s", rel, h.root)
	}
	return filepath.Join(h.mountPoint, sub), nil
}

// v1Setting is one file of a v1 cgroup to write.
type v1Setting struct{ file, value string }

// v1Settings returns, per controller, what bounds l in cgroup v1.
func v1Settings(l Limits) map[string][]v1Setting {
	want := map[string][]v1Setting{}
	if l.MemoryBytes > 0 {
		n := strconv.FormatInt(l.MemoryBytes, 10)
		// memsw (memory and swap) must not be below the memory limit:
		// written second. Only there when swap is accounted.
		want["memory"] = []v1Setting{{"memory.limit_in_bytes", n}, {"memory.memsw.limit_in_bytes", n}}
	}
	if l.CPUPercent > 0 {
		want["cpu"] = []v1Setting{
			{"cpu.cfs_period_us", strconv.Itoa(cgroupLimitPeriod)},
			{"cpu.cfs_quota_us", strconv.Itoa(l.CPUPercent * cgroupLimitPeriod / 100)},
		}
	}
	if l.Pids > 0 {
		// The launcher thread counts while it forks from inside: a
		// limit of one is two until it has left.
		want["pids"] = []v1Setting{{"pids.max", strconv.Itoa(max(l.Pids, 2))}}
	}
	return want
}

// newV1Limits creates attempt id's cgroups in the v1 hierarchies of the
// controllers l needs and writes l there, or returns why it cannot, having
// removed what it created.
func newV1Limits(a Attr, id string, l Limits) (*v1Limits, error) {
	if a.noCgroupV1 {
		return nil, errors.New("cgroup v1 is not used (test)")
	}
	hier, err := v1Hierarchies()
	if err != nil {
		return nil, err
	}
	host, err := v1Paths("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	v := &v1Limits{}
	want := v1Settings(l)
	for _, ctl := range []string{"memory", "cpu", "pids"} {
		settings, ok := want[ctl]
		if !ok {
			continue
		}
		dir, err := v.cgroupFor(ctl, hier, host, id)
		if err == nil {
			err = writeV1Settings(dir, settings)
		}
		if err != nil {
			v.release()
			return nil, err
		}
		v.controllers = append(v.controllers, ctl)
		if ctl == "memory" {
			v.memDir = dir
		}
	}
	if l.Pids == 1 {
		v.pidsAfter = "1"
	}
	return v, nil
}

// cgroupFor returns the attempt's cgroup in controller's hierarchy,
// creating it beside the host's cgroup there if no other controller of the
// hierarchy has yet.
func (v *v1Limits) cgroupFor(controller string, hier []v1Hierarchy, host map[string]string, id string) (string, error) {
	i := slices.IndexFunc(hier, func(h v1Hierarchy) bool { return slices.Contains(h.controllers, controller) })
	if i < 0 {
		return "", fmt.Errorf("no cgroup v1 hierarchy has the %s controller", controller)
	}
	h := hier[i]
	for _, c := range v.dirs {
		if c.hierarchy.mountPoint == h.mountPoint {
			return c.dir, nil
		}
	}
	rel, ok := host[controller]
	if !ok {
		return "", fmt.Errorf("/proc/self/cgroup has no line for the %s controller", controller)
	}
	parent, err := h.dirOf(rel)
	if err != nil {
		return "", err
	}
	if staleSweepDue(parent) {
		removeStaleCgroups(parent)
	}
	dir := filepath.Join(parent, "tether-"+id)
	if err := unix.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("create a cgroup v1 under %s: %w", parent, err)
	}
	v.dirs = append(v.dirs, v1Cgroup{hierarchy: h, dir: dir})
	// Moving the launcher thread in and out takes write access to the
	// tasks files of both: root, as v1 is not delegated.
	for _, d := range []string{dir, parent} {
		if err := unix.Access(filepath.Join(d, "tasks"), unix.W_OK); err != nil {
			return "", fmt.Errorf("no write access to %s: %w", filepath.Join(d, "tasks"), err)
		}
	}
	return dir, nil
}

// writeV1Settings writes settings into dir. memory.memsw.limit_in_bytes is
// skipped where swap is not accounted (the file is missing).
func writeV1Settings(dir string, settings []v1Setting) error {
	for _, s := range settings {
		path := filepath.Join(dir, s.file)
		if s.file == "memory.memsw.limit_in_bytes" {
			if _, err := os.Stat(path); err != nil {
				continue
			}
		}
		if err := os.WriteFile(path, []byte(s.value), 0); err != nil {
			return fmt.Errorf("write %s to %s: %w", s.value, path, err)
		}
	}
	return nil
}

// aroundFork runs start, which forks the child, with the calling thread
// inside the attempt's v1 cgroups, so that the child is born there, and
// moves the thread back where it was afterwards, whether the fork worked
// or not.
func (v *v1Limits) aroundFork(start func() error) error {
	runtime.LockOSThread() // a Launcher's thread is locked already: this only nests
	defer runtime.UnlockOSThread()
	tid := strconv.Itoa(unix.Gettid())
	self := "/proc/self/task/" + tid + "/cgroup"
	back, err := v1Paths(self)
	if err != nil {
		return unavailable(ModeCgroup, "cgroup v1: read "+self, err)
	}
	var entered []v1Cgroup
	defer func() { v.leave(tid, entered, back) }()
	for _, c := range v.dirs {
		if err := os.WriteFile(filepath.Join(c.dir, "tasks"), []byte(tid), 0); err != nil {
			return unavailable(ModeCgroup, "cgroup v1: move the launcher thread into "+c.dir, err)
		}
		entered = append(entered, c)
	}
	return start()
}

// leave moves thread tid out of the v1 cgroups it entered, back to its
// cgroups of before (back), or, should one have gone meanwhile, to the
// host's. It must not stay: every child it forks later would be born
// inside another attempt's limits.
func (v *v1Limits) leave(tid string, entered []v1Cgroup, back map[string]string) {
	host, _ := v1Paths("/proc/self/cgroup")
	for _, c := range entered {
		ctl := c.hierarchy.controllers[0]
		for _, rel := range []string{back[ctl], host[ctl], "/"} {
			dir, err := c.hierarchy.dirOf(rel)
			if err == nil && os.WriteFile(filepath.Join(dir, "tasks"), []byte(tid), 0) == nil {
				break
			}
		}
	}
	if v.pidsAfter != "" && len(entered) == len(v.dirs) {
		for _, c := range v.dirs {
			if slices.Contains(c.hierarchy.controllers, "pids") {
				_ = os.WriteFile(filepath.Join(c.dir, "pids.max"), []byte(v.pidsAfter), 0)
			}
		}
	}
}

// oomKilled reports whether memory.oom_control counts an OOM kill in the
// attempt's v1 memory cgroup (its oom_kill line is Linux 4.13's).
func (v *v1Limits) oomKilled() bool {
	if v.memDir == "" {
		return false
	}
	return countsOOMKill(filepath.Join(v.memDir, "memory.oom_control"))
}

// release removes the attempt's v1 cgroups, and reports whether they are
// all gone.
func (v *v1Limits) release() bool {
	gone := true
	for _, c := range v.dirs {
		gone = removeCgroup(c.dir) && gone
	}
	return gone
}

// v1Hierarchies lists the cgroup v1 hierarchies mounted, from
// /proc/self/mountinfo (fstype cgroup; the super options name the
// controllers).
func v1Hierarchies() ([]v1Hierarchy, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var hier []v1Hierarchy
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		// ID parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(after) < 3 || after[0] != "cgroup" {
			continue
		}
		h := v1Hierarchy{mountPoint: unescapeMountinfo(fields[4]), root: unescapeMountinfo(fields[3])}
		if h.root == "/" {
			h.root = ""
		}
		for _, opt := range strings.Split(after[2], ",") {
			if opt == "memory" || opt == "cpu" || opt == "pids" || opt == "cpuacct" {
				h.controllers = append(h.controllers, opt)
			}
		}
		if len(h.controllers) > 0 && !slices.ContainsFunc(hier, func(o v1Hierarchy) bool { return o.mountPoint == h.mountPoint }) {
			hier = append(hier, h)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(hier) == 0 {
		return nil, errors.New("no cgroup v1 hierarchy with a memory, cpu or pids controller is mounted")
	}
	return hier, nil
}

// v1Paths reads a /proc/…/cgroup file: each v1 controller's cgroup path
// ("4:memory:/a/b" gives memory → /a/b).
func v1Paths(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	for line := range bytes.Lines(b) {
		f := strings.SplitN(strings.TrimRight(string(line), "\n"), ":", 3)
		if len(f) != 3 || f[1] == "" {
			continue
		}
		for _, ctl := range strings.Split(f[1], ",") {
			paths[ctl] = f[2]
		}
	}
	return paths, nil
}
