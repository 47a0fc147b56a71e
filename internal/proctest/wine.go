package proctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Wine readies Wine for a test that runs Windows builds under it and
// returns the wine64 binary. The test is skipped unless TETHER_TEST_WINE
// is set (CI sets it in its Wine step); once asked for, a missing wine64 or
// a failing setup fails t rather than skipping it. repoRoot is the path of
// the repository's root from the test's package directory.
func Wine(t testing.TB, repoRoot string) string {
	t.Helper()
	if os.Getenv("TETHER_TEST_WINE") == "" {
		t.Skip("set TETHER_TEST_WINE=1 to run the Windows build under Wine")
	}
	const wine = "/usr/lib/wine/wine64"
	if _, err := os.Stat(wine); err != nil {
		t.Fatal("wine64 is not installed (run .ci/wine/setup.sh):", err)
	}
	setup := exec.Command("bash", filepath.Join(repoRoot, ".ci", "wine", "setup.sh"))
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("wine setup: %v\n%s", err, out)
	}
	return wine
}
