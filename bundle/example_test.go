package bundle_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"tether.dev/tether/bundle"
)

func ExampleTargetTriple() {
	for _, p := range [][2]string{
		{"linux", "amd64"},
		{"linux", "arm"},
		{"darwin", "arm64"},
		{"windows", "amd64"},
		{"android", "arm64"},
		{"plan9", "amd64"},
	} {
		triple, ok := bundle.TargetTriple(p[0], p[1])
		fmt.Printf("%s/%s: %q %v\n", p[0], p[1], triple, ok)
	}
	// Output:
	// linux/amd64: "x86_64-unknown-linux-gnu" true
	// linux/arm: "armv7-unknown-linux-gnueabihf" true
	// darwin/arm64: "aarch64-apple-darwin" true
	// windows/amd64: "x86_64-pc-windows-msvc" true
	// android/arm64: "aarch64-linux-android" true
	// plan9/amd64: "" false
}

// Find accepts the triple-suffixed name a Tauri project builds
// (binaries/NAME-<triple>) and the plain name Tauri bundles it under, adding
// ".exe" on Windows. GOOS and GOARCH are set here so that the example shows
// a Windows layout wherever it runs; an application leaves them empty.
func ExampleLayout_Find() {
	dir, err := os.MkdirTemp("", "bundle")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	for _, f := range []string{"app.exe", "api-x86_64-pc-windows-msvc.exe", "my.db.exe"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o755); err != nil {
			panic(err)
		}
	}

	b := bundle.Layout{Dir: dir, GOOS: "windows", GOARCH: "amd64"}
	for _, name := range []string{"api", "my.db"} {
		path, err := b.Find(name)
		if err != nil {
			panic(err)
		}
		fmt.Println(name, "->", filepath.Base(path))
	}
	// Output:
	// api -> api-x86_64-pc-windows-msvc.exe
	// my.db -> my.db.exe
}

// The error a user sees when the sidecar was built for another platform:
// every path tried, the triple expected, and what is there instead.
func ExampleNotFoundError() {
	dir, err := os.MkdirTemp("", "bundle")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "api-aarch64-apple-darwin"), nil, 0o755); err != nil {
		panic(err)
	}

	_, err = bundle.Layout{Dir: dir, GOOS: "linux", GOARCH: "amd64"}.Find("api")
	fmt.Println(strings.ReplaceAll(filepath.ToSlash(err.Error()), filepath.ToSlash(dir), "$DIR"))
	fmt.Println(errors.Is(err, bundle.ErrNotFound))
	// Output:
	// bundle: sidecar "api" not found for x86_64-unknown-linux-gnu; tried $DIR/api-x86_64-unknown-linux-gnu, $DIR/api; found $DIR/api-aarch64-apple-darwin, built for another platform (aarch64-apple-darwin)
	// true
}
