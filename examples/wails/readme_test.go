package main

import (
	"os"
	"strings"
	"testing"
)

// The README quotes the example's code: each ```go block, cut at its
// "..." lines, must appear line for line (indentation aside) in main.go or
// app.go, so that what a Wails user copies is what the tests build and run.
func TestReadmeQuotesTheCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var code []string
	for _, f := range []string{"main.go", "app.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code = append(code, trimmedLines(string(b))...)
	}
	blocks := 0
	for _, part := range strings.Split(string(readme), "```go\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		blocks++
		for _, chunk := range strings.Split(block, "...\n") {
			if lines := trimmedLines(chunk); len(lines) > 0 && !containsRun(code, lines) {
				t.Errorf("README.md quotes code that main.go and app.go do not hold:\n%s", chunk)
			}
		}
	}
	if blocks < 5 {
		t.Errorf("found %d Go blocks in README.md, want the 5 of the three things to copy", blocks)
	}
}

// trimmedLines returns s's lines, trimmed, without the empty ones.
func trimmedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// containsRun reports whether want appears in lines as consecutive lines.
func containsRun(lines, want []string) bool {
	for i := 0; i+len(want) <= len(lines); i++ {
		match := true
		for j := range want {
			if lines[i+j] != want[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
