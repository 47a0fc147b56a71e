package probe

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperEnv names the helper the test binary plays when it is started by a
// test rather than by go test (os/exec's TestMain dispatch).
const helperEnv = "TETHER_PROBE_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// runHelper plays the helper named h and returns its exit status.
func runHelper(h string, args []string) int {
	switch h {
	case "sleep":
		time.Sleep(100 * time.Second)
		return 0
	case "escape":
		return escape(args)
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", h)
	return 2
}
