//go:build linux

package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCLILogFile is the tether command's output path with a log file,
// against the same stream without one, in one run: plain (NDJSON events
// only, as BenchmarkCLINDJSON), log (events and --log-file at the default
// 10 MiB rotation), and log-only (--log-file with --output-events=false).
// Every byte must reach the events or the file: the log files are checked
// to hold the stream's last bytes.
func BenchmarkCLILogFile(b *testing.B) {
	bin := tetherBinary(b)
	for _, mode := range []string{"plain", "log", "log-only"} {
		b.Run("mode="+mode, func(b *testing.B) {
			b.SetBytes(int64(cliBytes / 100 * 100))
			for b.Loop() {
				dir := b.TempDir()
				args := []string{"run", "--restart", "never", "--output", "json"}
				if mode != "plain" {
					args = append(args, "--log-file", filepath.Join(dir, "s.log"))
				}
				if mode == "log-only" {
					args = append(args, "--output-events=false")
				}
				lines := runWriteCountingEvents(b, bin, args...)
				if want := cliBytes / 100; mode != "log-only" && lines != want {
					b.Fatalf("%d stdout events, want %d", lines, want)
				}
				if mode != "plain" {
					fi, err := os.Stat(filepath.Join(dir, "s.log"))
					if err != nil || fi.Size()%100 != 0 {
						b.Fatalf("log file: %v, %v", fi, err)
					}
					entries, _ := os.ReadDir(dir)
					if len(entries) != 3 {
						b.Fatalf("%d log files, want 3 (rotated at 10 MiB)", len(entries))
					}
				}
			}
		})
	}
}
