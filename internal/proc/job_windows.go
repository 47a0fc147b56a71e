package proc

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// jobBasicAccounting is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION (winnt.h),
// which x/sys/windows does not define.
type jobBasicAccounting struct {
	TotalUserTime             int64
	TotalKernelTime           int64
	ThisPeriodTotalUserTime   int64
	ThisPeriodTotalKernelTime int64
	TotalPageFaultCount       uint32
	TotalProcesses            uint32
	ActiveProcesses           uint32
	TotalTerminatedProcesses  uint32
}

// jobActiveProcesses returns how many processes of job have not terminated
// (MSDN JOBOBJECT_BASIC_ACCOUNTING_INFORMATION.ActiveProcesses).
func jobActiveProcesses(job windows.Handle) (uint32, error) {
	var info jobBasicAccounting
	err := windows.QueryInformationJobObject(job, windows.JobObjectBasicAccountingInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
	if err != nil {
		return 0, fmt.Errorf("proc: query job object accounting: %w", err)
	}
	return info.ActiveProcesses, nil
}

// jobAssociateCompletionPort is JOBOBJECT_ASSOCIATE_COMPLETION_PORT
// (winnt.h), which x/sys/windows does not define.
type jobAssociateCompletionPort struct {
	CompletionKey  uintptr
	CompletionPort windows.Handle
}

// The job's notifications (MSDN JOBOBJECT_ASSOCIATE_COMPLETION_PORT): the
// message is the completion's byte count, the process id its overlapped
// pointer.
const (
	jobMsgNewProcess         = 6  // JOB_OBJECT_MSG_NEW_PROCESS
	jobMsgProcessMemoryLimit = 9  // JOB_OBJECT_MSG_PROCESS_MEMORY_LIMIT
	jobMsgJobMemoryLimit     = 10 // JOB_OBJECT_MSG_JOB_MEMORY_LIMIT
)

// Completion keys on a job's port: the job's own notifications, and the
// two that jobNotices posts to its reading goroutine.
const (
	noticeKeyJob   = 1
	noticeKeyFlush = 2
	noticeKeyQuit  = 3
)

var procGetQueuedCompletionStatus = modkernel32.NewProc("GetQueuedCompletionStatus")

// jobNotices reads a job's notifications from an I/O completion port of its
// own, on a goroutine, for as long as the job lives: the kernel queues one
// per process started and ended, so they must be read, not left to pile up.
// When the job passes its memory limit (the kernel refuses the allocation)
// it calls onMemoryLimit once, which kills the tree: as a Linux OOM kill
// does, and so that the job's own word, not a guess, says it was that.
type jobNotices struct {
	port          windows.Handle
	onMemoryLimit func()
	memoryLimit   atomic.Bool   // a memory-limit notification came
	processes     atomic.Int32  // JOB_OBJECT_MSG_NEW_PROCESS notifications seen (tests)
	flushed       chan struct{} // one value per noticeKeyFlush read
	done          chan struct{} // closed when the goroutine has returned

	mu     sync.Mutex // guards closed against a post to a closed port's recycled handle
	closed bool
}

// watchJobNotices associates a new completion port with job and starts
// reading it. Call it before any process is in the job.
func watchJobNotices(job windows.Handle, onMemoryLimit func()) (*jobNotices, error) {
	port, err := windows.CreateIoCompletionPort(windows.InvalidHandle, 0, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("proc: create the job's completion port: %w", err)
	}
	info := jobAssociateCompletionPort{CompletionKey: noticeKeyJob, CompletionPort: port}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectAssociateCompletionPortInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(port)
		return nil, fmt.Errorf("proc: associate a completion port with the job: %w", err)
	}
	n := &jobNotices{port: port, onMemoryLimit: onMemoryLimit, flushed: make(chan struct{}, 1), done: make(chan struct{})}
	go n.read()
	return n, nil
}

// read takes the port's completions until told to quit.
func (n *jobNotices) read() {
	defer close(n.done)
	for {
		// The overlapped value is a process id, not a pointer: it is
		// read into a uintptr, where the garbage collector leaves it be.
		var msg uint32
		var key, pid uintptr
		r, _, _ := procGetQueuedCompletionStatus.Call(uintptr(n.port), uintptr(unsafe.Pointer(&msg)),
			uintptr(unsafe.Pointer(&key)), uintptr(unsafe.Pointer(&pid)), uintptr(windows.INFINITE))
		if r == 0 && pid == 0 {
			return // the port failed: nothing more will come
		}
		switch key {
		case noticeKeyQuit:
			return
		case noticeKeyFlush:
			n.flushed <- struct{}{}
		case noticeKeyJob:
			switch msg {
			case jobMsgNewProcess:
				n.processes.Add(1)
			case jobMsgJobMemoryLimit, jobMsgProcessMemoryLimit:
				if !n.memoryLimit.Swap(true) {
					n.onMemoryLimit()
				}
			}
		}
	}
}

// sawMemoryLimit reports whether a memory-limit notification came, once
// every notification queued before the call has been read.
func (n *jobNotices) sawMemoryLimit() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed && windows.PostQueuedCompletionStatus(n.port, 0, noticeKeyFlush, nil) == nil {
		select {
		case <-n.flushed:
		case <-n.done:
		case <-time.After(5 * time.Second): // cannot happen; never wedge a stop
		}
	}
	return n.memoryLimit.Load()
}

// close stops the goroutine and closes the port. What it read stays
// readable.
func (n *jobNotices) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.closed = true
	if windows.PostQueuedCompletionStatus(n.port, 0, noticeKeyQuit, nil) == nil {
		<-n.done
	}
	_ = windows.CloseHandle(n.port)
}
