//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
	section := ""
	for i, line := range strings.SplitAfter(string(b), "\n") {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &docBlock{file: file, line: i + 1, lang: strings.TrimPrefix(trimmed, "```"), section: section}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line
		case strings.HasPrefix(trimmed, "#"):
			section = strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
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
	out := runUntilReady(t, cmd, regexp.MustCompile(`the server answered 200 OK`), "examples/gohost")
	for _, want := range []string{"python3: spawned pid", "python3: ready after", `"GET / HTTP/1.1" 200`, "stopped; nothing is left running"} {
		if !strings.Contains(out, want) {
			t.Errorf("gohost's output does not say %q:\n%s", want, out)
		}
	}
}
