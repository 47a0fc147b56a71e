package proc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroup is ModeCgroup's container: a cgroup v2 of the attempt's own,
// created beside nothing else under the host's cgroup, which the child enters
// at clone time (clone3 CLONE_INTO_CGROUP through SysProcAttr.UseCgroupFD),
// before it runs a single instruction. Every descendant is born inside it,
// whatever it does with sessions and process groups, and only a process
// allowed to write cgroup.procs elsewhere (root) can move out.
//
// Kill writes cgroup.kill (Linux 5.14), which the kernel makes win against
// concurrent forks; without it every member is sent SIGKILL, again at every
// check, until none is left. Emptiness is cgroup.events' "populated 0" (a
// zombie is not a member). The stop signal goes to the process group and to
// every other member, so that a setsid'd descendant also gets the chance to
// stop cleanly.
type cgroup struct {
	dir    string    // the attempt's cgroup directory
	rel    string    // the same cgroup as /proc/PID/cgroup names it
	noKill bool      // no cgroup.kill: kill member by member
	fd     int       // the directory, open until the child has started; -1 after
	pgid   int       // the child's process group, set once it runs
	v1     *v1Limits // the limits cgroup v2 could not take, or nil
}

// newCgroup creates attempt id's cgroup, or returns an error matching
// ErrUnavailable that says why it cannot.
func newCgroup(a Attr, id string) (*cgroup, error) {
	parent, rel, err := hostCgroup()
	if a.cgroupParent != "" {
		parent, rel, err = a.cgroupParent, "", nil
		if mnt, root, merr := cgroup2Mount(""); merr == nil && strings.HasPrefix(parent, mnt) {
			rel = filepath.Join(root, strings.TrimPrefix(parent, mnt))
		}
	}
	if err != nil {
		return nil, unavailable(ModeCgroup, "no cgroup v2 found", err)
	}
	if staleSweepDue(parent) {
		removeStaleCgroups(parent)
	}
	name := "tether-" + id
	c := &cgroup{dir: filepath.Join(parent, name), rel: filepath.Join(rel, name), fd: -1}
	if err := unix.Mkdir(c.dir, 0o755); err != nil {
		hostMount.forget()
		return nil, unavailable(ModeCgroup, "create a cgroup under "+parent, err)
	}
	fail := func(why string, err error) (*cgroup, error) {
		_ = unix.Rmdir(c.dir)
		return nil, unavailable(ModeCgroup, why, err)
	}
	// A cgroup inside a threaded subtree is born "domain invalid" and takes
	// no process.
	if t, err := os.ReadFile(filepath.Join(c.dir, "cgroup.type")); err != nil || string(bytes.TrimSpace(t)) != "domain" {
		return fail("a new cgroup under "+parent+" is not of type domain", err)
	}
	// Entering a cgroup at clone time takes write access to cgroup.procs of
	// both the target and the common ancestor (the host's cgroup): root, or
	// a subtree delegated to our user.
	for _, d := range []string{c.dir, parent} {
		if err := unix.Access(filepath.Join(d, "cgroup.procs"), unix.W_OK); err != nil {
			return fail("no write access to "+filepath.Join(d, "cgroup.procs"), err)
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "cgroup.kill")); err != nil || a.noCgroupKill {
		c.noKill = true
	}
	fd, err := unix.Open(c.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("open "+c.dir, err)
	}
	c.fd = fd
	return c, nil
}

func (c *cgroup) mode() Mode { return ModeCgroup }

func (c *cgroup) cgroupDir() string { return c.dir }

func (c *cgroup) prepare(a *syscall.SysProcAttr) {
	a.UseCgroupFD = true
	a.CgroupFD = c.fd
}

func (c *cgroup) started(pid int) {
	c.closeFD()
	c.pgid = pid
}

func (c *cgroup) closeFD() {
	if c.fd >= 0 {
		_ = unix.Close(c.fd)
		c.fd = -1
	}
}

func (c *cgroup) signal(sigs ...unix.Signal) bool {
	pids := cgroupProcs(c.dir)
	for _, pid := range pids {
		if pg, err := unix.Getpgid(pid); err == nil && pg == c.pgid {
			continue // kill(-pgid) reached it
		}
		signalPinned(pid, sigs, func() bool { return cgroupOf(pid) == c.rel })
	}
	return len(pids) > 0
}

func (c *cgroup) kill() error {
	if c.noKill {
		c.killEach()
		return nil
	}
	if err := writeSysFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1")); err != nil {
		if errors.Is(err, os.ErrNotExist) && !cgroupPopulated(c.dir) {
			return nil // removed: nothing left to kill
		}
		return fmt.Errorf("proc: kill cgroup %s: %w", c.dir, err)
	}
	return nil
}

// killEach sends SIGKILL to every member, for kernels without cgroup.kill.
// A member forked meanwhile is caught by the next call (alive calls it
// while killing).
func (c *cgroup) killEach() {
	for _, pid := range cgroupProcs(c.dir) {
		signalPinned(pid, []unix.Signal{unix.SIGKILL}, func() bool { return cgroupOf(pid) == c.rel })
	}
}

func (c *cgroup) alive(killing bool) bool {
	if !cgroupPopulated(c.dir) {
		return false
	}
	if killing && c.noKill {
		c.killEach()
	}
	return true
}

func (c *cgroup) release() bool {
	c.closeFD()
	gone := removeCgroup(c.dir)
	if c.v1 != nil {
		gone = c.v1.release() && gone
	}
	return gone
}

// aroundFork runs start, which forks the child: inside the attempt's v1
// cgroups when it has some.
func (c *cgroup) aroundFork(start func() error) error {
	if c.v1 == nil {
		return start()
	}
	return c.v1.aroundFork(start)
}

// limitsVia names what enforces the limits when it is not cgroup v2 alone:
// "v1:memory,pids" for those controllers of cgroup v1.
func (c *cgroup) limitsVia() string {
	if c.v1 == nil {
		return ""
	}
	return "v1:" + strings.Join(c.v1.controllers, ",")
}

// staleSweeps remembers when each parent cgroup was last swept of dead
// hosts' cgroups: a sweep reads the whole directory, and a host starting a
// thousand attempts there must not read a thousand entries a thousand times.
// Like the forker, it is inherently one per process.
var staleSweeps struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// staleSweepDue reports whether parent is due for a sweep (none in the last
// 10 s), and if so records one now.
func staleSweepDue(parent string) bool {
	staleSweeps.mu.Lock()
	defer staleSweeps.mu.Unlock()
	now := time.Now()
	if t, ok := staleSweeps.last[parent]; ok && now.Sub(t) < 10*time.Second {
		return false
	}
	if staleSweeps.last == nil {
		staleSweeps.last = make(map[string]time.Time)
	}
	staleSweeps.last[parent] = now
	return true
}

// removeStaleCgroups removes the empty attempt cgroups that dead hosts left
// in parent: a host killed without a watcher leaves its attempts' cgroups
// behind. A cgroup is stale when the host pid in its name ("tether-PID.…") is
// not a process any more (a zombie host still counts: its watcher may be at
// work); only an empty one can be removed, so nothing that runs is touched.
func removeStaleCgroups(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "tether-")
		if !ok || !e.IsDir() {
			continue
		}
		hostPid, _, _ := strings.Cut(rest, ".")
		pid, err := strconv.Atoi(hostPid)
		if err != nil || pid == self || pid <= 0 {
			continue
		}
		if err := unix.Kill(pid, 0); err == nil || errors.Is(err, unix.EPERM) {
			continue
		}
		removeCgroup(filepath.Join(parent, e.Name()))
	}
}

// removeCgroup removes dir and every cgroup below it (a tethered host's own
// attempt cgroups, left by its death), deepest first. Most have none: the
// cgroups below are looked for only when dir refuses to go. A cgroup whose
// last member has just been reaped may refuse for a moment, so it is tried
// for up to 100 ms. It reports whether dir is gone.
func removeCgroup(dir string) bool {
	wait := 100 * time.Microsecond
	subs := false // the cgroups below were removed
	for deadline := time.Now().Add(100 * time.Millisecond); ; {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return true
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) || cgroupPopulated(dir) {
			return false
		}
		if !subs {
			subs = true
			if below := childCgroups(dir); len(below) > 0 {
				for _, sub := range below {
					removeCgroup(sub)
				}
				continue
			}
		}
		time.Sleep(wait)
		wait *= 2
	}
}

// killCgroup kills every process of the cgroup dir and below it: through
// cgroup.kill, or without it (before Linux 5.14) by SIGKILL to each member.
// The watcher calls it until the cgroup is empty.
func killCgroup(dir string) {
	if err := writeSysFile(filepath.Join(dir, "cgroup.kill"), []byte("1")); err == nil {
		return
	}
	for _, pid := range cgroupProcs(dir) {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
}

// cgroupPopulated reports whether a live process is in the cgroup dir or
// below it. A cgroup that cannot be read counts as empty. A cgroup v1 (no
// cgroup.events) is populated when any cgroup.procs of its tree lists one.
func cgroupPopulated(dir string) bool {
	b, err := readSysFile(filepath.Join(dir, "cgroup.events"))
	if errors.Is(err, os.ErrNotExist) {
		return len(cgroupProcs(dir)) > 0
	}
	if err != nil {
		return false
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("populated ")); ok {
			return len(v) > 0 && v[0] == '1'
		}
	}
	return false
}

// cgroupProcs lists the processes of the cgroup dir and of every cgroup below
// it.
func cgroupProcs(dir string) []int {
	var pids []int
	b, _ := readSysFile(filepath.Join(dir, "cgroup.procs"))
	for f := range bytes.FieldsSeq(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	for _, sub := range childCgroups(dir) {
		pids = append(pids, cgroupProcs(sub)...)
	}
	return pids
}

// childCgroups lists the cgroups right below dir. Most have none, and a
// cgroup directory's link count tells it without reading the directory
// (2 plus its subdirectories, as in any directory of cgroupfs): the stop
// of a thousand attempts at once reads a thousand directories fewer, twice.
func childCgroups(dir string) []string {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err == nil && st.Nlink == 2 {
		return nil
	}
	entries, _ := os.ReadDir(dir)
	var subs []string
	for _, e := range entries {
		if e.IsDir() {
			subs = append(subs, filepath.Join(dir, e.Name()))
		}
	}
	return subs
}

// cgroupOf returns the cgroup v2 path of process pid, as /proc/PID/cgroup
// shows it, or "".
func cgroupOf(pid int) string {
	b, err := readSysFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return ""
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("0::")); ok {
			return string(bytes.TrimRight(v, "\n"))
		}
	}
	return ""
}

// hostCgroup returns the directory of the cgroup v2 the host runs in, and
// its path as /proc/self/cgroup shows it.
func hostCgroup() (dir, rel string, err error) {
	rel = cgroupOf(os.Getpid())
	if rel == "" {
		return "", "", errors.New("not in a cgroup v2 (no 0:: line in /proc/self/cgroup)")
	}
	mnt, root, err := hostMount.lookup(rel)
	if err != nil {
		return "", "", err
	}
	sub, ok := strings.CutPrefix(rel, root)
	if !ok {
		return "", "", fmt.Errorf("cgroup %s is outside the cgroup2 mount's root %s", rel, root)
	}
	return filepath.Join(mnt, sub), rel, nil
}

// hostMount remembers where the cgroup2 tree holding the host's cgroup is
// mounted, so that a start need not read and parse /proc/self/mountinfo:
// that was an eighth of the CPU tether spent to start a thousand sidecars.
// It is looked up again when the host's cgroup changes, and forgotten when
// a cgroup could not be made under it. Like the forker, it is one per
// process, as the mount table is.
var hostMount mountCache

type mountCache struct {
	mu             sync.Mutex
	rel, mnt, root string // the host's cgroup; its mount point and root there
}

func (c *mountCache) lookup(rel string) (mnt, root string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rel == rel {
		return c.mnt, c.root, nil
	}
	mnt, root, err = cgroup2Mount(rel)
	if err != nil {
		return "", "", err
	}
	c.rel, c.mnt, c.root = rel, mnt, root
	return mnt, root, nil
}

func (c *mountCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rel = ""
}

// cgroup2Mount finds a cgroup2 mount in /proc/self/mountinfo whose root
// holds the cgroup rel (any cgroup2 mount when rel is ""): its mount point
// and its root inside the hierarchy. The unified hierarchy is not always at
// /sys/fs/cgroup: a hybrid layout mounts it at /sys/fs/cgroup/unified.
func cgroup2Mount(rel string) (mountPoint, root string, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		// ID parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		f := strings.Fields(pre)
		if len(f) < 5 {
			continue
		}
		root, mnt := unescapeMountinfo(f[3]), unescapeMountinfo(f[4])
		if rel == "" || root == "/" || rel == root || strings.HasPrefix(rel, root+"/") {
			if root == "/" {
				root = ""
			}
			return mnt, root, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	return "", "", errors.New("no cgroup2 mount in /proc/self/mountinfo")
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// signalPinned sends sigs, in order, to process pid if still() holds for
// it, without the risk of hitting a recycled pid: a pidfd pins the process
// first, and still() is checked after (a pid cannot be reused while the
// process it names exists). Before Linux 5.3 (no pidfd_open) it checks,
// then kills.
func signalPinned(pid int, sigs []unix.Signal, still func() bool) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		if still() {
			for _, sig := range sigs {
				_ = unix.Kill(pid, sig)
			}
		}
		return
	}
	if err != nil {
		return // gone
	}
	defer unix.Close(fd)
	if still() {
		for _, sig := range sigs {
			_ = unix.PidfdSendSignal(fd, sig, nil, 0)
		}
	}
}

// cgroupLimitPeriod is cpu.max's period: a quota of CPUPercent×1000 µs per
// 100 ms.
const cgroupLimitPeriod = 100000

// applyLimits writes l into the attempt's cgroup, enabling the controllers
// it needs in the parent's cgroup.subtree_control first when they are not.
// It returns the limits it could not apply (none: the zero Limits) and why.
func (c *cgroup) applyLimits(a Attr, l Limits) (rest Limits, why string) {
	type setting struct {
		controller, file, value string
		clear                   func(*Limits)
	}
	var want []setting
	if l.MemoryBytes > 0 {
		want = append(want, setting{"memory", "memory.max", strconv.FormatInt(l.MemoryBytes, 10), func(l *Limits) { l.MemoryBytes = 0 }})
	}
	if l.CPUPercent > 0 {
		want = append(want, setting{"cpu", "cpu.max", fmt.Sprintf("%d %d", l.CPUPercent*cgroupLimitPeriod/100, cgroupLimitPeriod), func(l *Limits) { l.CPUPercent = 0 }})
	}
	if l.Pids > 0 {
		want = append(want, setting{"pids", "pids.max", strconv.Itoa(l.Pids), func(l *Limits) { l.Pids = 0 }})
	}
	parent := filepath.Dir(c.dir)
	var missing []string
	rest = l
	for _, w := range want {
		if a.noV2Controllers {
			missing = append(missing, w.controller)
			continue
		}
		if _, err := os.Stat(filepath.Join(c.dir, w.file)); err != nil {
			// Not delegated to our cgroup's children yet: ask for it.
			_ = os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+"+w.controller), 0)
		}
		if err := os.WriteFile(filepath.Join(c.dir, w.file), []byte(w.value), 0); err != nil {
			missing = append(missing, w.controller)
			continue
		}
		w.clear(&rest)
		if w.controller == "memory" {
			// Past the limit the tree is OOM-killed, not swapped
			// out: swap would let it take the machine down slowly
			// instead.
			_ = os.WriteFile(filepath.Join(c.dir, "memory.swap.max"), []byte("0"), 0)
		}
	}
	if len(missing) == 0 {
		return Limits{}, ""
	}
	have, _ := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
	noun := "controller"
	if len(missing) > 1 {
		noun += "s"
	}
	return rest, fmt.Sprintf("cgroup v2 at %s does not give its cgroups the %s %s (controllers there: %q)",
		parent, strings.Join(missing, ", "), noun, strings.TrimSpace(string(have)))
}

// oomKilled reports whether the kernel counts an OOM kill in the cgroup:
// memory.events, or the v1 memory cgroup's memory.oom_control when the
// memory limit is there.
func (c *cgroup) oomKilled() bool {
	if c.v1 != nil && c.v1.memDir != "" {
		return c.v1.oomKilled()
	}
	return countsOOMKill(filepath.Join(c.dir, "memory.events"))
}

// countsOOMKill reports whether the file (v2's memory.events, v1's
// memory.oom_control) has an "oom_kill N" line with N above 0.
func countsOOMKill(file string) bool {
	b, err := readSysFile(file)
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if n, ok := strings.CutPrefix(line, "oom_kill "); ok {
			return strings.TrimSpace(n) != "0"
		}
	}
	return false
}
