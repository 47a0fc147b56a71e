//go:build unix

package probe

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// escape starts the test binary as a "sleep" helper in a session of its own
// (out of our process group, as a daemon would be) holding our stdout, writes
// its pid to the file args[0], and exits 0.
func escape(args []string) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Println(err)
		return 1
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helperEnv+"=sleep")
	cmd.Stdout = os.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		return 1
	}
	if err := os.WriteFile(args[0], []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		fmt.Println(err)
		return 1
	}
	return 0
}
