//go:build unix && !linux && !darwin

package proc

import (
	"errors"
	"fmt"
)

func procCommand(int) (string, error) {
	return "", fmt.Errorf("proc: process command line: %w", errors.ErrUnsupported)
}

func procName(int) (string, error) {
	return "", fmt.Errorf("proc: process name: %w", errors.ErrUnsupported)
}

func lookupProc(int) (procInfo, bool) { return procInfo{}, false }
