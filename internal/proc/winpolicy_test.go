//go:build unix || windows

package proc

import (
	"os"
	"syscall"
	"testing"
)

func TestWinCreationFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		hasConsole bool
		want       uint32
	}{
		{
			name:       "console host shares its console so CTRL_BREAK reaches the child",
			hasConsole: true,
			want:       winCreateSuspended | winCreateNewProcessGroup,
		},
		{
			name:       "host without console hides the child's console window",
			hasConsole: false,
			want:       winCreateSuspended | winCreateNewProcessGroup | winCreateNoWindow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := winCreationFlags(tt.hasConsole)
			if got != tt.want {
				t.Fatalf("winCreationFlags(%v) = %#x, want %#x", tt.hasConsole, got, tt.want)
			}
			// Both always: the child must not run before it is in its job,
			// and must lead its own console process group.
			if got&winCreateSuspended == 0 || got&winCreateNewProcessGroup == 0 {
				t.Fatalf("winCreationFlags(%v) = %#x lacks CREATE_SUSPENDED or CREATE_NEW_PROCESS_GROUP", tt.hasConsole, got)
			}
		})
	}
}

// otherSignal is a signal no OS knows.
type otherSignal struct{}

func (otherSignal) String() string { return "other" }
func (otherSignal) Signal()        {}

func TestWinSignalAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sig  os.Signal
		want winAction
	}{
		{sig: os.Interrupt, want: winBreak},
		{sig: syscall.SIGINT, want: winBreak},
		{sig: syscall.SIGTERM, want: winBreak},
		{sig: syscall.SIGHUP, want: winBreak},
		{sig: os.Kill, want: winKill},
		{sig: syscall.SIGKILL, want: winKill},
		{sig: syscall.Signal(0), want: winUnsupported},
		{sig: syscall.SIGQUIT, want: winUnsupported},
		{sig: otherSignal{}, want: winUnsupported},
	}
	for _, tt := range tests {
		if got := winSignalAction(tt.sig); got != tt.want {
			t.Errorf("winSignalAction(%v) = %v, want %v", tt.sig, got, tt.want)
		}
	}
}
