//go:build !unix && !windows

package tether

import "io/fs"

func executable(fs.FileInfo) bool { return true }
