package tether

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// mdLink matches a Markdown link or image target: ](target).
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// bareURL matches a URL written in the text.
	bareURL = regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s)\x60"'<>]+`)
)

// urlHost returns the host (with any port) of a URL such as
// http://127.0.0.1:{port}/health, which net/url refuses.
func urlHost(s string) (string, bool) {
	i := strings.Index(s, "://")
	if i < 0 || strings.ContainsAny(s[:i], "/#?") {
		return "", false
	}
	rest := s[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// localHost reports whether a URL's host is one an example may name: the
// loopback, or a placeholder such as HOST.
func localHost(host string) bool {
	host = strings.ToLower(host)
	switch host {
	case "127.0.0.1", "localhost", "[::1]", "::1", "host", "host:port", "…", "":
		return true
	}
	h := host
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return h == "127.0.0.1" || h == "localhost" || h == "[::1]" || h == "host" ||
		strings.HasSuffix(h, ".example") || h == "example.com" || strings.HasSuffix(h, ".invalid")
}

// The project's documentation stands alone: every Markdown file in the
// repository links only to files inside it that exist, names no web site
// but the loopback in examples, and sends no one to the documents beside
// the repository (the contract is restated in docs/cli.md).
func TestDocsSelfContained(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 8 {
		t.Fatalf("found only %d Markdown files", len(files))
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, outside := range []string{"shared/docs", "CONTRACT.md", "DESIGN.md", "MECHANICS.md", "STYLE.md"} {
			if strings.Contains(text, outside) {
				t.Errorf("%s mentions %s, a document outside the repository", rel, outside)
			}
		}
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.HasPrefix(target, "#") {
				continue
			}
			if host, ok := urlHost(target); ok {
				if !localHost(host) {
					t.Errorf("%s links outside the repository: %s", rel, target)
				}
				continue
			}
			path, _, _ := strings.Cut(target, "#")
			abs := filepath.Join(filepath.Dir(f), filepath.FromSlash(path))
			if r, err := filepath.Rel(root, abs); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				t.Errorf("%s links outside the repository: %s", rel, target)
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s links to %s, which does not exist", rel, target)
			}
		}
		for _, u := range bareURL.FindAllString(text, -1) {
			if host, _ := urlHost(u); !localHost(host) {
				t.Errorf("%s names a site outside the repository: %s", rel, u)
			}
		}
	}
}

// The test above catches what it should.
func TestDocsSelfContainedCatches(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		host string
		ok   bool
	}{{"127.0.0.1:8080", true}, {"localhost", true}, {"[::1]:9", true}, {"HOST:PORT", true}, {"github.com", false}, {"tauri.app", false}} {
		if localHost(c.host) != c.ok {
			t.Errorf("localHost(%q) = %v", c.host, !c.ok)
		}
	}
	if m := mdLink.FindStringSubmatch("see [it](../shared/docs/CONTRACT.md)."); m == nil || m[1] != "../shared/docs/CONTRACT.md" {
		t.Errorf("link not found: %v", m)
	}
}
