//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// {NAME.port} in tether up: a sidecar's env values, arguments and probes
// get the current port of a sidecar in its depends_on; when that one
// restarts on another port, only the sidecars using it are restarted,
// once it is ready again.
func TestUpPortWiring(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[sidecar.api]\n"+helperCommand("listen", "{port}", "0s", "1h")+
		"port = \"auto\"\nready = \"tcp://127.0.0.1:{port}\"\n"+
		"[sidecar.web]\n"+
		strings.Replace(helperCommand("env", "API_URL", "{api.port}"), "}\n",
			", API_URL = \"http://127.0.0.1:{api.port}/\" }\n", 1)+
		"depends_on = [\"api\"]\nready = \"tcp://127.0.0.1:{api.port}\"\n"+
		"[sidecar.worker]\n"+helperCommand("cat")+"depends_on = [\"api\"]\n")
	p := startTether(t, dir, "up")
	isEvent := func(name, kind string) func(event) bool {
		return func(e event) bool { return e.str("name") == name && e.kind() == kind }
	}
	sp, _ := p.waitFor(20*time.Second, 0, "api spawned", isEvent("api", "spawned"))
	port := sp.num("port")
	_, ready := p.waitFor(20*time.Second, 0, "api ready", isEvent("api", "ready"))
	_, webSpawned := p.waitFor(20*time.Second, 0, "web spawned", isEvent("web", "spawned"))
	if webSpawned < ready {
		t.Errorf("web spawned before api was ready:\n%s", p.dump())
	}
	want := fmt.Sprintf("API_URL=http://127.0.0.1:%d/", port)
	p.waitFor(20*time.Second, 0, want, func(e event) bool { return e.str("name") == "web" && e.str("line") == want })
	p.waitFor(20*time.Second, 0, "web ready", isEvent("web", "ready"))
	p.waitFor(20*time.Second, 0, "worker up", func(e event) bool { return e.str("name") == "worker" && e.str("line") == "up" })

	// Restart api until it has another port (a free port may come back).
	for try := 0; ; try++ {
		_, at := p.waitFor(20*time.Second, 0, "api ready", isEvent("api", "ready"))
		p.send(`{"cmd":"restart","name":"api"}`)
		sp, i := p.waitFor(20*time.Second, at+1, "api spawned again", isEvent("api", "spawned"))
		p.waitFor(20*time.Second, i, "api ready again", isEvent("api", "ready"))
		if sp.num("port") != port {
			port = sp.num("port")
			break
		}
		if try == 10 {
			t.Fatalf("api got port %d eleven times in a row", port)
		}
	}
	want = fmt.Sprintf("API_URL=http://127.0.0.1:%d/", port)
	line, _ := p.waitFor(20*time.Second, 0, "web with api's new port", func(e event) bool { return e.str("name") == "web" && e.str("line") == want })
	p.waitFor(20*time.Second, 0, "web's argument", func(e event) bool {
		return e.str("name") == "web" && e.str("line") == fmt.Sprintf("%d=", port)
	})
	p.waitFor(20*time.Second, 0, "web ready again", func(e event) bool {
		return isEvent("web", "ready")(e) && e.num("attempt") == line.num("attempt")
	})
	p.send(`{"cmd":"status","name":"worker"}`)
	st, _ := p.waitKind(20*time.Second, 0, "status")
	if st.num("attempt") != 1 {
		t.Errorf("worker, which uses no port, was restarted: %s", st)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// A {NAME.port} that names no sidecar, one not in depends_on, or one
// without a port is a usage error naming the key; nothing starts.
func TestUpPortWiringErrors(t *testing.T) {
	t.Parallel()
	const api = "[sidecar.api]\ncommand = [\"sh\", \"-c\", \"touch started; sleep 60\"]\nport = \"auto\"\n"
	for _, c := range []struct{ toml, want string }{
		{api + "[sidecar.web]\ncommand = [\"true\"]\ndepends_on = [\"api\"]\nenv = { U = \"{db.port}\" }\n",
			`sidecar.web.env = "U={db.port}": {db.port} names no sidecar of this file (sidecars here: api, web)`},
		{api + "[sidecar.web]\ncommand = [\"true\", \"--api={api.port}\"]\n",
			`sidecar.web.command argument "--api={api.port}": {api.port} is the port of api, which is not in sidecar.web.depends_on`},
		{api + "[sidecar.web]\ncommand = [\"true\"]\ndepends_on = [\"api\"]\nready = \"tcp://127.0.0.1:{api.port}\"\n[sidecar.db]\ncommand = [\"true\"]\n" +
			"[sidecar.x]\ncommand = [\"true\"]\ndepends_on = [\"db\"]\nenv = { D = \"{db.port}\" }\n",
			`sidecar.x.env = "D={db.port}": {db.port} is the port of db, which has none: give it sidecar.db.port`},
	} {
		dir := writeConfig(t, c.toml)
		out, errText, code := tetherExec(t, dir, "", "up")
		if code != 2 || out != "" || !strings.Contains(errText, c.want) || strings.Count(errText, "\n") != 1 {
			t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line with %s", code, out, errText, c.want)
		}
	}
	proctest.NoLeftovers(t, 0)
}

// The {NAME.port} example of docs/cli.md is a config tether up accepts, with
// web wired to api's port.
func TestCLIDocPortWiringExample(t *testing.T) {
	t.Parallel()
	var text string
	for _, b := range fencedBlocks(t, filepath.Join("docs", "cli.md")) {
		if b.lang == "toml" && strings.Contains(b.text, "{api.port}") {
			text = b.text
		}
	}
	if text == "" {
		t.Fatal("docs/cli.md has no toml example with {api.port}")
	}
	fc, err := parseConfig("/app/tether.toml", text)
	if err != nil {
		t.Fatal(err)
	}
	web := fc.sidecars[1]
	if web.name != "web" || web.dependsOn[0] != "api" || web.spec.Env[0] != "API_URL=http://127.0.0.1:{api.port}/" {
		t.Errorf("web: %+v", web)
	}
}
