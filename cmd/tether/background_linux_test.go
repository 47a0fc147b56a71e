package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tether.dev/tether/internal/proctest"
)

// TestServiceFiles runs the command line of each service file in
// docs/cli.md ("Running in the background or as a service") as a service
// manager would: as init's child (setsid -f), in its working directory,
// with a tether.toml there. tether must keep its sidecar running, and
// SIGTERM must stop everything.
func TestServiceFiles(t *testing.T) {
	t.Parallel()
	var argvs = map[string][]string{}
	for _, b := range fencedBlocks(t, "docs/cli.md") {
		if b.section != "Running in the background or as a service" {
			continue
		}
		argvs[b.lang] = serviceArgv(t, b)
	}
	for _, lang := range []string{"ini", "xml", "powershell"} {
		argv, ok := argvs[lang]
		if !ok {
			t.Fatalf("docs/cli.md has no %s service block", lang)
		}
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			if !strings.HasPrefix(filepath.Base(strings.ReplaceAll(argv[0], `\`, "/")), "tether") || len(argv) < 2 || argv[1] != "up" {
				t.Fatalf("the service runs %q, want tether up", argv)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "tether.toml"), []byte("[sidecar.svc]\ncommand = [\"sleep\", \"1000\"]\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("cd %q && exec setsid -f %q %s >%q 2>&1", dir, tetherBin, strings.Join(quoteAll(argv[1:]), " "), filepath.Join(dir, "out"))
			sh := exec.Command("sh", "-c", line)
			sh.Env = append(os.Environ(), proctest.Env(t))
			if out, err := sh.CombinedOutput(); err != nil {
				t.Fatalf("sh: %v %s", err, out)
			}
			keepsRunningUntilTERM(t, func() string {
				out, _ := os.ReadFile(filepath.Join(dir, "out"))
				return "its output: " + string(out)
			})
			out, _ := os.ReadFile(filepath.Join(dir, "out"))
			if !strings.Contains(string(out), "stopped") {
				t.Errorf("tether's text output does not say the sidecar stopped:\n%s", out)
			}
		})
	}
}

// serviceArgv takes the command line out of a service file block: a systemd
// unit's ExecStart, a launchd plist's ProgramArguments, an nssm install line.
func serviceArgv(t *testing.T, b docBlock) []string {
	t.Helper()
	switch b.lang {
	case "ini":
		for _, l := range strings.Split(b.text, "\n") {
			if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
				return strings.Fields(v)
			}
		}
	case "xml":
		_, args, _ := strings.Cut(b.text, "<key>ProgramArguments</key>")
		args, _, _ = strings.Cut(args, "</array>")
		var argv []string
		for _, m := range regexp.MustCompile(`<string>([^<]*)</string>`).FindAllStringSubmatch(args, -1) {
			argv = append(argv, m[1])
		}
		return argv
	case "powershell":
		for _, l := range strings.Split(b.text, "\n") {
			if f := strings.Fields(l); len(f) > 3 && f[0] == "nssm" && f[1] == "install" {
				return f[3:]
			}
		}
	}
	t.Fatalf("docs/cli.md:%d: no command line in the %s block", b.line, b.lang)
	return nil
}
