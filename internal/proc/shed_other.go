//go:build unix && !linux

package proc

// shedFilePages does nothing here.
func shedFilePages() {}
