package tether

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"tether.dev/tether/internal/proc"
	"tether.dev/tether/internal/proctest"
)

// The test binary plays the sidecar, as os/exec's tests do: with
// TETHER_TEST_HELPER set it runs helperMain instead of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("TETHER_TEST_HELPER"); mode != "" {
		helperMain(mode, os.Args[1:])
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// helperSpec returns a Spec that runs the test binary as helper mode with
// args, tagged so that its whole tree can be found (see leftovers).
func helperSpec(t testing.TB, mode string, args ...string) Spec {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Name:    mode,
		Command: exe,
		Args:    args,
		Env:     []string{"TETHER_TEST_HELPER=" + mode, proctest.Env(t)},
	}
}

func helperMain(mode string, args []string) {
	switch mode {
	case "echo": // print each arg as a line, then exit 0
		for _, a := range args {
			fmt.Println(a)
		}
	case "env": // print NAME=value (or NAME unset) for each arg
		for _, name := range args {
			if v, ok := os.LookupEnv(name); ok {
				fmt.Printf("%s=%s\n", name, v)
			} else {
				fmt.Printf("%s unset\n", name)
			}
		}
	case "polite": // exit 0 on a stop request (args[0]: stdin-eof, line:TEXT, post:PORT, file:PATH); exit 7 on SIGTERM
		politeHelper(args[0])
	case "exit": // exit with status args[0]
		n, _ := strconv.Atoi(args[0])
		os.Exit(n)
	case "sleep": // print "up", then wait to be killed
		fmt.Println("up")
		waitForever()
	case "cooperative": // exit 0 on SIGTERM
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("up")
		<-c
		fmt.Println("bye")
		os.Exit(0)
	case "stubborn": // ignore SIGTERM
		signal.Ignore(syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
		fmt.Println("up")
		waitForever()
	case "fidelity": // the output of fidelityStream(seed) on both streams
		seed, _ := strconv.ParseUint(args[0], 10, 64)
		done := make(chan struct{})
		go func() { writeChopped(os.Stderr, fidelityStream(seed+1), seed+1); close(done) }()
		writeChopped(os.Stdout, fidelityStream(seed), seed)
		<-done
	case "flood": // args[0] MB of 100-byte lines, never reading stdin
		mb, _ := strconv.Atoi(args[0])
		line := []byte(strings.Repeat("x", 99) + "\n")
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		for range mb * 1e6 / 100 {
			w.Write(line)
		}
		w.Flush()
	case "cat": // copy stdin to stdout
		io.Copy(os.Stdout, os.Stdin)
	case "tree": // start descendants that try to escape, then wait
		for _, how := range args {
			startDescendant(how)
		}
		fmt.Println("up")
		if os.Getenv("TETHER_TEST_TREE_EXIT") != "" {
			os.Exit(0)
		}
		waitForever()
	case "descendant": // a grandchild: print and wait
		if len(args) > 0 && args[0] == "double" {
			// The middle of a double fork: start the real one, exit.
			startDescendant("setsid")
			os.Exit(0)
		}
		if len(args) > 0 && args[0] == "stubborn" {
			signal.Ignore(syscall.SIGTERM)
		}
		waitForever()
	case "http": // serve /health on 127.0.0.1:args[0] after args[1]; see httpHelper
		httpHelper(args)
	case "notify": // after args[0], send READY=1 to $NOTIFY_SOCKET
		d, _ := time.ParseDuration(args[0])
		time.Sleep(d)
		sendNotify("STATUS=warming up\nREADY=1\nMAINPID=1\n")
		waitForever()
	case "watchdog": // READY=1, then WATCHDOG=1 every args[0] for args[1], then silence
		every, _ := time.ParseDuration(args[0])
		feed, _ := time.ParseDuration(args[1])
		fmt.Println("WATCHDOG_USEC=" + os.Getenv("WATCHDOG_USEC"))
		sendNotify("READY=1")
		for end := time.Now().Add(feed); time.Now().Before(end); time.Sleep(every) {
			sendNotify("WATCHDOG=1")
		}
		fmt.Println("wedged")
		waitForever() // wedged, not dead
	case "env-wait": // print NAME=value for each NAME in args, then wait to be killed
		for _, name := range args {
			fmt.Printf("%s=%s\n", name, os.Getenv(name))
		}
		waitForever()
	case "exit-after": // sleep args[0] then exit args[1]
		d, _ := time.ParseDuration(args[0])
		time.Sleep(d)
		n, _ := strconv.Atoi(args[1])
		os.Exit(n)
	case "crash": // args[0] lines on stdout, then a traceback on stderr, exit 1
		n, _ := strconv.Atoi(args[0])
		for i := range n {
			fmt.Printf("line %d\n", i)
		}
		time.Sleep(200 * time.Millisecond) // the stdout reader reads first
		os.Stderr.WriteString("Traceback (most recent call last):\nModuleNotFoundError: No module named 'nosuchmodule'\nbad \xff")
		os.Exit(1)
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		os.Exit(2)
	}
}

// waitForever blocks until the helper is killed. It sleeps rather than
// select{}: on Windows, Go's runtime takes a goroutine-less select for a
// deadlock and ends the process.
func waitForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// sendNotify sends msg to $NOTIFY_SOCKET as a sidecar does: one datagram on a
// unixgram socket, or one write to the named pipe on Windows. The helper
// exits 5 when it cannot.
func sendNotify(msg string) {
	addr := os.Getenv("NOTIFY_SOCKET")
	var err error
	if runtime.GOOS == "windows" {
		// The server takes one connection after another: while it makes
		// the next pipe instance, an open fails and is tried again.
		var pipe *os.File
		for try := 0; try < 100; try++ {
			if pipe, err = os.OpenFile(addr, os.O_WRONLY, 0); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err == nil {
			_, err = pipe.WriteString(msg)
			pipe.Close()
		}
	} else {
		var c net.Conn
		if c, err = net.Dial("unixgram", addr); err == nil {
			_, err = c.Write([]byte(msg))
			c.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(5)
	}
}

// httpHelper serves GET /health on 127.0.0.1:args[0] once args[1] has
// passed. args[2] is the behaviour, by attempt: the helper counts its runs in
// the file $TETHER_TEST_COUNTER, and args[2] is a comma-separated list of
// behaviours for runs 1, 2, ... (the last repeats): "ok" answers 200,
// "sick" answers 200 for 300ms then 500 for 500ms, then hangs.
func httpHelper(args []string) {
	run := 1
	if f := os.Getenv("TETHER_TEST_COUNTER"); f != "" {
		b, _ := os.ReadFile(f)
		run = len(b) + 1
		os.WriteFile(f, append(b, 'x'), 0o644)
	}
	modes := strings.Split(args[2], ",")
	mode := modes[min(run, len(modes))-1]
	d, _ := time.ParseDuration(args[1])
	time.Sleep(d)
	ln, err := net.Listen("tcp", "127.0.0.1:"+args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(6)
	}
	up := time.Now()
	fmt.Println("listening on", args[0])
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		age := time.Since(up)
		switch {
		case mode == "ok" || age < 300*time.Millisecond:
			w.WriteHeader(200)
		case age < 800*time.Millisecond:
			w.WriteHeader(500)
		default:
			<-r.Context().Done() // wedged
		}
	}))
}

// startDescendant starts a grandchild: "bg" in our group, "setsid" in its
// own session, "double" by a double fork, "stubborn" ignoring SIGTERM.
func startDescendant(how string) {
	cmd := exec.Command(os.Args[0], "plain")
	cmd.Env = append(os.Environ(), "TETHER_TEST_HELPER=descendant")
	switch how {
	case "setsid":
		newSession(cmd)
	case "double":
		cmd.Args = []string{os.Args[0], "double"}
	case "stubborn":
		cmd.Args = []string{os.Args[0], "stubborn"}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if how == "double" {
		cmd.Wait()
	}
}

// fidelityStream is about 10 MB of hostile output: random bytes (invalid
// UTF-8 included), \r, random line lengths, a 3 MiB line, a line of exactly
// MaxChunk, and a last line without a newline.
func fidelityStream(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	var b []byte
	for len(b) < 10<<20 {
		switch r.IntN(20) {
		case 0:
			b = append(b, '\n')
		case 1:
			b = append(b, "caf\xc3\xa9 \xff\xfe broken \r\n"...)
		default:
			n := r.IntN(300)
			if r.IntN(200) == 0 {
				n = r.IntN(200 << 10)
			}
			for range n {
				c := byte(r.Uint32())
				if c == '\n' {
					c = '\r'
				}
				b = append(b, c)
			}
			b = append(b, '\n')
		}
		if len(b) > 4<<20 && len(b) < 5<<20 {
			b = append(b, make([]byte, 3<<20)...) // 3 MiB of NULs
			b = append(b, '\n')
			b = append(b, make([]byte, MaxChunk)...)
			b = append(b, '\n')
		}
	}
	return append(b, "last line, no newline \xff"...)
}

// writeChopped writes b in writes of random sizes; the helper exits 4 when
// a write fails.
func writeChopped(w io.Writer, b []byte, seed uint64) {
	if proctest.WriteChopped(w, b, seed, 200<<10) != nil {
		os.Exit(4)
	}
}

// pidsByCommand lists live processes whose command line (arguments joined
// by spaces) is cmdline.
func pidsByCommand(cmdline string) []int {
	procs, _ := proc.Processes()
	var pids []int
	for _, p := range procs {
		if c, err := proc.Command(p.Pid); err == nil && c == cmdline && !p.Zombie {
			pids = append(pids, p.Pid)
		}
	}
	return pids
}

// politeHelper waits for one way of being asked to stop, then prints "bye"
// and exits 0. SIGTERM makes it print "got TERM" and exit 7, so a test sees
// whether a signal came.
func politeHelper(how string) {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	asked := make(chan string, 1)
	kind, arg, _ := strings.Cut(how, ":")
	switch kind {
	case "stdin-eof":
		go func() { io.Copy(io.Discard, os.Stdin); asked <- "eof" }()
	case "line":
		go func() {
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				if sc.Text() == arg {
					asked <- "line"
					return
				}
				fmt.Println("read", sc.Text())
			}
		}()
	case "post":
		ln, err := net.Listen("tcp", "127.0.0.1:"+arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(6)
		}
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				w.WriteHeader(405)
				return
			}
			w.WriteHeader(200)
			asked <- "post"
		}))
	case "file":
		go func() {
			for {
				if _, err := os.Stat(arg); err == nil {
					asked <- "file"
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	fmt.Println("up")
	select {
	case how := <-asked:
		time.Sleep(50 * time.Millisecond) // let an HTTP answer go out
		fmt.Println("bye", how)
		os.Exit(0)
	case <-term:
		fmt.Println("got TERM")
		os.Exit(7)
	}
}

// silentServer accepts connections on loopback and never answers; it
// returns its address.
func silentServer(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// killPid kills process pid: SIGKILL, or TerminateProcess on Windows.
func killPid(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
		p.Release()
	}
}
