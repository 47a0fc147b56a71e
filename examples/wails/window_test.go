//go:build linux

package main

import (
	"bufio"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"tether.dev/tether/internal/proctest"
)

// The app in a real window: built with the tags of a Wails production
// build, run under Xvfb, it must show "ready" (its page says so, and the
// screenshot has the ready badge's green), answer on the sidecar's port,
// come back after a click on Crash, and, killed with SIGKILL, leave nothing
// running within a second.
//
// It needs libgtk-3-dev, libwebkit2gtk-4.1-dev, xvfb and python3 (.ci/run
// installs them); elsewhere it is skipped, saying what is missing. The
// screenshot is kept as an artifact: in $TETHER_ARTIFACTS when set.

// readyGreen is the ready badge's colour (frontend/index.html).
var readyGreen = color.RGBA{R: 22, G: 163, B: 74, A: 255}

// needDesktop skips the test where the system lacks what a Wails window
// needs, except in CI, which installs it.
func needDesktop(t *testing.T) {
	t.Helper()
	needPython(t)
	var missing []string
	if exec.Command("pkg-config", "--exists", "gtk+-3.0", "webkit2gtk-4.1").Run() != nil {
		missing = append(missing, "libgtk-3-dev libwebkit2gtk-4.1-dev (pkg-config finds no gtk+-3.0 or webkit2gtk-4.1)")
	}
	if _, err := exec.LookPath("Xvfb"); err != nil {
		missing = append(missing, "xvfb (no Xvfb)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "the Wails window test needs " + strings.Join(missing, " and ") +
		": apt-get install libgtk-3-dev libwebkit2gtk-4.1-dev xvfb"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; .ci/run installs them")
	}
	t.Skip(msg)
}

// buildApp builds the app as a Wails production build for Linux.
func buildApp(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "wails-example")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute) // a first cgo build of WebKit bindings is slow
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "desktop,production,webkit2_41", "-o", exe, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the app: %v\n%s", err, out)
	}
	return exe
}

// startXvfb starts an X server of 1024×768 on a free display, stopped when
// the test ends, and returns the display's name (":N").
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w} // fd 3: Xvfb writes the display number there once it is ready
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case n := <-num:
		if n == "" {
			t.Fatal("Xvfb did not start")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not say its display in 30s")
	}
	return ""
}

// shown is one "window shows:" line of the app: what its page drew.
type shown struct {
	badge, state           string
	port, attempt, restart int
	crashX, crashY         int
}

var shownLine = regexp.MustCompile(`^window shows: (\S+) state=(\S+) port=(\S+) attempt=(\d+) restarts=(\d+) crash-button=(\d+),(\d+)$`)

// readShown sends each "window shows:" line of r on out, parsed, until r
// ends; other lines are kept in log.
func readShown(r io.Reader, out chan<- shown, log *strings.Builder) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := shownLine.FindStringSubmatch(sc.Text())
		if m == nil {
			log.WriteString(sc.Text() + "\n")
			continue
		}
		n := func(s string) int { i, _ := strconv.Atoi(s); return i }
		out <- shown{badge: m[1], state: m[2], port: n(m[3]), attempt: n(m[4]), restart: n(m[5]), crashX: n(m[6]), crashY: n(m[7])}
	}
	close(out)
}

// waitShown waits for the page to draw what ok accepts.
func waitShown(t *testing.T, shows <-chan shown, what string, ok func(shown) bool) shown {
	t.Helper()
	deadline := time.After(2 * time.Minute) // WebKit starts slowly on a busy machine
	var last shown
	for {
		select {
		case s, open := <-shows:
			if !open {
				t.Fatalf("%s: the app ended; the last page drawn: %+v", what, last)
			}
			if ok(s) {
				return s
			}
			last = s
		case <-deadline:
			t.Fatalf("%s: not drawn in 2 minutes; the last page drawn: %+v", what, last)
		}
	}
}

func TestWindowShowsReady(t *testing.T) {
	needDesktop(t)
	xgb.Logger = log.New(io.Discard, "", 0) // it logs a missing ~/.Xauthority, which Xvfb does not need
	exe := buildApp(t)
	display := startXvfb(t)

	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, proctest.Env(t))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	shows := make(chan shown, 256)
	var other strings.Builder
	go readShown(stdout, shows, &other)

	first := waitShown(t, shows, `"ready" in the window`, func(s shown) bool { return s.badge == "ready" })
	if first.state != "running" || first.attempt != 1 || first.port == 0 {
		t.Errorf("the page shows %+v, want running, attempt 1, a port", first)
	}
	answer(t, first.port)

	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	win := appWindow(t, x)
	shot := waitScreenshot(t, x, "the ready badge in the window", func(img *image.RGBA) bool {
		return countColor(img.SubImage(win).(*image.RGBA), readyGreen) >= 1000
	})
	saveArtifact(t, "wails-window.png", shot.SubImage(win))

	// A click on Crash: the sidecar exits with status 3, tether restarts it
	// on a new port, and the window follows.
	click(t, x, win.Min.X+first.crashX, win.Min.Y+first.crashY)
	again := waitShown(t, shows, "ready again after the click on Crash", func(s shown) bool {
		return s.badge == "ready" && s.attempt == 2
	})
	if again.restart != 1 || again.port == first.port {
		t.Errorf("after Crash the page shows %+v (first port %d), want restarts 1 and a new port", again, first.port)
	}
	answer(t, again.port)

	// Killed with SIGKILL: no OnShutdown, yet nothing the app started may
	// be left a second later (the watcher kills the sidecar's tree).
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	proctest.NoLeftovers(t, time.Second)
	if t.Failed() {
		t.Logf("the app's other output:\n%s\nstderr:\n%s", other.String(), stderr.String())
	}
}

// answer checks that the sidecar answers on port.
func answer(t *testing.T, port int) {
	t.Helper()
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatalf("the sidecar does not answer on port %d: %v", port, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "hello from the Python sidecar") {
		t.Errorf("port %d answers %d %q", port, resp.StatusCode, body)
	}
}

// waitScreenshot takes screenshots until ok accepts one (the page may be
// drawn a moment after it said so), and returns it.
func waitScreenshot(t *testing.T, x *xgb.Conn, what string, ok func(*image.RGBA) bool) *image.RGBA {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		img := screenshot(t, x)
		if ok(img) {
			return img
		}
		if time.Now().After(deadline) {
			saveArtifact(t, "wails-window-failed.png", img)
			t.Fatalf("%s: not on the screen in 30s (screenshot kept)", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// screenshot returns the whole screen of x.
func screenshot(t *testing.T, x *xgb.Conn) *image.RGBA {
	t.Helper()
	screen := xproto.Setup(x).DefaultScreen(x)
	w, h := screen.WidthInPixels, screen.HeightInPixels
	reply, err := xproto.GetImage(x, xproto.ImageFormatZPixmap, xproto.Drawable(screen.Root), 0, 0, w, h, 0xffffffff).Reply()
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
	if len(reply.Data) < int(w)*int(h)*4 {
		t.Fatalf("the screen's image has %d bytes, want 4 per pixel of %dx%d (depth 24)", len(reply.Data), w, h)
	}
	for i := 0; i < int(w)*int(h); i++ { // BGRX, as Xvfb's 24-bit screen keeps it
		p := reply.Data[4*i : 4*i+4]
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = p[2], p[1], p[0], 255
	}
	return img
}

// countColor counts img's pixels of colour c.
func countColor(img *image.RGBA, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

// saveArtifact writes img as name into $TETHER_ARTIFACTS, or the test's
// temporary directory, and says where.
func saveArtifact(t *testing.T, name string, img image.Image) {
	t.Helper()
	dir := os.Getenv("TETHER_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", f.Name())
}

// appWindow finds the app's top-level window ("tether + Wails") and
// returns where it is on the screen.
func appWindow(t *testing.T, x *xgb.Conn) image.Rectangle {
	t.Helper()
	root := xproto.Setup(x).DefaultScreen(x).Root
	tree, err := xproto.QueryTree(x, root).Reply()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range tree.Children {
		name, err := xproto.GetProperty(x, false, w, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, 64).Reply()
		if err != nil || string(name.Value) != "tether + Wails" {
			continue
		}
		geo, err := xproto.GetGeometry(x, xproto.Drawable(w)).Reply()
		if err != nil {
			t.Fatal(err)
		}
		at, err := xproto.TranslateCoordinates(x, w, root, 0, 0).Reply()
		if err != nil {
			t.Fatal(err)
		}
		return image.Rect(int(at.DstX), int(at.DstY), int(at.DstX)+int(geo.Width), int(at.DstY)+int(geo.Height))
	}
	t.Fatal(`no window named "tether + Wails" on the screen`)
	return image.Rectangle{}
}

// click clicks the left button at (px, py) of the screen, through the
// XTEST extension, as a person would.
func click(t *testing.T, x *xgb.Conn, px, py int) {
	t.Helper()
	if err := xtest.Init(x); err != nil {
		t.Fatalf("XTEST: %v", err)
	}
	root := xproto.Setup(x).DefaultScreen(x).Root
	for _, ev := range []struct {
		kind   byte
		detail byte
	}{{xproto.MotionNotify, 0}, {xproto.ButtonPress, 1}, {xproto.ButtonRelease, 1}} {
		err := xtest.FakeInputChecked(x, ev.kind, ev.detail, 0, root, int16(px), int16(py), 0).Check()
		if err != nil {
			t.Fatalf("clicking at %d,%d: %v", px, py, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
