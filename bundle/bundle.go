// Package bundle finds sidecars shipped inside an application: beside the
// host executable (and in a macOS app bundle's Contents/Helpers and
// Contents/Resources), under the names Tauri's bundle.externalBin uses
// (NAME-<target-triple>[.exe], then NAME[.exe]). A sidecar not found is a
// *NotFoundError that lists every path tried and what was there instead.
package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// TargetTriple returns the Rust target triple that Tauri's bundle.externalBin
// convention expects in a sidecar's file name (NAME-<triple>[.exe]) for a
// program built for goos/goarch, and false when no triple is known.
//
// The table covers every GOOS/GOARCH pair that Tauri targets (Linux, macOS,
// Windows with the MSVC toolchain, Android, iOS) and the other Go ports that
// Rust names, so that a wrong-platform build can be recognised. Where Go's
// pair is coarser than Rust's, the triple Tauri builds for is returned:
// linux/arm and android/arm mean ARMv7 hard-float (armv7-unknown-linux-gnueabihf,
// armv7-linux-androideabi), windows means -msvc rather than -gnu, linux means
// glibc rather than musl, and ios/arm64 means a device (aarch64-apple-ios),
// not the simulator.
func TargetTriple(goos, goarch string) (string, bool) {
	t := targetTriples[goos+"/"+goarch]
	return t, t != ""
}

// CurrentTriple returns TargetTriple(runtime.GOOS, runtime.GOARCH): the
// suffix a sidecar built for the running platform carries.
func CurrentTriple() (string, bool) {
	return TargetTriple(runtime.GOOS, runtime.GOARCH)
}

// targetTriples maps GOOS/GOARCH to the Rust target triple Tauri names
// binaries with.
var targetTriples = map[string]string{
	"linux/amd64":    "x86_64-unknown-linux-gnu",
	"linux/386":      "i686-unknown-linux-gnu",
	"linux/arm64":    "aarch64-unknown-linux-gnu",
	"linux/arm":      "armv7-unknown-linux-gnueabihf",
	"linux/riscv64":  "riscv64gc-unknown-linux-gnu",
	"linux/ppc64le":  "powerpc64le-unknown-linux-gnu",
	"linux/ppc64":    "powerpc64-unknown-linux-gnu",
	"linux/s390x":    "s390x-unknown-linux-gnu",
	"linux/loong64":  "loongarch64-unknown-linux-gnu",
	"linux/mips":     "mips-unknown-linux-gnu",
	"linux/mipsle":   "mipsel-unknown-linux-gnu",
	"linux/mips64":   "mips64-unknown-linux-gnuabi64",
	"linux/mips64le": "mips64el-unknown-linux-gnuabi64",

	"darwin/amd64": "x86_64-apple-darwin",
	"darwin/arm64": "aarch64-apple-darwin",

	"windows/amd64": "x86_64-pc-windows-msvc",
	"windows/386":   "i686-pc-windows-msvc",
	"windows/arm64": "aarch64-pc-windows-msvc",

	"android/arm64": "aarch64-linux-android",
	"android/arm":   "armv7-linux-androideabi",
	"android/amd64": "x86_64-linux-android",
	"android/386":   "i686-linux-android",

	"ios/arm64": "aarch64-apple-ios",
	"ios/amd64": "x86_64-apple-ios",

	"freebsd/amd64":   "x86_64-unknown-freebsd",
	"freebsd/386":     "i686-unknown-freebsd",
	"freebsd/arm64":   "aarch64-unknown-freebsd",
	"freebsd/arm":     "armv7-unknown-freebsd",
	"freebsd/riscv64": "riscv64gc-unknown-freebsd",
	"netbsd/amd64":    "x86_64-unknown-netbsd",
	"netbsd/386":      "i686-unknown-netbsd",
	"netbsd/arm64":    "aarch64-unknown-netbsd",
	"netbsd/arm":      "armv7-unknown-netbsd-eabihf",
	"openbsd/amd64":   "x86_64-unknown-openbsd",
	"openbsd/386":     "i686-unknown-openbsd",
	"openbsd/arm64":   "aarch64-unknown-openbsd",
	"openbsd/riscv64": "riscv64gc-unknown-openbsd",
	"dragonfly/amd64": "x86_64-unknown-dragonfly",
	"illumos/amd64":   "x86_64-unknown-illumos",
	"solaris/amd64":   "x86_64-pc-solaris",
}

// universalDarwin is the suffix of a macOS universal (fat) binary, which
// Tauri builds for --target universal-apple-darwin and which runs on both
// Apple architectures.
const universalDarwin = "universal-apple-darwin"

// looksLikeTriple reports whether s has the shape of a Rust target triple:
// three or four dash-separated parts, the first a CPU architecture Rust
// names. It recognises builds for other platforms in a bundle directory.
func looksLikeTriple(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
	}
	switch parts[0] {
	case "x86_64", "x86_64h", "i386", "i586", "i686", "aarch64", "arm64", "arm64e", "arm64ec",
		"arm", "armv5te", "armv6", "armv7", "armv7a", "armv7s", "thumbv7neon",
		"riscv64", "riscv64gc", "powerpc", "powerpc64", "powerpc64le", "s390x",
		"loongarch64", "mips", "mipsel", "mips64", "mips64el", "sparc64", "wasm32",
		"universal":
		return true
	}
	return false
}

// Layout says where an application's bundled sidecars live and which
// platform they must be built for. The zero Layout describes the running
// program: the directory of its executable, on its own platform.
//
// Find looks, in each directory of Dirs in turn, for
//
//	NAME-<triple>[.exe]                 the name Tauri's externalBin wants at build time
//	NAME-universal-apple-darwin         (macOS only) a universal binary
//	NAME[.exe]                          the name Tauri bundles it under
//
// and returns the first that is a regular, executable file. ".exe" is added
// when GOOS is windows (after any dots already in NAME, so "my.server" looks
// for "my.server.exe"; a NAME that already ends in ".exe" keeps it).
// "Executable" means an exec permission bit on every other system; on
// Windows the ".exe" name is what makes a file executable.
//
// A Layout holds no state; its methods may be called concurrently.
type Layout struct {
	// Dir is the directory of the host executable, where Tauri, Wails and
	// Electron builds place sidecars. Empty means the directory of the
	// running program (os.Executable, with symbolic links evaluated). A
	// relative Dir is made absolute against the current directory.
	Dir string

	// GOOS and GOARCH name the platform the sidecars must be built for:
	// they choose the target triple, whether ".exe" is added, and the
	// macOS bundle directories. Empty means runtime.GOOS and
	// runtime.GOARCH. Setting them lets a test lay out another
	// platform's bundle.
	GOOS, GOARCH string

	// ExtraDirs are searched after the standard directories, in order
	// (for example an Electron app's resources directory). Relative
	// entries are made absolute against the current directory.
	ExtraDirs []string
}

// Find returns the absolute path of the bundled sidecar called name,
// found beside the running executable as Layout.Find describes. It is
// Layout{}.Find(name).
func Find(name string) (string, error) {
	return Layout{}.Find(name)
}

func (b Layout) platform() (goos, goarch string) {
	goos, goarch = b.GOOS, b.GOARCH
	if goos == "" {
		goos = runtime.GOOS
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	return goos, goarch
}

// Dirs returns the absolute directories Find searches, in order, without
// duplicates:
//
//  1. Dir (by default the running executable's directory);
//  2. on macOS, when Dir is an app bundle's Contents/MacOS: the bundle's
//     Contents/Helpers and Contents/Resources. Contents/MacOS (Tauri's
//     choice) and Contents/Helpers are where Apple's "Placing content in a
//     bundle" puts helper tools; Contents/Resources is where Electron's
//     extraResources and many older apps put them. Contents/Frameworks is
//     not searched: it holds libraries and frameworks, not programs;
//  3. ExtraDirs.
//
// It fails only when Dir is empty and the executable's path cannot be
// found.
func (b Layout) Dirs() ([]string, error) {
	goos, _ := b.platform()
	dir := b.Dir
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bundle: locate the running executable: %w", err)
		}
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		dir = filepath.Dir(exe)
	}
	var dirs []string
	add := func(d string) {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		d = filepath.Clean(d)
		for _, have := range dirs {
			if have == d {
				return
			}
		}
		dirs = append(dirs, d)
	}
	add(dir)
	if goos == "darwin" {
		abs := dirs[0]
		contents := filepath.Dir(abs)
		if filepath.Base(abs) == "MacOS" && filepath.Base(contents) == "Contents" {
			add(filepath.Join(contents, "Helpers"))
			add(filepath.Join(contents, "Resources"))
		}
	}
	for _, d := range b.ExtraDirs {
		if d != "" {
			add(d)
		}
	}
	return dirs, nil
}

// Find returns the absolute path of the sidecar called name in the bundle.
// name is the sidecar's plain file name, as in Tauri's externalBin ("server",
// not "binaries/server-x86_64-unknown-linux-gnu"); it must not be a path.
//
// When no candidate is usable, the error is a *NotFoundError that
// lists every path tried, the triple expected, and what was found instead:
// files that exist but cannot be run, and builds of the same sidecar for
// another platform (the usual cause: a wrong triple suffix).
func (b Layout) Find(name string) (string, error) {
	if err := checkSidecarName(name); err != nil {
		return "", err
	}
	goos, goarch := b.platform()
	dirs, err := b.Dirs()
	if err != nil {
		return "", err
	}
	triple, _ := TargetTriple(goos, goarch)
	windows := goos == "windows"

	// stem is name without a Windows ".exe"; ext is what goes back on.
	stem, ext := name, ""
	if windows {
		ext = ".exe"
		if hasExeExt(name) {
			stem, ext = name[:len(name)-4], name[len(name)-4:]
		}
	}
	var cands []string
	if triple != "" {
		cands = append(cands, stem+"-"+triple+ext)
		if goos == "darwin" {
			cands = append(cands, stem+"-"+universalDarwin+ext)
		}
	}
	cands = append(cands, stem+ext)

	nf := &NotFoundError{Name: name, Triple: triple}
	if triple == "" {
		nf.Notes = append(nf.Notes, fmt.Sprintf(
			"no Rust target triple is known for %s/%s, so only the plain name was tried", goos, goarch))
	}
	for _, dir := range dirs {
		for _, c := range cands {
			p := filepath.Join(dir, c)
			nf.Tried = append(nf.Tried, p)
			why := sidecarUnusable(p, windows)
			if why == "" {
				return p, nil
			}
			if why != sidecarMissing {
				nf.Notes = append(nf.Notes, p+" "+why)
			}
		}
	}
	for _, dir := range dirs {
		nf.Notes = append(nf.Notes, sidecarLookAround(dir, stem, cands, triple, goos)...)
	}
	return "", nf
}

// sidecarMissing is sidecarUnusable's answer for a path where nothing
// exists.
const sidecarMissing = "does not exist"

// sidecarUnusable returns "" when p is a file Find may return,
// sidecarMissing when there is nothing at p, and otherwise why p cannot be
// used.
func sidecarUnusable(p string, windows bool) string {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return sidecarMissing
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "cannot be checked: " + err.Error()
	case fi.IsDir():
		return "is a directory"
	case !fi.Mode().IsRegular():
		return fmt.Sprintf("is not a regular file (mode %v)", fi.Mode())
	case !windows && fi.Mode().Perm()&0o111 == 0:
		return fmt.Sprintf("is not executable (mode %v)", fi.Mode())
	}
	return ""
}

// sidecarLookAround lists dir for files that are nearly what Find wanted:
// builds of stem for another target triple, and (on Windows) wanted names
// that lack ".exe". It returns one note for each.
func sidecarLookAround(dir, stem string, cands []string, triple, goos string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var notes []string
	for _, e := range entries {
		n := e.Name()
		p := filepath.Join(dir, n)
		if goos == "windows" && !hasExeExt(n) && !e.IsDir() {
			for _, c := range cands {
				if n == c[:len(c)-4] {
					notes = append(notes, p+" has no .exe extension")
				}
			}
		}
		base := n
		if hasExeExt(base) {
			base = base[:len(base)-4]
		}
		rest, ok := strings.CutPrefix(base, stem+"-")
		if !ok || !looksLikeTriple(rest) {
			continue
		}
		if rest == triple || (goos == "darwin" && rest == universalDarwin) {
			continue // a wanted name: Find already said what is wrong with it
		}
		notes = append(notes, fmt.Sprintf("found %s, built for another platform (%s)", p, rest))
	}
	return notes
}

func hasExeExt(s string) bool {
	return len(s) > 4 && strings.EqualFold(s[len(s)-4:], ".exe")
}

// checkSidecarName refuses names that are not a plain file name.
func checkSidecarName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("bundle: sidecar name %q: want a file name", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("bundle: sidecar name %q: want a file name, not a path", name)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("bundle: sidecar name %q: must not contain NUL", name)
	}
	return nil
}

// ErrNotFound is matched by every *NotFoundError, as is
// fs.ErrNotExist.
var ErrNotFound = errors.New("bundle: sidecar not found")

// NotFoundError reports that Find found no usable sidecar. Its
// message lists every path tried, the triple expected, and the notes.
type NotFoundError struct {
	Name   string   // the name asked for
	Triple string   // the target triple expected; "" when the platform has none
	Tried  []string // every path looked at, in order
	// Notes say what was found instead: a candidate that exists but
	// cannot be run ("/app/server is not executable (mode -rw-r--r--)"),
	// a build for another platform ("found /app/server-aarch64-apple-darwin,
	// built for another platform (aarch64-apple-darwin)").
	Notes []string
}

// Error implements error.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bundle: sidecar %q not found", e.Name)
	if e.Triple != "" {
		fmt.Fprintf(&b, " for %s", e.Triple)
	}
	b.WriteString("; tried ")
	b.WriteString(strings.Join(e.Tried, ", "))
	for _, n := range e.Notes {
		b.WriteString("; ")
		b.WriteString(n)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and errors.Is(err,
// fs.ErrNotExist) hold.
func (e *NotFoundError) Is(target error) bool {
	return target == ErrNotFound || target == fs.ErrNotExist
}
