package proc

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// readSysFile reads a small file of /proc or of a cgroup with plain system
// calls. os.ReadFile registers a file that can be polled (cgroup files
// can) with the runtime's poller and takes it out again at close: five
// system calls more per read (epoll_ctl twice, fcntl, fstat), which the
// stop of a thousand attempts at once paid thousands of times. These files
// never block a read.
func readSysFile(path string) ([]byte, error) {
	fd, err := openSysFile(path, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// writeSysFile writes data to a file of a cgroup in one write, with plain
// system calls (see readSysFile).
func writeSysFile(path string, data []byte) error {
	fd, err := openSysFile(path, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		_, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
		return nil
	}
}

func openSysFile(path string, mode int) (int, error) {
	for {
		fd, err := unix.Open(path, mode|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}
