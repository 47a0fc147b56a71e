package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// sysGroup on Windows is a job object that holds the child and, because a
// process created by a job's member joins that job (MSDN "Job Objects"),
// every descendant it starts. The job has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
// so when its last handle closes, with Release or with the host's death
// however it dies, the kernel terminates every process still in it.
//
// The child is created with CREATE_SUSPENDED, assigned to the job, and only
// then resumed: it cannot run, let alone start a process that would escape
// the job, before it is inside.
//
// Nested jobs: a host that is itself in a job (a CI runner, a terminal, an
// IDE) gets our job nested in its own. Windows 8 added nesting; before it
// AssignProcessToJobObject failed with ERROR_ACCESS_DENIED for such a host.
// Go 1.26 programs need Windows 10 or later, so this cannot happen where
// tether runs; should assignment fail all the same, start fails with an
// error that says so. There is no silent fallback to containing the direct
// child only, because that would quietly drop the no-orphans guarantee.
//
// The job handle is never inheritable (CreateJobObject without security
// attributes), so the host's death really closes its last handle.
type sysGroup struct {
	mu      sync.Mutex     // guards job against Release racing the others
	job     windows.Handle // 0 before start and after release
	pid     uint32         // the child's pid: also its console process group id
	console bool           // the child shares the host's console
	notices *jobNotices    // the job's notifications, with a memory limit; else nil
}

var (
	modntdll    = windows.NewLazySystemDLL("ntdll.dll")
	modkernel32 = windows.NewLazySystemDLL("kernel32.dll")

	// NtResumeProcess resumes every thread of a process. It is exported
	// by ntdll since Windows XP but not documented; os/exec closes the
	// primary thread's handle, so ResumeThread would need a Toolhelp
	// snapshot of every thread in the system to find it again.
	procNtResumeProcess = modntdll.NewProc("NtResumeProcess")

	procGetConsoleProcessList = modkernel32.NewProc("GetConsoleProcessList")
)

func (s *sysGroup) start(cmd *exec.Cmd, limits Limits) error {
	job, err := newKillOnCloseJob(limits)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.job = job
	s.mu.Unlock()
	if limits.MemoryBytes > 0 {
		// Before the child is in the job: no notification is missed.
		if s.notices, err = watchJobNotices(job, s.killForMemory); err != nil {
			return limitsUnavailable(ModeAuto, limits, "the job's memory-limit notification cannot be had", err)
		}
	}

	s.console = hasConsole()
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: winCreationFlags(s.console)}
	if err := cmd.Start(); err != nil {
		return err // start's caller releases the job
	}
	s.pid = uint32(cmd.Process.Pid)

	var serr error
	herr := cmd.Process.WithHandle(func(h uintptr) {
		ph := windows.Handle(h)
		// MSDN AssignProcessToJobObject: the handle needs
		// PROCESS_SET_QUOTA and PROCESS_TERMINATE; CreateProcess's
		// handle has PROCESS_ALL_ACCESS.
		if err := windows.AssignProcessToJobObject(job, ph); err != nil {
			serr = fmt.Errorf("proc: assign process %d to its job object (a host in a job that forbids nesting, before Windows 8, cannot): %w", s.pid, err)
			return
		}
		if st := ntResumeProcess(ph); st != nil {
			serr = fmt.Errorf("proc: resume process %d: %w", s.pid, st)
		}
	})
	if herr != nil && serr == nil {
		serr = fmt.Errorf("proc: process %d handle: %w", s.pid, herr)
	}
	if serr != nil {
		// The child is suspended (or, assigned, about to die with the
		// job on release): it has run no code. Kill and reap it, since
		// nobody will call Wait on a Group that failed to start.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return serr
	}
	return nil
}

// newKillOnCloseJob creates an unnamed, non-inheritable job object whose
// processes all die when its last handle is closed.
func newKillOnCloseJob(limits Limits) (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("proc: create job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
			LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
		},
	}
	if limits.MemoryBytes > 0 {
		info.BasicLimitInformation.LimitFlags |= windows.JOB_OBJECT_LIMIT_JOB_MEMORY
		info.JobMemoryLimit = uintptr(limits.MemoryBytes)
	}
	if limits.Pids > 0 {
		info.BasicLimitInformation.LimitFlags |= windows.JOB_OBJECT_LIMIT_ACTIVE_PROCESS
		info.BasicLimitInformation.ActiveProcessLimit = uint32(limits.Pids)
	}
	if limits.CPUPercent > 0 {
		if err := setJobCPURate(job, limits.CPUPercent); err != nil {
			_ = windows.CloseHandle(job)
			return 0, limitsUnavailable(ModeAuto, limits, "the job object refuses a CPU rate", err)
		}
	}
	// MSDN JOBOBJECT_BASIC_LIMIT_INFORMATION: KILL_ON_JOB_CLOSE is set
	// through JobObjectExtendedLimitInformation, not the basic class.
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return 0, fmt.Errorf("proc: set kill-on-close limit on job object: %w", err)
	}
	return job, nil
}

// ntResumeProcess resumes the suspended process h.
func ntResumeProcess(h windows.Handle) error {
	if err := procNtResumeProcess.Find(); err != nil {
		return err
	}
	r, _, _ := procNtResumeProcess.Call(uintptr(h))
	if r != 0 {
		return windows.NTStatus(r)
	}
	return nil
}

// hasConsole reports whether the host is attached to a console, visible or
// not. GetConsoleWindow would say no for the windowless console that
// CREATE_NO_WINDOW gives a process, yet CTRL_BREAK works there; MSDN
// GetConsoleProcessList fails (returns 0) exactly when there is no console,
// and otherwise counts at least the caller.
func hasConsole() bool {
	var pid uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&pid)), 1)
	return n != 0
}

// send is signal: no signal pauses a tree on Windows.
func (s *sysGroup) send(g *Group, sig os.Signal) error { return s.signal(g, sig) }

func (s *sysGroup) signal(g *Group, sig os.Signal) error {
	act := winSignalAction(sig)
	if act == winKill {
		return s.kill(g)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if act == winUnsupported {
		return fmt.Errorf("proc: signal %v: %w", sig, errors.ErrUnsupported)
	}
	if !s.activeLocked() {
		return ErrGroupGone
	}
	if !s.console {
		return fmt.Errorf("proc: signal %v: the host has no console to share with the child, so CTRL_BREAK cannot reach it: %w", sig, errors.ErrUnsupported)
	}
	// MSDN GenerateConsoleCtrlEvent: CTRL_BREAK_EVENT goes to the process
	// group dwProcessGroupId of the caller's console; the child leads that
	// group (CREATE_NEW_PROCESS_GROUP) and its descendants inherit it.
	// It fails when the caller shares no console with them (a service, a
	// host that freed its console since).
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, s.pid); err != nil {
		return fmt.Errorf("proc: send CTRL_BREAK_EVENT to process group %d (it needs a console shared with the child): %w", s.pid, err)
	}
	return nil
}

func (s *sysGroup) kill(*Group) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.activeLocked() {
		return ErrGroupGone
	}
	// MSDN TerminateJobObject: every process in the job, nested jobs
	// included, is terminated with the exit code given.
	if err := windows.TerminateJobObject(s.job, 1); err != nil {
		return fmt.Errorf("proc: terminate job object of process %d: %w", s.pid, err)
	}
	return nil
}

func (s *sysGroup) alive(*Group) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeLocked()
}

// activeLocked reports whether the job holds a process that has not
// terminated. The caller holds s.mu.
func (s *sysGroup) activeLocked() bool {
	if s.job == 0 {
		return false
	}
	n, err := jobActiveProcesses(s.job)
	if err != nil {
		// Cannot tell: say yes, so that callers go on to kill and
		// release rather than leave processes behind.
		return true
	}
	return n > 0
}

func (s *sysGroup) release() {
	if s.notices != nil {
		s.notices.close() // first: its goroutine may be waiting for s.mu
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.job != 0 {
		// With KILL_ON_JOB_CLOSE this terminates whatever is left.
		_ = windows.CloseHandle(s.job)
		s.job = 0
	}
}

func (s *sysGroup) mode() string { return "job-object" }

func (s *sysGroup) watcherErr() error { return nil }

// interruptRead closes r: a Windows pipe cannot be polled, so a blocked
// ReadFile is ended only by closing the handle.
func interruptRead(r *os.File) { _ = r.Close() }

func drainNonblocking(*os.File, []byte, int, func([]byte)) {}

// jobCPURateInfo is JOBOBJECT_CPU_RATE_CONTROL_INFORMATION with CpuRate.
type jobCPURateInfo struct {
	ControlFlags uint32
	CPURate      uint32
}

const (
	jobCPURateEnable  = 0x1 // JOB_OBJECT_CPU_RATE_CONTROL_ENABLE
	jobCPURateHardCap = 0x4 // JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP
)

// setJobCPURate caps the job at percent of one CPU. MSDN
// JOBOBJECT_CPU_RATE_CONTROL_INFORMATION: CpuRate is the share of all the
// processors' cycles, in 1/10000ths (Windows 8 and later).
func setJobCPURate(job windows.Handle, percent int) error {
	rate := percent * 100 / runtime.NumCPU()
	info := jobCPURateInfo{ControlFlags: jobCPURateEnable | jobCPURateHardCap, CPURate: uint32(min(max(rate, 1), 10000))}
	_, err := windows.SetInformationJobObject(job, windows.JobObjectCpuRateControlInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	return err
}

// oomKilled reports whether the job notified that it passed its memory
// limit (JOB_OBJECT_MSG_JOB_MEMORY_LIMIT), which killForMemory answered by
// killing the tree.
func (s *sysGroup) oomKilled() bool {
	return s.notices != nil && s.notices.sawMemoryLimit()
}

// killForMemory kills the tree of a job that passed its memory limit: past
// it the job refuses allocations, and a process that survives the refusal
// would run on crippled, where Linux kills it.
func (s *sysGroup) killForMemory() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.job != 0 {
		_ = windows.TerminateJobObject(s.job, 1)
	}
}
