//go:build !linux && !darwin && !windows

package main

import "io"

// isTerminal reports false: without a way to ask, tether writes events as
// NDJSON unless --output text is given.
func isTerminal(w io.Writer) bool { return false }
