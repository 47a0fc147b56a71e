//go:build !unix && !windows

package sidecar

import "errors"

// send is not supported where tether does not run.
func send(path string, msg []byte) error { return errors.ErrUnsupported }
