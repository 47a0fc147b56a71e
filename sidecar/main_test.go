package sidecar_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"tether.dev/tether/sidecar"
)

// tetherBin is the tether executable TestMain builds for the black-box tests.
var tetherBin string

// The test binary also plays the sidecars (roleVar names the role).
const roleVar = "SIDECAR_TEST_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleVar); role != "" {
		os.Exit(playRole(role))
	}
	dir, err := os.MkdirTemp("", "tether-sidecar-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// TETHER_BIN names a tether to test against instead of this checkout's.
	if tetherBin = os.Getenv("TETHER_BIN"); tetherBin == "" {
		tetherBin = filepath.Join(dir, "tether")
		if runtime.GOOS == "windows" {
			tetherBin += ".exe"
		}
		build := exec.Command("go", "build", "-o", tetherBin, "../cmd/tether")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building tether:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// playRole runs the test binary as a sidecar.
func playRole(role string) int {
	switch role {
	case "sidecar":
		return exampleSidecar()
	case "stubborn":
		// Stops on the first signal, then never finishes.
		ctx, stop := sidecar.StopContext(context.Background())
		defer stop()
		fmt.Println("running")
		<-ctx.Done()
		fmt.Println("stopping:", context.Cause(ctx))
		time.Sleep(time.Hour)
		return 0
	case "middle":
		// A stand-in for tether: start the sidecar with TETHER_PID set to
		// this process, then exit.
		cmd := exec.Command(os.Args[0])
		if os.Getenv("SIDECAR_TEST_INDIRECT") != "" {
			// A shell in between, as a wrapper script would be.
			cmd = exec.Command("sh", "-c", `"$0"; :`, os.Args[0])
		}
		cmd.Env = append(os.Environ(), roleVar+"=sidecar", fmt.Sprintf("TETHER_PID=%d", os.Getpid()))
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println("middle:", err)
			return 1
		}
		time.Sleep(500 * time.Millisecond)
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown role", role)
	return 2
}

// exampleSidecar is a sidecar written with the SDK: an event loop that runs
// jobs, a watchdog that pings only while the loop answers, readiness, and a
// graceful stop. SIDECAR_TEST_DIR holds a file per pid saying why it
// stopped. With SIDECAR_TEST_BLOCK set, the first attempt (the first to
// create the file "blocked") blocks its event loop for 5 s after ready.
func exampleSidecar() int {
	env, err := sidecar.FromEnv()
	if err != nil {
		fmt.Println("env:", err)
		return 1
	}
	ctx, stop := env.StopContext(context.Background())
	defer stop()

	jobs := make(chan func())
	go func() { // the event loop
		for job := range jobs {
			job()
		}
	}()
	alive := func(ctx context.Context) error {
		answered := make(chan struct{})
		select {
		case jobs <- func() { close(answered) }:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-answered:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	go env.Watchdog(ctx, alive)
	fmt.Printf("pid=%d port=%d\n", os.Getpid(), env.Port)
	if err := env.Ready(); err != nil {
		fmt.Println("ready:", err)
		return 1
	}
	dir := os.Getenv("SIDECAR_TEST_DIR")
	if os.Getenv("SIDECAR_TEST_BLOCK") != "" {
		if f, err := os.OpenFile(filepath.Join(dir, "blocked"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			f.Close()
			fmt.Println("blocking the event loop for 5s")
			jobs <- func() { time.Sleep(5 * time.Second) }
		}
	}
	<-ctx.Done()
	cause := context.Cause(ctx)
	if !errors.Is(cause, sidecar.ErrStop) {
		cause = fmt.Errorf("not ErrStop: %w", cause)
	}
	if dir != "" {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("stopped-%d", os.Getpid())), []byte(cause.Error()), 0o600)
	}
	fmt.Println("graceful stop:", strings.TrimPrefix(cause.Error(), "sidecar: stop requested: "))
	return 0
}
