//go:build !unix && !windows

package sidecar

import "context"

// watchTether does nothing where tether does not run.
func watchTether(ctx context.Context, pid int, fire func(string)) {}
