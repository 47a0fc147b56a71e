//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"tether.dev/tether/bundle"
	"tether.dev/tether/internal/proctest"
)

// repoRoot is the repository's root, seen from this package's directory.
const repoRoot = "../.."

// docBlock is one fenced code block of a Markdown file.
type docBlock struct {
	file    string // relative to the repository root
	line    int    // of the opening fence
	lang    string // after the opening fence
	text    string // the lines between the fences, each ending in \n
	section string // the heading the block is under
	part    string // the level-2 heading (## ...) the block is under
}

// fencedBlocks returns the fenced code blocks of a Markdown file.
func fencedBlocks(t *testing.T, file string) []docBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []docBlock
	var cur *docBlock
	section, part := "", ""
	for i, line := range strings.SplitAfter(string(b), "\n") {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &docBlock{file: file, line: i + 1, lang: strings.TrimPrefix(trimmed, "```"), section: section, part: part}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line
		case strings.HasPrefix(trimmed, "#"):
			section = strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
			if strings.HasPrefix(trimmed, "## ") {
				part = section
			}
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: a code block that does not end", file, cur.line)
	}
	return out
}

// includesVerbatim fails t unless doc has a fenced block of lang whose text
// is exactly the file's.
func includesVerbatim(t *testing.T, doc, lang, file string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(repoRoot, file))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range fencedBlocks(t, doc) {
		if b.lang == lang && b.text == string(want) {
			return
		}
	}
	t.Errorf("%s does not include %s verbatim in a %s block: copy the file's text into it", doc, file, lang)
}

// buildExample builds the Go program in dir (relative to the repository
// root) and returns the executable's path.
func buildExample(t *testing.T, dir string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), filepath.Base(dir))
	out, err := exec.Command("go", "build", "-o", exe, "./"+filepath.Join(repoRoot, dir)).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	return exe
}

// The README's "From Go" program is examples/gohost, verbatim, and it
// works as the README says: the server gets ready, answers, prints its
// events, and Ctrl-C stops it, with nothing left running.
func TestReadmeGoHost(t *testing.T) {
	t.Parallel()
	includesVerbatim(t, "README.md", "go", "examples/gohost/main.go")
	exe := buildExample(t, "examples/gohost")
	cmd := exec.Command(exe)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), proctest.Env(t))
	out := runUntilReady(t, cmd, regexp.MustCompile(`the server answered 200 OK`), "examples/gohost", nil)
	for _, want := range []string{"python3: spawned pid", "python3: ready after", `"GET / HTTP/1.1" 200`, "stopped; nothing is left running"} {
		if !strings.Contains(out, want) {
			t.Errorf("gohost's output does not say %q:\n%s", want, out)
		}
	}
}

// bundledDir lays out what a desktop app ships: a copy of the tether under
// test, and beside it a sidecar named api (a shell script standing in for
// a real server: it serves /health, with python3, on the port given as
// --port N). It returns the directory.
func bundledDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin, err := os.ReadFile(tetherBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tether"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	api := `#!/bin/sh
# A stand-in for a bundled server: serves /health on --port N.
while [ $# -gt 0 ]; do
  case $1 in --port) port=$2; shift;; esac
  shift
done
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$(dirname "$0")/www"
`
	if err := os.WriteFile(filepath.Join(dir, "api"), []byte(api), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "www"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "www", "health"), []byte("ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// commandLines returns the logical lines of a shell block: continuation
// lines joined, blank lines and whole-line comments left out.
func commandLines(text string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if more, ok := strings.CutSuffix(l, `\`); ok {
			cur.WriteString(strings.TrimSpace(more) + " ")
			continue
		}
		cur.WriteString(l)
		if s := strings.TrimSpace(cur.String()); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, s)
		}
		cur.Reset()
	}
	return out
}

// tetherCommandBlock reports whether a block is shell commands that run
// tether (or build and run it with go): the blocks TestDocCommands runs.
func tetherCommandBlock(b docBlock) bool {
	if b.lang != "sh" && b.lang != "" {
		return false
	}
	lines := commandLines(b.text)
	for _, l := range lines {
		if !strings.HasPrefix(l, "tether ") && !strings.HasPrefix(l, "go run ./cmd/tether") && !strings.HasPrefix(l, "go test ") && !strings.HasPrefix(l, ".ci/run") &&
			!strings.HasPrefix(l, "cp tether.example.toml") {
			return false
		}
	}
	return len(lines) > 0
}

// synopsisBlock reports whether a block lists usage lines ("tether run
// [flags] -- COMMAND [ARG...]   supervise one sidecar") rather than commands.
func synopsisBlock(b docBlock) bool {
	return b.lang == "" && strings.Contains(b.text, "COMMAND [ARG...]")
}

// docFiles returns the Markdown files whose every code block a test runs,
// builds or checks: README.md and docs/*.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(files) < 6 {
		t.Fatalf("docs/*.md: %v, %d files", err, len(files))
	}
	out := []string{"README.md"}
	for _, f := range files {
		out = append(out, "docs/"+filepath.Base(f))
	}
	return out
}

// blockCoverage names the test that runs, builds or checks a block, or
// returns "" when none does.
func blockCoverage(t *testing.T, b docBlock) string {
	t.Helper()
	verbatim := map[string]string{
		"examples/gohost/main.go":   "TestReadmeGoHost",
		"examples/exechost/main.go": "TestHostsExecHost",
		"examples/pyhost/host.py":   "TestHostsPythonHost",
		// The sidecar's side: the programs the SDKs' tests run.
		"examples/gosidecar/main.go":         "TestGoSidecarExample (sidecar)",
		"sdk/python/tests/sync_sidecar.py":   "sdk/python/tests/test_tether.py",
		"sdk/node/test/fixtures/sidecar.mjs": "sdk/node/test/tether.test.js",
	}
	for file, test := range verbatim {
		if src, err := os.ReadFile(filepath.Join(repoRoot, file)); err == nil && string(src) == b.text {
			return test
		}
	}
	switch {
	case b.file == "docs/hosts.md" && b.part == "Electron or Node":
		return "the Electron main process run under a stand-in electron module (clients/node/test/electron.test.js, in sdk/test.sh) and TestNodeExample"
	case b.file == "docs/hosts.md" && (b.lang == "rust" || b.lang == "json" || b.lang == "toml"):
		return "TestHostsTauri"
	case b.file == "docs/cli.md" && (b.lang == "toml" || b.lang == "json"):
		return "TestDocConfigAndEvents"
	case b.file == "docs/cli.md" && b.lang == "" && regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `).MatchString(b.text):
		return "TestDocConfigAndEvents"
	case b.lang == "" && strings.Contains(b.text, "┌─"):
		return "a diagram, not code"
	case b.lang == "console":
		return "TestDocConsole"
	case b.file == "docs/cli.md" && strings.Contains(b.text, "↑↓ select"):
		return "the --ui screen, an illustration of what the live view draws"
	case b.file == "docs/cli.md" && b.section == "Running in the background or as a service":
		return "TestServiceFiles"
	case b.file == "docs/cli.md" && b.section == "Building tether":
		return "TestBuildCommand"
	case b.file == "docs/bundling.md":
		return "TestBundlingSnippets"
	case tetherCommandBlock(b):
		return "TestDocCommands"
	}
	return ""
}

// Every code block of the README and docs/ is run, built or checked by a
// test: a block that none covers fails here, naming where it is.
func TestDocSnippetsCovered(t *testing.T) {
	t.Parallel()
	n := 0
	for _, f := range docFiles(t) {
		for _, b := range fencedBlocks(t, f) {
			n++
			if blockCoverage(t, b) == "" {
				t.Errorf("%s:%d: a %q code block that no test runs or checks (see blockCoverage in cmd/tether/docs_test.go):\n%s", b.file, b.line, b.lang, b.text)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d code blocks found", n)
	}
}

// Every shell command in the README and docs/ that runs tether works as
// printed: it gets its sidecar ready, and Ctrl-C stops it cleanly. Bundled
// sidecars are laid out as an app ships them (bundledDir).
func TestDocCommands(t *testing.T) {
	t.Parallel()
	bundled := bundledDir(t)
	var lines []string
	for _, f := range docFiles(t) {
		for _, b := range fencedBlocks(t, f) {
			if tetherCommandBlock(b) && !(b.file == "docs/hosts.md" && b.part == "Electron or Node") {
				kind := "run"
				if synopsisBlock(b) {
					kind = "usage"
				}
				for _, l := range commandLines(b.text) {
					lines = append(lines, b.file+"\x00"+kind+"\x00"+l)
				}
			}
		}
	}
	if len(lines) < 8 {
		t.Fatalf("only %d commands found", len(lines))
	}
	help, _, _ := tetherExec(t, "", "", "help")
	for _, fl := range lines {
		file, rest, _ := strings.Cut(fl, "\x00")
		kind, line, _ := strings.Cut(rest, "\x00")
		t.Run(file+": "+line, func(t *testing.T) {
			t.Parallel()
			switch {
			case strings.HasPrefix(line, "go test "), strings.HasPrefix(line, ".ci/run"):
				// The test suite itself, and CI, which runs it: running
				// them from inside the suite would never end.
				return
			case kind == "usage":
				words := strings.Fields(line)
				if !strings.Contains(help, "  tether "+words[1]) {
					t.Errorf("usage line %q names a command tether help does not list", line)
				}
				return
			}
			dir := t.TempDir()
			if strings.HasPrefix(line, "go run ") {
				dir = repoRoot
			}
			if strings.HasPrefix(line, "cp tether.example.toml") {
				src, err := os.ReadFile(filepath.Join(repoRoot, "tether.example.toml"))
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "tether.example.toml"), src, 0o644)
			}
			cmd := exec.Command("sh", "-c", shellScript(line))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+bundled+string(os.PathListSeparator)+os.Getenv("PATH"), proctest.Env(t), "NO_COLOR=1")
			var exitOK func(string) bool
			if strings.HasPrefix(line, "go run ") {
				// go run itself exits 1 after an interrupt, whatever its
				// program's status: look at tether's own last event.
				exitOK = func(out string) bool { return strings.Contains(out, `"event":"stopped","code":0`) }
			}
			runUntilReady(t, cmd, readyLine, line, exitOK)
		})
	}
}

// runToEnd runs cmd to its end, for at most d, and returns its output and
// error.
func runToEnd(t *testing.T, cmd *exec.Cmd, d time.Duration) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end within %v:\n%s", cmd.Args, d, out.String())
		return "", nil
	}
}

// hosts.md's Go host with os/exec is examples/exechost, verbatim, and it
// works: two readies (a restart command between them), then it closes
// tether's stdin, reads to the end, and tether exits 0.
func TestHostsExecHost(t *testing.T) {
	t.Parallel()
	includesVerbatim(t, "docs/hosts.md", "go", "examples/exechost/main.go")
	exe := buildExample(t, "examples/exechost")
	cmd := exec.Command(exe, tetherBin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), proctest.Env(t))
	out, err := runToEnd(t, cmd, 3*time.Minute)
	if err != nil {
		t.Fatalf("exechost: %v\n%s", err, out)
	}
	for _, want := range []string{"api: ready (attempt 1)", "stopped by tether", "api: ready (attempt 2)", "supervision ended, status 0", "tether exited with status 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("exechost's output does not say %q:\n%s", want, out)
		}
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// hosts.md's Python asyncio host is examples/pyhost/host.py, verbatim,
// and it reads a 6 MiB event (a 1 MiB line of control characters) without
// tripping asyncio's line limit.
func TestHostsPythonHost(t *testing.T) {
	t.Parallel()
	includesVerbatim(t, "docs/hosts.md", "python", "examples/pyhost/host.py")
	host, err := filepath.Abs(filepath.Join(repoRoot, "examples/pyhost/host.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", host, tetherBin, "sh", "-c",
		`head -c 1048575 /dev/zero | tr '\000' '\001'; echo; exec python3 -m http.server "$1" --bind 127.0.0.1`, "sh", "{port}")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), proctest.Env(t))
	out, err := runToEnd(t, cmd, 3*time.Minute)
	if err != nil {
		t.Fatalf("host.py: %v\n%s", err, out)
	}
	for _, want := range []string{"(1048575 characters)", "api: ready; GET / answered 200", "api: supervision ended, status 0", "tether exited with status 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("host.py's output does not say %q:\n%s", want, out)
		}
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// The Tauri part of hosts.md cannot be compiled here, so what can be
// checked is: tauri.conf.json is JSON that bundles tether and api; every
// crate the Rust code uses is in the Cargo.toml shown; and tether, run with
// exactly the arguments the Rust code passes, from the layout Tauri
// installs, gets api ready and stops it when its stdin closes (which is
// what dropping the CommandChild does).
func TestHostsTauri(t *testing.T) {
	t.Parallel()
	var rust, cargo, conf string
	for _, b := range fencedBlocks(t, "docs/hosts.md") {
		switch b.lang {
		case "rust":
			rust += b.text
		case "toml":
			cargo = b.text
		case "json":
			conf = b.text
		}
	}
	var c struct {
		Bundle struct {
			ExternalBin []string `json:"externalBin"`
		} `json:"bundle"`
	}
	if err := json.Unmarshal([]byte(conf), &c); err != nil || !slices.Contains(c.Bundle.ExternalBin, "binaries/tether") || !slices.Contains(c.Bundle.ExternalBin, "binaries/api") {
		t.Errorf("tauri.conf.json %q: %v, %v", conf, err, c)
	}
	var deps struct {
		Dependencies map[string]any `toml:"dependencies"`
	}
	if _, err := toml.Decode(cargo, &deps); err != nil {
		t.Fatalf("Cargo.toml: %v\n%s", err, cargo)
	}
	crates := regexp.MustCompile(`(?:^|[^:\w{.])([a-z_][a-z0-9_]*)::[^<]`).FindAllStringSubmatch(rust, -1)
	used := map[string]bool{}
	for _, m := range crates {
		used[m[1]] = true
	}
	for crate := range used {
		if crate == "std" || crate == "self" || crate == "super" || crate == "crate" {
			continue
		}
		_, under := deps.Dependencies[crate]
		if _, dash := deps.Dependencies[strings.ReplaceAll(crate, "_", "-")]; !under && !dash {
			t.Errorf("the Rust code uses the crate %s, which the Cargo.toml shown does not list", crate)
		}
	}
	for _, want := range []string{"tauri", "tauri_plugin_shell", "serde", "serde_json", "log"} {
		if !used[want] {
			t.Errorf("the Rust code no longer uses %s: update this test and the Cargo.toml", want)
		}
	}

	argsRe := regexp.MustCompile(`(?s)\.args\(\[(.*?)\]\)`)
	m := argsRe.FindStringSubmatch(rust)
	if m == nil {
		t.Fatal("no .args([...]) in the Rust code")
	}
	var args []string
	for _, q := range regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(m[1], -1) {
		args = append(args, q[1])
	}
	dir := bundledDir(t)
	cmd := exec.Command(filepath.Join(dir, "tether"), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), proctest.Env(t))
	p := startProc(t, cmd, false)
	p.waitKind(2*time.Minute, 0, "ready")
	p.stdin.Close() // the app quits: its CommandChild is dropped
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("tether with the Rust code's arguments %q: exit status %d\n%s", args, code, p.dump())
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// docs/cli.md's tether.toml is a valid config, its events pass the event
// schema, and its text output looks like text output.
func TestDocConfigAndEvents(t *testing.T) {
	t.Parallel()
	var tomls, events, texts int
	for _, b := range fencedBlocks(t, "docs/cli.md") {
		switch {
		case b.lang == "toml":
			tomls++
			file := filepath.Join(t.TempDir(), "tether.toml")
			os.WriteFile(file, []byte(b.text), 0o644)
			if _, err := loadConfig(file); err != nil {
				t.Errorf("cli.md:%d: %v", b.line, err)
			}
		case b.lang == "json":
			events++
			var check eventChecker
			for _, line := range strings.SplitAfter(b.text, "\n") {
				if line == "" {
					continue
				}
				var e event
				if err := check.event([]byte(line), &e); err != nil {
					t.Errorf("cli.md:%d: %v: %s", b.line, err, line)
				}
			}
		case blockCoverage(t, b) == "TestDocConfigAndEvents":
			texts++
			line := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} [a-z]+ +(\| |\* [a-z])`)
			for _, l := range strings.Split(strings.TrimSpace(b.text), "\n") {
				if !line.MatchString(l) {
					t.Errorf("cli.md:%d: not a line of text output: %q", b.line, l)
				}
			}
		}
	}
	if tomls == 0 || events == 0 || texts == 0 {
		t.Errorf("found %d configs, %d event blocks, %d text blocks in cli.md", tomls, events, texts)
	}
}

// goCheck type-checks Go source files (name → text) as a package main of
// a module that uses this repository's tether.
func goCheck(t *testing.T, files map[string]string) {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files["go.mod"] = "module snippet\n\ngo 1.26\n\nrequire tether.dev/tether v0.0.0\n\nreplace tether.dev/tether => " + root + "\n"
	files["go.sum"] = string(sum)
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the Go code does not build: %v\n%s\n%s", err, out, files["main.go"])
	}
}

// docs/bundling.md's code: the Go snippets build; the Go build script
// builds for this platform under the name bundle.Find looks for, and each
// of its lines names the triple bundle.TargetTriple gives; every
// api-<triple> the page names is a triple tether knows; the not-found
// message is the one bundle.Find gives; rustc, when present, agrees with
// bundle.CurrentTriple. (PyInstaller, Bun and Deno are not installed here:
// their lines are checked for the names they produce only.)
func TestBundlingSnippets(t *testing.T) {
	t.Parallel()
	known := map[string]bool{"universal-apple-darwin": true}
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range strings.Fields(string(out)) {
		goos, goarch, _ := strings.Cut(pair, "/")
		if tr, ok := bundle.TargetTriple(goos, goarch); ok {
			known[tr] = true
		}
	}
	nameRe := regexp.MustCompile(`api-([a-z0-9_]+(?:-[a-z0-9_]+)+)`)
	buildRe := regexp.MustCompile(`(?m)^build (\w+) +(\w+) +(\S+)$`)
	var goBlocks, built int
	for _, b := range fencedBlocks(t, "docs/bundling.md") {
		for _, m := range nameRe.FindAllStringSubmatch(b.text, -1) {
			if !known[strings.TrimSuffix(m[1], ".exe")] {
				t.Errorf("bundling.md:%d: %s names a triple tether does not know", b.line, m[0])
			}
		}
		switch {
		case b.lang == "go" && strings.HasPrefix(b.text, "package main"):
			goBlocks++
			goCheck(t, map[string]string{"main.go": b.text,
				"stub.go": "package main\n\nimport \"tether.dev/tether\"\n\nfunc (a *App) supervise(spec tether.Spec) error { return nil }\n\nfunc main() { _, _ = NewApp() }\n"})
		case b.lang == "go":
			goBlocks++
			goCheck(t, map[string]string{"main.go": "package main\n\nimport (\n\t\"tether.dev/tether\"\n\t\"tether.dev/tether/bundle\"\n)\n\nfunc main() { _ = start() }\n\nfunc start() error {\n" +
				b.text + "\t_ = spec\n\treturn nil\n}\n"})
		case buildRe.MatchString(b.text):
			for _, m := range buildRe.FindAllStringSubmatch(b.text, -1) {
				if tr, _ := bundle.TargetTriple(m[1], m[2]); tr != m[3] {
					t.Errorf("bundling.md:%d: build %s %s %s: tether's triple for %s/%s is %q", b.line, m[1], m[2], m[3], m[1], m[2], tr)
				}
			}
			built++
			runBuildScript(t, b.text)
		case strings.Contains(b.text, "not found for"):
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "api"), nil, 0o644)
			os.WriteFile(filepath.Join(dir, "api-aarch64-apple-darwin"), nil, 0o755)
			_, err := bundle.Layout{Dir: dir, GOOS: "linux", GOARCH: "amd64"}.Find("api")
			got := strings.ReplaceAll(fmt.Sprint(err), dir, "/opt/app")
			if want := strings.Join(strings.Fields(b.text), " "); got != want {
				t.Errorf("bundling.md:%d: the message shown is\n%s\nbut bundle.Find says\n%s", b.line, want, got)
			}
		case strings.HasPrefix(b.text, "rustc -vV"):
			if _, err := exec.LookPath("rustc"); err != nil {
				t.Logf("rustc is not installed: its host triple was not compared")
				continue
			}
			host, err := exec.Command("sh", "-c", commandLines(b.text)[0]).Output()
			cur, _ := bundle.CurrentTriple()
			if err != nil || strings.TrimSpace(string(host)) != cur {
				t.Errorf("bundling.md:%d: rustc says %q (%v), bundle.CurrentTriple %q", b.line, host, err, cur)
			}
		}
	}
	if goBlocks < 2 || built != 1 {
		t.Errorf("found %d Go blocks and %d build scripts in bundling.md", goBlocks, built)
	}
}

// runBuildScript runs the Go build script of bundling.md for this
// platform only (cross-building six targets would take minutes), in a
// module with a ./cmd/api, and checks that bundle.Find finds the result.
func runBuildScript(t *testing.T, script string) {
	t.Helper()
	def, _, _ := strings.Cut(script, "\nbuild ")
	cur, _ := bundle.CurrentTriple()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "cmd", "api"), 0o755)
	os.MkdirAll(filepath.Join(dir, "src-tauri", "binaries"), 0o755)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module api\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cmd", "api", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	cmd := exec.Command("sh", "-c", def+"\nbuild "+runtime.GOOS+" "+runtime.GOARCH+" "+cur+"\n")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the build script: %v\n%s", err, out)
	}
	path, err := bundle.Layout{Dir: filepath.Join(dir, "src-tauri", "binaries")}.Find("api")
	if err != nil || filepath.Base(path) != "api-"+cur {
		t.Errorf("bundle.Find after the build script: %q, %v", path, err)
	}
}

// Console sessions in the docs ("$ command" then its output) are run as
// printed, to their end (bounded), and what they show comes out: each
// event kind a shown line names, and each shown line that is not JSON.
func TestDocConsole(t *testing.T) {
	t.Parallel()
	n := 0
	for _, f := range docFiles(t) {
		for _, b := range fencedBlocks(t, f) {
			if b.lang != "console" {
				continue
			}
			var cmdLine string
			var shown []string
			flush := func() {
				if cmdLine == "" {
					return
				}
				n++
				line, want := cmdLine, shown
				t.Run(line, func(t *testing.T) {
					t.Parallel()
					cmd := exec.Command("sh", "-c", line)
					cmd.Dir = t.TempDir()
					cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(tetherBin)+string(os.PathListSeparator)+os.Getenv("PATH"), proctest.Env(t))
					out, err := runToEnd(t, cmd, 3*time.Minute)
					if err != nil {
						t.Errorf("%s:%d: %s: %v\n%s", b.file, b.line, line, err, out)
					}
					for _, w := range want {
						for _, m := range regexp.MustCompile(`"event":"[a-z_]+"`).FindAllString(w, -1) {
							if !strings.Contains(out, m) {
								t.Errorf("%s:%d: %s: the output shows %s, but running it gave:\n%s", b.file, b.line, line, m, out)
							}
						}
						if !strings.HasPrefix(w, "{") && !strings.Contains(out, w) {
							t.Errorf("%s:%d: %s: the output shows %q, but running it gave:\n%s", b.file, b.line, line, w, out)
						}
					}
					proctest.NoLeftovers(t, 2*time.Second)
				})
			}
			for _, l := range strings.Split(strings.TrimRight(b.text, "\n"), "\n") {
				if c, ok := strings.CutPrefix(l, "$ "); ok {
					flush()
					cmdLine, shown = c, nil
				} else if l != "" {
					shown = append(shown, l)
				}
			}
			flush()
		}
	}
	if n == 0 {
		t.Error("no console sessions found")
	}
}

// The build command of docs/cli.md works as printed (its output put in a
// temporary directory) and makes a binary without cgo, as the page says.
func TestBuildCommand(t *testing.T) {
	t.Parallel()
	var lines []string
	for _, b := range fencedBlocks(t, "docs/cli.md") {
		if b.section == "Building tether" {
			lines = append(lines, commandLines(b.text)...)
		}
	}
	const want = "CGO_ENABLED=0 go build -trimpath -o tether ./cmd/tether"
	if len(lines) != 1 || lines[0] != want {
		t.Fatalf("docs/cli.md, Building tether: commands %q, want [%q]", lines, want)
	}
	exe := filepath.Join(t.TempDir(), "tether")
	cmd := exec.Command("sh", "-c", strings.Replace(lines[0], "-o tether", "-o '"+exe+"'", 1))
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", lines[0], err, out)
	}
	info, err := exec.Command("go", "version", "-m", exe).CombinedOutput()
	if err != nil || !strings.Contains(string(info), "CGO_ENABLED=0") {
		t.Errorf("go version -m: %v\n%s", err, info)
	}
	if out, err := exec.Command(exe, "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "tether ") {
		t.Errorf("tether version: %v, %q", err, out)
	}
}
