//go:build unix

package tether

import "io/fs"

func executable(fi fs.FileInfo) bool { return fi.Mode()&0o111 != 0 }
