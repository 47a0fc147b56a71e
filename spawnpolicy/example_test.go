package spawnpolicy_test

import (
	"errors"
	"fmt"

	"tether.dev/tether"
	"tether.dev/tether/spawnpolicy"
)

// A policy for a front end that may start one bundled tool. The front end
// names the program and gives arguments; the policy fixes the path, the
// working directory and the rest of the Spec.
func ExamplePolicy() {
	policy, err := spawnpolicy.New(spawnpolicy.Program{
		Name: "converter",
		Spec: tether.Spec{
			Command: "/opt/app/converter", // in an app: a path from bundle.Find
			Dir:     "/opt/app/work",
			Args:    []string{"--no-network"},
			Restart: tether.RestartNever,
		},
		Args: []spawnpolicy.ArgRule{
			spawnpolicy.Literal("convert"),
			spawnpolicy.Pattern(`[a-z0-9_-]{1,64}\.(png|jpe?g)`),
		},
		Env: []spawnpolicy.EnvRule{{Key: "QUALITY", Pattern: `[0-9]{1,3}`}},
	})
	if err != nil {
		panic(err)
	}

	spec, err := policy.Check(spawnpolicy.Request{
		Program: "converter",
		Args:    []string{"convert", "holiday.jpg"},
		Env:     []string{"QUALITY=90"},
	})
	fmt.Println(spec.Command, spec.Args, spec.Env, err)

	for _, req := range []spawnpolicy.Request{
		{Program: "/bin/sh", Args: []string{"-c", "id"}},
		{Program: "converter", Args: []string{"convert", "../../etc/passwd"}},
		{Program: "converter", Args: []string{"convert", "-oevil.png"}},
		{Program: "converter", Args: []string{"convert", "a.png", "--overwrite"}},
		{Program: "converter", Args: []string{"convert", "a.png"}, Env: []string{"LD_PRELOAD=/tmp/x.so"}},
	} {
		_, err := policy.Check(req)
		fmt.Println(err, errors.Is(err, spawnpolicy.ErrRefused))
	}
	// Output:
	// /opt/app/converter [--no-network convert holiday.jpg] [QUALITY=90] <nil>
	// spawnpolicy: refused by programs: no program named "/bin/sh" is allowed true
	// spawnpolicy: refused by program "converter" Args[1]: "../../etc/passwd" does not match ^(?:[a-z0-9_-]{1,64}\.(png|jpe?g))$ true
	// spawnpolicy: refused by program "converter" Args[1]: "-oevil.png" begins with "-" but ^(?:[a-z0-9_-]{1,64}\.(png|jpe?g))$ is a pattern for values, not options true
	// spawnpolicy: refused by program "converter" Args: extra argument 2 "--overwrite": the rule allows 2 true
	// spawnpolicy: refused by program "converter" Env: key "LD_PRELOAD" is not allowed true
}

func ExampleNew() {
	_, err := spawnpolicy.New(spawnpolicy.Program{
		Name: "server",
		Spec: tether.Spec{Command: "/opt/app/server"},
		Args: []spawnpolicy.ArgRule{spawnpolicy.Pattern(`--port=[0-9]+`), spawnpolicy.Pattern(`--host=(localhost`)},
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, spawnpolicy.ErrInvalid))
	// Output:
	// spawnpolicy: invalid policy: program "server" Args[1]: error parsing regexp: missing closing ): `--host=(localhost`
	// true
}

// sidecarApp stands for the App struct a Wails application binds to its front end: each
// exported method becomes a JavaScript function. The front end may ask for a
// sidecar only through StartSidecar, and only within the policy.
type sidecarApp struct {
	policy *spawnpolicy.Policy
	start  func(tether.Spec) error // hands the Spec to the app's supervisor
}

// StartSidecar is called from JavaScript as
// window.go.main.App.StartSidecar({program: "converter", args: [...]}).
func (a *sidecarApp) StartSidecar(req spawnpolicy.Request) error {
	spec, err := a.policy.Check(req)
	if err != nil {
		return err // a *spawnpolicy.RefusedError: shown to the front end, nothing started
	}
	return a.start(spec)
}

// A Wails-style bound method that lets the front end start a bundled
// sidecar, within a policy.
func ExamplePolicy_wails() {
	policy, err := spawnpolicy.New(spawnpolicy.Program{
		Name: "converter",
		// A real app resolves the path once at start-up:
		//	path, err := bundle.Find("converter")
		Spec: tether.Spec{Command: "/Applications/My.app/Contents/MacOS/converter"},
		Args: []spawnpolicy.ArgRule{spawnpolicy.Literal("convert"), spawnpolicy.Pattern(`[a-z0-9_-]+\.png`)},
	})
	if err != nil {
		panic(err)
	}
	app := &sidecarApp{policy: policy, start: func(s tether.Spec) error {
		fmt.Println("start", s.Name, s.Command, s.Args)
		return nil
	}}

	fmt.Println(app.StartSidecar(spawnpolicy.Request{Program: "converter", Args: []string{"convert", "cat.png"}}))
	fmt.Println(app.StartSidecar(spawnpolicy.Request{Program: "converter", Args: []string{"convert", "cat.png; rm -rf ~"}}))
	// Output:
	// start converter /Applications/My.app/Contents/MacOS/converter [convert cat.png]
	// <nil>
	// spawnpolicy: refused by program "converter" Args[1]: "cat.png; rm -rf ~" does not match ^(?:[a-z0-9_-]+\.png)$
}
