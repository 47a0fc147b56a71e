//go:build unix && !linux && !darwin

package proc

import "os"

// watcherExecutable is the host's executable.
func watcherExecutable() (string, error) { return os.Executable() }

// waitHost feeds handle with the lifeline's bytes until end of file: the
// host closed it or died.
func waitHost(_ int, handle func([]byte)) { readUntilEOF(handle) }
