package tether_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"tether.dev/tether"
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
		triple, ok := tether.TargetTriple(p[0], p[1])
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
func ExampleBundle_Find() {
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

	b := tether.Bundle{Dir: dir, GOOS: "windows", GOARCH: "amd64"}
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
func ExampleSidecarNotFoundError() {
	dir, err := os.MkdirTemp("", "bundle")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "api-aarch64-apple-darwin"), nil, 0o755); err != nil {
		panic(err)
	}

	_, err = tether.Bundle{Dir: dir, GOOS: "linux", GOARCH: "amd64"}.Find("api")
	fmt.Println(strings.ReplaceAll(filepath.ToSlash(err.Error()), filepath.ToSlash(dir), "$DIR"))
	fmt.Println(errors.Is(err, tether.ErrSidecarNotFound))
	// Output:
	// tether: sidecar "api" not found for x86_64-unknown-linux-gnu; tried $DIR/api-x86_64-unknown-linux-gnu, $DIR/api; found $DIR/api-aarch64-apple-darwin, built for another platform (aarch64-apple-darwin)
	// true
}

// A policy for a front end that may start one bundled tool. The front end
// names the program and gives arguments; the policy fixes the path, the
// working directory and the rest of the Spec.
func ExampleSpawnPolicy() {
	policy, err := tether.NewSpawnPolicy(tether.AllowedProgram{
		Name: "converter",
		Spec: tether.Spec{
			Command: "/opt/app/converter", // in an app: a path from tether.FindSidecar
			Dir:     "/opt/app/work",
			Args:    []string{"--no-network"},
			Restart: tether.RestartNever,
		},
		Args: []tether.ArgRule{
			tether.ArgLiteral("convert"),
			tether.ArgPattern(`[a-z0-9_-]{1,64}\.(png|jpe?g)`),
		},
		Env: []tether.EnvRule{{Key: "QUALITY", Pattern: `[0-9]{1,3}`}},
	})
	if err != nil {
		panic(err)
	}

	spec, err := policy.Check(tether.SpawnRequest{
		Program: "converter",
		Args:    []string{"convert", "holiday.jpg"},
		Env:     []string{"QUALITY=90"},
	})
	fmt.Println(spec.Command, spec.Args, spec.Env, err)

	for _, req := range []tether.SpawnRequest{
		{Program: "/bin/sh", Args: []string{"-c", "id"}},
		{Program: "converter", Args: []string{"convert", "../../etc/passwd"}},
		{Program: "converter", Args: []string{"convert", "a.png", "--overwrite"}},
		{Program: "converter", Args: []string{"convert", "a.png"}, Env: []string{"LD_PRELOAD=/tmp/x.so"}},
	} {
		_, err := policy.Check(req)
		fmt.Println(err, errors.Is(err, tether.ErrRefused))
	}
	// Output:
	// /opt/app/converter [--no-network convert holiday.jpg] [QUALITY=90] <nil>
	// tether: spawn refused by programs: no program named "/bin/sh" is allowed true
	// tether: spawn refused by program "converter" Args[1]: "../../etc/passwd" does not match ^(?:[a-z0-9_-]{1,64}\.(png|jpe?g))$ true
	// tether: spawn refused by program "converter" Args: extra argument 2 "--overwrite": the rule allows 2 true
	// tether: spawn refused by program "converter" Env: key "LD_PRELOAD" is not allowed true
}

func ExampleNewSpawnPolicy() {
	_, err := tether.NewSpawnPolicy(tether.AllowedProgram{
		Name: "server",
		Spec: tether.Spec{Command: "/opt/app/server"},
		Args: []tether.ArgRule{tether.ArgPattern(`--port=[0-9]+`), tether.ArgPattern(`--host=(localhost`)},
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, tether.ErrInvalidPolicy))
	// Output:
	// tether: invalid spawn policy: program "server" Args[1]: error parsing regexp: missing closing ): `--host=(localhost`
	// true
}

// sidecarApp stands for the App struct a Wails application binds to its front end: each
// exported method becomes a JavaScript function. The front end may ask for a
// sidecar only through StartSidecar, and only within the policy.
type sidecarApp struct {
	policy *tether.SpawnPolicy
	start  func(tether.Spec) error // hands the Spec to the app's supervisor
}

// StartSidecar is called from JavaScript as
// window.go.main.App.StartSidecar({program: "converter", args: [...]}).
func (a *sidecarApp) StartSidecar(req tether.SpawnRequest) error {
	spec, err := a.policy.Check(req)
	if err != nil {
		return err // a *tether.PolicyError: shown to the front end, nothing started
	}
	return a.start(spec)
}

// A Wails-style bound method that lets the front end start a bundled
// sidecar, within a policy.
func ExampleSpawnPolicy_wails() {
	policy, err := tether.NewSpawnPolicy(tether.AllowedProgram{
		Name: "converter",
		// A real app resolves the path once at start-up:
		//	path, err := tether.FindSidecar("converter")
		Spec: tether.Spec{Command: "/Applications/My.app/Contents/MacOS/converter"},
		Args: []tether.ArgRule{tether.ArgLiteral("convert"), tether.ArgPattern(`[a-z0-9_-]+\.png`)},
	})
	if err != nil {
		panic(err)
	}
	app := &sidecarApp{policy: policy, start: func(s tether.Spec) error {
		fmt.Println("start", s.Name, s.Command, s.Args)
		return nil
	}}

	fmt.Println(app.StartSidecar(tether.SpawnRequest{Program: "converter", Args: []string{"convert", "cat.png"}}))
	fmt.Println(app.StartSidecar(tether.SpawnRequest{Program: "converter", Args: []string{"convert", "cat.png; rm -rf ~"}}))
	// Output:
	// start converter /Applications/My.app/Contents/MacOS/converter [convert cat.png]
	// <nil>
	// tether: spawn refused by program "converter" Args[1]: "cat.png; rm -rf ~" does not match ^(?:[a-z0-9_-]+\.png)$
}
