//go:build !linux && !darwin && !windows

package main

// watchParent closes gone when tether's parent, whose pid was ppid when
// tether started, has died. Here it polls getppid (see pollParent).
func watchParent(ppid int) (gone <-chan struct{}, stop func()) { return pollParent(ppid) }
