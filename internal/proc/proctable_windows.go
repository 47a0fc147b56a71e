package proc

import (
	"bytes"
	"fmt"
	"path/filepath"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

// procInfo is one process as a toolhelp snapshot shows it. Windows has no
// process groups and no zombies: pgrp stays 0 and zombie false.
type procInfo struct {
	pid, ppid, pgrp int
	zombie          bool
	exe             string // executable's base name
}

// readProcTable lists every process of the system from a toolhelp snapshot.
func readProcTable() ([]procInfo, error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil, fmt.Errorf("proc: process snapshot: %w", err)
	}
	defer windows.CloseHandle(snap)
	var out []procInfo
	entry := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &entry); err == nil; err = windows.Process32Next(snap, &entry) {
		out = append(out, procInfo{
			pid:  int(entry.ProcessID),
			ppid: int(entry.ParentProcessID),
			exe:  windows.UTF16ToString(entry.ExeFile[:]),
		})
	}
	return out, nil
}

// processParameters reads pid's RTL_USER_PROCESS_PARAMETERS (found through
// its PEB) and calls read with a function that copies from pid's memory. The
// process must be of this one's bitness.
func processParameters(pid int, read func(params *windows.RTL_USER_PROCESS_PARAMETERS, copyFrom func(addr uintptr, buf []byte) error) error) error {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION|windows.PROCESS_VM_READ, false, uint32(pid))
	if err != nil {
		return fmt.Errorf("proc: open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	copyFrom := func(addr uintptr, buf []byte) error {
		if len(buf) == 0 {
			return nil
		}
		return windows.ReadProcessMemory(h, addr, &buf[0], uintptr(len(buf)), nil)
	}
	var basic windows.PROCESS_BASIC_INFORMATION
	if err := windows.NtQueryInformationProcess(h, windows.ProcessBasicInformation, unsafe.Pointer(&basic), uint32(unsafe.Sizeof(basic)), nil); err != nil {
		return fmt.Errorf("proc: process %d information: %w", pid, err)
	}
	var peb windows.PEB
	if err := copyFrom(uintptr(unsafe.Pointer(basic.PebBaseAddress)), unsafe.Slice((*byte)(unsafe.Pointer(&peb)), unsafe.Sizeof(peb))); err != nil {
		return fmt.Errorf("proc: process %d PEB: %w", pid, err)
	}
	var params windows.RTL_USER_PROCESS_PARAMETERS
	if err := copyFrom(uintptr(unsafe.Pointer(peb.ProcessParameters)), unsafe.Slice((*byte)(unsafe.Pointer(&params)), unsafe.Sizeof(params))); err != nil {
		return fmt.Errorf("proc: process %d parameters: %w", pid, err)
	}
	return read(&params, copyFrom)
}

// readUTF16 copies n bytes of UTF-16 from addr and returns them as UTF-8.
func readUTF16(copyFrom func(uintptr, []byte) error, addr uintptr, n int) ([]byte, error) {
	raw := make([]byte, n&^1)
	if err := copyFrom(addr, raw); err != nil {
		return nil, err
	}
	units := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw)/2)
	return []byte(string(utf16.Decode(units))), nil
}

// procEnviron returns pid's environment block, NUL separated, read from its
// memory (as Process Explorer does).
func procEnviron(pid int) ([]byte, error) {
	var env []byte
	err := processParameters(pid, func(params *windows.RTL_USER_PROCESS_PARAMETERS, copyFrom func(uintptr, []byte) error) error {
		var err error
		env, err = readUTF16(copyFrom, uintptr(params.Environment), int(params.EnvironmentSize))
		return err
	})
	if i := bytes.Index(env, []byte{0, 0}); i >= 0 {
		env = env[:i+1]
	}
	return env, err
}

func procCommand(pid int) (string, error) {
	var cmdline []byte
	err := processParameters(pid, func(params *windows.RTL_USER_PROCESS_PARAMETERS, copyFrom func(uintptr, []byte) error) error {
		var err error
		cmdline, err = readUTF16(copyFrom, uintptr(unsafe.Pointer(params.CommandLine.Buffer)), int(params.CommandLine.Length))
		return err
	})
	return string(cmdline), err
}

func procName(pid int) (string, error) {
	procs, err := readProcTable()
	if err != nil {
		return "", err
	}
	for _, p := range procs {
		if p.pid == pid {
			return filepath.Base(p.exe), nil
		}
	}
	return "", fmt.Errorf("proc: no process %d", pid)
}

// GroupHasLiveMember reports false: Windows has no process groups (a job
// object holds a tree instead).
func GroupHasLiveMember(int) bool { return false }

func lookupProc(pid int) (procInfo, bool) {
	procs, _ := readProcTable()
	for _, p := range procs {
		if p.pid == pid {
			return p, true
		}
	}
	return procInfo{}, false
}
