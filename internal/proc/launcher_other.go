//go:build !linux

package proc

type launcher struct{}

func newLauncher() launcher { return launcher{} }

func (launcher) start(a Attr) (*Group, error) { return start(a) }

func (launcher) close() {}
