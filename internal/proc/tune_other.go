//go:build !linux

package proc

import "os"

func tunePipe(*os.File) {}
