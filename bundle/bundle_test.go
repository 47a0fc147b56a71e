package bundle

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestTargetTriple(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goos, goarch string
		want         string // "" means no triple is known
	}{
		// Tauri's desktop targets.
		{"linux", "amd64", "x86_64-unknown-linux-gnu"},
		{"linux", "386", "i686-unknown-linux-gnu"},
		{"linux", "arm64", "aarch64-unknown-linux-gnu"},
		{"linux", "arm", "armv7-unknown-linux-gnueabihf"},
		{"linux", "riscv64", "riscv64gc-unknown-linux-gnu"},
		{"darwin", "amd64", "x86_64-apple-darwin"},
		{"darwin", "arm64", "aarch64-apple-darwin"},
		{"windows", "amd64", "x86_64-pc-windows-msvc"},
		{"windows", "386", "i686-pc-windows-msvc"},
		{"windows", "arm64", "aarch64-pc-windows-msvc"},
		// Tauri's mobile targets.
		{"android", "arm64", "aarch64-linux-android"},
		{"android", "arm", "armv7-linux-androideabi"},
		{"android", "amd64", "x86_64-linux-android"},
		{"android", "386", "i686-linux-android"},
		{"ios", "arm64", "aarch64-apple-ios"},
		{"ios", "amd64", "x86_64-apple-ios"},
		// Other Linux ports Rust names.
		{"linux", "ppc64le", "powerpc64le-unknown-linux-gnu"},
		{"linux", "ppc64", "powerpc64-unknown-linux-gnu"},
		{"linux", "s390x", "s390x-unknown-linux-gnu"},
		{"linux", "loong64", "loongarch64-unknown-linux-gnu"},
		{"linux", "mips", "mips-unknown-linux-gnu"},
		{"linux", "mipsle", "mipsel-unknown-linux-gnu"},
		{"linux", "mips64", "mips64-unknown-linux-gnuabi64"},
		{"linux", "mips64le", "mips64el-unknown-linux-gnuabi64"},
		// BSDs and the like.
		{"freebsd", "amd64", "x86_64-unknown-freebsd"},
		{"freebsd", "386", "i686-unknown-freebsd"},
		{"freebsd", "arm64", "aarch64-unknown-freebsd"},
		{"freebsd", "arm", "armv7-unknown-freebsd"},
		{"freebsd", "riscv64", "riscv64gc-unknown-freebsd"},
		{"netbsd", "amd64", "x86_64-unknown-netbsd"},
		{"netbsd", "386", "i686-unknown-netbsd"},
		{"netbsd", "arm64", "aarch64-unknown-netbsd"},
		{"netbsd", "arm", "armv7-unknown-netbsd-eabihf"},
		{"openbsd", "amd64", "x86_64-unknown-openbsd"},
		{"openbsd", "386", "i686-unknown-openbsd"},
		{"openbsd", "arm64", "aarch64-unknown-openbsd"},
		{"openbsd", "riscv64", "riscv64gc-unknown-openbsd"},
		{"dragonfly", "amd64", "x86_64-unknown-dragonfly"},
		{"illumos", "amd64", "x86_64-unknown-illumos"},
		{"solaris", "amd64", "x86_64-pc-solaris"},
		// No triple.
		{"plan9", "amd64", ""},
		{"js", "wasm", ""},
		{"wasip1", "wasm", ""},
		{"aix", "ppc64", ""},
		{"windows", "arm", ""},
		{"darwin", "386", ""},
		{"linux", "", ""},
		{"", "amd64", ""},
		{"Linux", "amd64", ""},
	}
	for _, tt := range tests {
		got, ok := TargetTriple(tt.goos, tt.goarch)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("TargetTriple(%q, %q) = %q, %v; want %q, %v", tt.goos, tt.goarch, got, ok, tt.want, tt.want != "")
		}
		// Every triple must be recognised as one, or a build for that
		// platform would not be pointed out as a wrong-triple build.
		if tt.want != "" && !looksLikeTriple(tt.want) {
			t.Errorf("looksLikeTriple(%q) = false", tt.want)
		}
	}
}

func TestCurrentTriple(t *testing.T) {
	t.Parallel()
	got, ok := CurrentTriple()
	want, wantOK := TargetTriple(runtime.GOOS, runtime.GOARCH)
	if got != want || ok != wantOK {
		t.Fatalf("CurrentTriple() = %q, %v; want %q, %v", got, ok, want, wantOK)
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" && got != "x86_64-unknown-linux-gnu" {
		t.Fatalf("CurrentTriple() = %q on linux/amd64", got)
	}
}

func TestLooksLikeTriple(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"x86_64-unknown-linux-musl":     true,
		"universal-apple-darwin":        true,
		"x86_64-pc-windows-gnu":         true,
		"aarch64-apple-ios-sim":         true,
		"thumbv7neon-linux-androideabi": true,
		"server":                        false,
		"x86_64-server":                 false,
		"v2-linux-amd64":                false,
		"x86_64--linux":                 false,
		"x86_64-a-b-c-d":                false,
		"":                              false,
	} {
		if got := looksLikeTriple(s); got != want {
			t.Errorf("looksLikeTriple(%q) = %v, want %v", s, got, want)
		}
	}
}

// touch creates the file rel under dir (and its parents). exe gives it
// exec permission; a rel ending in "/" makes a directory.
func touch(t *testing.T, dir, rel string, exe bool) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if strings.HasSuffix(rel, "/") {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o644)
	if exe {
		mode = 0o755
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return p
}

// tempDir is t.TempDir with symbolic links evaluated (macOS's /var is
// one), so that paths compare equal to what Find returns.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// findCase is one lookup: the name asked for and the file (relative to the
// layout's root, slash-separated) that must be found, or "" for none.
type findCase struct {
	name string
	want string
}

func runFindCases(t *testing.T, b Layout, root string, cases []findCase) {
	t.Helper()
	for _, c := range cases {
		got, err := b.Find(c.name)
		if c.want == "" {
			if err == nil {
				t.Errorf("Find(%q) = %q, want an error", c.name, got)
			} else if !errors.Is(err, ErrNotFound) {
				t.Errorf("Find(%q): %v does not match ErrNotFound", c.name, err)
			}
			continue
		}
		want := filepath.Join(root, filepath.FromSlash(c.want))
		if err != nil || got != want {
			t.Errorf("Find(%q) = %q, %v; want %q", c.name, got, err, want)
		}
	}
}

func TestBundleFindLinux(t *testing.T) {
	t.Parallel()
	root := tempDir(t)
	touch(t, root, "app/host", true)
	touch(t, root, "app/server-x86_64-unknown-linux-gnu", true) // dev: suffixed
	touch(t, root, "app/db", true)                              // bundled: plain
	touch(t, root, "app/both-x86_64-unknown-linux-gnu", true)
	touch(t, root, "app/both", true)
	touch(t, root, "app/my.server", true)
	touch(t, root, "app/data", false) // no exec bit
	touch(t, root, "app/dir/", false)
	touch(t, root, "app/win.exe", true)
	b := Layout{Dir: filepath.Join(root, "app"), GOOS: "linux", GOARCH: "amd64"}
	if dirs, err := b.Dirs(); err != nil || !slices.Equal(dirs, []string{filepath.Join(root, "app")}) {
		t.Errorf("Dirs() = %q, %v", dirs, err)
	}
	runFindCases(t, b, root, []findCase{
		{"server", "app/server-x86_64-unknown-linux-gnu"},
		{"db", "app/db"},
		{"both", "app/both-x86_64-unknown-linux-gnu"}, // the suffixed name wins
		{"my.server", "app/my.server"},                // no .exe off Windows
		{"win.exe", "app/win.exe"},
		{"server-x86_64-unknown-linux-gnu", "app/server-x86_64-unknown-linux-gnu"},
		{"data", ""},
		{"dir", ""},
		{"missing", ""},
		{"my", ""},
	})

	// The same directory seen from linux/arm64: only the plain names fit.
	arm := Layout{Dir: b.Dir, GOOS: "linux", GOARCH: "arm64"}
	runFindCases(t, arm, root, []findCase{
		{"db", "app/db"},
		{"both", "app/both"},
		{"server", ""},
	})
}

func TestBundleFindMacApp(t *testing.T) {
	t.Parallel()
	root := tempDir(t)
	app := "My.app/Contents/"
	touch(t, root, app+"MacOS/host", true)
	touch(t, root, app+"MacOS/tauri", true)                      // where Tauri puts externalBin
	touch(t, root, app+"MacOS/dev-aarch64-apple-darwin", true)   // suffixed
	touch(t, root, app+"MacOS/fat-universal-apple-darwin", true) // universal build
	touch(t, root, app+"Helpers/helper", true)                   // Apple's helper-tool place
	touch(t, root, app+"Resources/electron", true)               // Electron's extraResources
	touch(t, root, app+"Resources/tauri", true)                  // shadowed by MacOS/tauri
	touch(t, root, app+"Resources/res-aarch64-apple-darwin", true)
	touch(t, root, app+"Frameworks/fw", true) // libraries only: never searched
	b := Layout{Dir: filepath.Join(root, "My.app", "Contents", "MacOS"), GOOS: "darwin", GOARCH: "arm64"}
	c := filepath.Join(root, "My.app", "Contents")
	wantDirs := []string{filepath.Join(c, "MacOS"), filepath.Join(c, "Helpers"), filepath.Join(c, "Resources")}
	if dirs, err := b.Dirs(); err != nil || !slices.Equal(dirs, wantDirs) {
		t.Errorf("Dirs() = %q, %v; want %q", dirs, err, wantDirs)
	}
	runFindCases(t, b, root, []findCase{
		{"tauri", app + "MacOS/tauri"},
		{"dev", app + "MacOS/dev-aarch64-apple-darwin"},
		{"fat", app + "MacOS/fat-universal-apple-darwin"},
		{"helper", app + "Helpers/helper"},
		{"electron", app + "Resources/electron"},
		{"res", app + "Resources/res-aarch64-apple-darwin"},
		{"fw", ""},
	})

	// An Intel Mac: the arm64 builds are the wrong triple, the universal
	// one still runs.
	intel := Layout{Dir: b.Dir, GOOS: "darwin", GOARCH: "amd64"}
	runFindCases(t, intel, root, []findCase{
		{"fat", app + "MacOS/fat-universal-apple-darwin"},
		{"dev", ""},
	})
	_, err := intel.Find("dev")
	if want := "found " + filepath.Join(c, "MacOS", "dev-aarch64-apple-darwin") + ", built for another platform (aarch64-apple-darwin)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Find(dev) on darwin/amd64: %v\nwant it to say %q", err, want)
	}

	// A macOS directory that is no app bundle is searched alone.
	plain := Layout{Dir: filepath.Join(root, "My.app", "Contents"), GOOS: "darwin", GOARCH: "arm64"}
	if dirs, _ := plain.Dirs(); !slices.Equal(dirs, []string{c}) {
		t.Errorf("Dirs() outside Contents/MacOS = %q", dirs)
	}
	// The bundle directories are a macOS layout only.
	lin := Layout{Dir: b.Dir, GOOS: "linux", GOARCH: "arm64"}
	if dirs, _ := lin.Dirs(); !slices.Equal(dirs, wantDirs[:1]) {
		t.Errorf("Dirs() of a Contents/MacOS dir on linux = %q", dirs)
	}
}

func TestBundleFindWindows(t *testing.T) {
	t.Parallel()
	root := tempDir(t)
	// No exec bits: on Windows the .exe name is what counts.
	touch(t, root, "app/host.exe", false)
	touch(t, root, "app/server-x86_64-pc-windows-msvc.exe", false)
	touch(t, root, "app/my.server.exe", false)
	touch(t, root, "app/foo.exe", false)
	touch(t, root, "app/Tool.EXE", false)
	touch(t, root, "app/plain", false)
	touch(t, root, "app/plain-x86_64-pc-windows-msvc", false)
	touch(t, root, "app/both-x86_64-pc-windows-msvc.exe", false)
	touch(t, root, "app/both.exe", false)
	dir := filepath.Join(root, "app")
	b := Layout{Dir: dir, GOOS: "windows", GOARCH: "amd64"}
	runFindCases(t, b, root, []findCase{
		{"server", "app/server-x86_64-pc-windows-msvc.exe"},
		{"server.exe", "app/server-x86_64-pc-windows-msvc.exe"},
		{"my.server", "app/my.server.exe"}, // the dot is no extension
		{"foo.exe", "app/foo.exe"},         // no second .exe
		{"foo", "app/foo.exe"},
		{"Tool.EXE", "app/Tool.EXE"},
		{"both", "app/both-x86_64-pc-windows-msvc.exe"},
		{"my", ""},
		{"plain", ""},
	})

	_, err := b.Find("plain")
	want := `bundle: sidecar "plain" not found for x86_64-pc-windows-msvc; tried ` +
		filepath.Join(dir, "plain-x86_64-pc-windows-msvc.exe") + ", " + filepath.Join(dir, "plain.exe") +
		"; " + filepath.Join(dir, "plain") + " has no .exe extension" +
		"; " + filepath.Join(dir, "plain-x86_64-pc-windows-msvc") + " has no .exe extension"
	if err == nil || err.Error() != want {
		t.Errorf("Find(plain):\n got %v\nwant %s", err, want)
	}

	// windows/arm64 finds the plain name, and says the amd64 build is
	// for another platform when there is none.
	arm := Layout{Dir: dir, GOOS: "windows", GOARCH: "arm64"}
	runFindCases(t, arm, root, []findCase{{"both", "app/both.exe"}})
	_, err = arm.Find("server")
	want = `bundle: sidecar "server" not found for aarch64-pc-windows-msvc; tried ` +
		filepath.Join(dir, "server-aarch64-pc-windows-msvc.exe") + ", " + filepath.Join(dir, "server.exe") +
		"; found " + filepath.Join(dir, "server-x86_64-pc-windows-msvc.exe") + ", built for another platform (x86_64-pc-windows-msvc)"
	if err == nil || err.Error() != want {
		t.Errorf("Find(server) on windows/arm64:\n got %v\nwant %s", err, want)
	}
}

func TestSidecarNotFoundError(t *testing.T) {
	t.Parallel()
	root := tempDir(t)
	app, res := filepath.Join(root, "app"), filepath.Join(root, "resources")
	touch(t, root, "app/host", true)
	touch(t, root, "app/server-aarch64-apple-darwin", true)       // built on a Mac
	touch(t, root, "app/server-x86_64-pc-windows-msvc.exe", true) // and for Windows
	touch(t, root, "app/server-x86_64-unknown-linux-gnu", false)  // right name, no exec bit
	touch(t, root, "app/server-helper", true)                     // another program
	touch(t, root, "resources/server/", false)                    // a directory
	touch(t, root, "resources/server-x86_64-unknown-linux-musl", true)
	b := Layout{Dir: app, GOOS: "linux", GOARCH: "amd64", ExtraDirs: []string{res, app}}
	_, err := b.Find("server")
	if err == nil {
		t.Fatal("Find found a sidecar")
	}
	want := `bundle: sidecar "server" not found for x86_64-unknown-linux-gnu; tried ` +
		"$APP/server-x86_64-unknown-linux-gnu, $APP/server, $RES/server-x86_64-unknown-linux-gnu, $RES/server" +
		"; $APP/server-x86_64-unknown-linux-gnu is not executable (mode -rw-r--r--)" +
		"; $RES/server is a directory" +
		"; found $APP/server-aarch64-apple-darwin, built for another platform (aarch64-apple-darwin)" +
		"; found $APP/server-x86_64-pc-windows-msvc.exe, built for another platform (x86_64-pc-windows-msvc)" +
		"; found $RES/server-x86_64-unknown-linux-musl, built for another platform (x86_64-unknown-linux-musl)"
	want = strings.NewReplacer("$APP/", app+string(filepath.Separator), "$RES/", res+string(filepath.Separator)).Replace(want)
	if err.Error() != want {
		t.Errorf("error text:\n got %s\nwant %s", err, want)
	}
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("%T is not a *NotFoundError", err)
	}
	if nf.Name != "server" || nf.Triple != "x86_64-unknown-linux-gnu" || len(nf.Tried) != 4 || len(nf.Notes) != 5 {
		t.Errorf("fields: %+v", nf)
	}
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is fails for ErrNotFound or fs.ErrNotExist")
	}
}

func TestBundleUnknownPlatform(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	touch(t, dir, "tool", true)
	b := Layout{Dir: dir, GOOS: "plan9", GOARCH: "amd64"}
	if got, err := b.Find("tool"); err != nil || got != filepath.Join(dir, "tool") {
		t.Errorf("Find(tool) = %q, %v", got, err)
	}
	_, err := b.Find("other")
	want := `bundle: sidecar "other" not found; tried ` + filepath.Join(dir, "other") +
		"; no Rust target triple is known for plan9/amd64, so only the plain name was tried"
	if err == nil || err.Error() != want {
		t.Errorf("Find(other):\n got %v\nwant %s", err, want)
	}
}

func TestBundleBadName(t *testing.T) {
	t.Parallel()
	b := Layout{Dir: tempDir(t), GOOS: "linux", GOARCH: "amd64"}
	for name, want := range map[string]string{
		"":         `bundle: sidecar name "": want a file name`,
		".":        `bundle: sidecar name ".": want a file name`,
		"..":       `bundle: sidecar name "..": want a file name`,
		"bin/srv":  `bundle: sidecar name "bin/srv": want a file name, not a path`,
		`bin\srv`:  `bundle: sidecar name "bin\\srv": want a file name, not a path`,
		"/bin/sh":  `bundle: sidecar name "/bin/sh": want a file name, not a path`,
		"../x":     `bundle: sidecar name "../x": want a file name, not a path`,
		"srv\x00x": `bundle: sidecar name "srv\x00x": must not contain NUL`,
	} {
		_, err := b.Find(name)
		if err == nil || err.Error() != want {
			t.Errorf("Find(%q) = %v, want %s", name, err, want)
		}
		if errors.Is(err, ErrNotFound) {
			t.Errorf("Find(%q): a bad name matches ErrNotFound", name)
		}
	}
}

func TestBundleDirs(t *testing.T) {
	t.Parallel()
	// The zero Bundle is the running executable's directory.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		t.Fatal(err)
	}
	dirs, err := Layout{}.Dirs()
	if err != nil || len(dirs) == 0 || dirs[0] != filepath.Dir(exe) {
		t.Errorf("Layout{}.Dirs() = %q, %v; want %q first", dirs, err, filepath.Dir(exe))
	}
	_, err = Find("tether-no-such-sidecar")
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Tried) == 0 || filepath.Dir(nf.Tried[0]) != filepath.Dir(exe) {
		t.Errorf("Find: %v", err)
	}

	// A relative Dir and relative ExtraDirs are made absolute; repeats
	// are dropped.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	b := Layout{Dir: "testdata", GOOS: "linux", ExtraDirs: []string{"", "testdata/../testdata", "testdata/bundle"}}
	dirs, err = b.Dirs()
	want := []string{filepath.Join(wd, "testdata"), filepath.Join(wd, "testdata", "bundle")}
	if err != nil || !slices.Equal(dirs, want) {
		t.Errorf("Dirs() = %q, %v; want %q", dirs, err, want)
	}
}

func TestBundleSymlink(t *testing.T) {
	t.Parallel()
	root := tempDir(t)
	target := touch(t, root, "store/server-1.2", true)
	link := filepath.Join(root, "app", "server")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	touch(t, root, "store/dir/", false)
	if err := os.Symlink(filepath.Join(root, "store", "dir"), filepath.Join(root, "app", "dir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "app", "dangling")); err != nil {
		t.Fatal(err)
	}
	b := Layout{Dir: filepath.Join(root, "app"), GOOS: "linux", GOARCH: "amd64"}
	runFindCases(t, b, root, []findCase{
		{"server", "app/server"}, // the link, as the host would name it
		{"dir", ""},
		{"dangling", ""},
	})
}

// TestBundledSpawn lays out a bundle with a real program under its
// Tauri name (a copy of the test binary, which plays the sidecar in
// TestBundledSpawnHelper), finds it by its plain name, runs it and checks
// that the file found is the one that ran.
func TestBundledSpawn(t *testing.T) {
	t.Parallel()
	triple, ok := CurrentTriple()
	if !ok {
		t.Skipf("no target triple for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := tempDir(t)
	file := "hello-" + triple
	if runtime.GOOS == "windows" {
		file += ".exe"
	}
	touch(t, dir, "host", true)
	touch(t, dir, "hello-aarch64-unknown-fuchsia", true) // a decoy for another platform
	if err := os.WriteFile(filepath.Join(dir, file), bin, 0o755); err != nil {
		t.Fatal(err)
	}

	path, err := Layout{Dir: dir}.Find("hello")
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, file) {
		t.Fatalf("Find(hello) = %q, want %q", path, filepath.Join(dir, file))
	}
	cmd := exec.Command(path, "-test.run=^TestBundledSpawnHelper$", "--", "from", "the bundle")
	// Under -race a binary sleeps 1s at exit unless told not to.
	cmd.Env = append(os.Environ(), "TETHER_BUNDLE_HELPER=1",
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run %s: %v\n%s", path, err, out)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	if want := file + ": from the bundle"; line != want {
		t.Fatalf("the bundled sidecar printed %q, want %q first", out, want)
	}
}

// TestBundledSpawnHelper is the sidecar of TestBundledSpawn: run from its
// copy of the test binary with TETHER_BUNDLE_HELPER=1, it prints the name of
// its own file and its arguments. Otherwise it does nothing.
func TestBundledSpawnHelper(t *testing.T) {
	if os.Getenv("TETHER_BUNDLE_HELPER") != "1" {
		return
	}
	fmt.Printf("%s: %s\n", filepath.Base(os.Args[0]), strings.Join(flag.Args(), " "))
}
