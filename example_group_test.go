//go:build unix

package tether_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"tether.dev/tether"
)

// Two sidecars, as a desktop app (a Wails app, say) runs them: an API on a
// port chosen at each start, and a web server that depends on it and learns
// its address from {api.port}. The web server starts once the API is
// ready, and the group stops it before the API.
func ExampleGroup() {
	var mu sync.Mutex
	apiPort, webLine := 0, ""
	webReady := make(chan struct{})
	g := &tether.Group{
		Members: []tether.Member{
			{Spec: tether.Spec{
				Name:    "api",
				Command: "sh",
				Args:    []string{"-c", `echo "api listening on $TETHER_PORT"; exec sleep 60`},
				Port:    tether.PortAuto,
				Ready:   tether.LogProbe(regexp.MustCompile(`^api listening`)),
			}},
			{Spec: tether.Spec{
				Name:    "web",
				Command: "sh",
				Args:    []string{"-c", `echo "web uses $API_URL"; exec sleep 60`},
				Env:     []string{"API_URL=http://127.0.0.1:{api.port}/"},
				Ready:   tether.LogProbe(regexp.MustCompile(`^web uses`)),
			}, DependsOn: []string{"api"}},
		},
		OnEvent: func(e tether.Event) {
			mu.Lock()
			defer mu.Unlock()
			switch e.Kind {
			case tether.EventSpawned:
				if e.Name == "api" {
					apiPort = e.Port
				}
			case tether.EventStdout:
				if e.Name == "web" {
					webLine = string(e.Data)
				}
			case tether.EventReady:
				fmt.Println(e.Name, "ready")
				if e.Name == "web" { // ready: its line has been seen
					fmt.Println("web was given the api's port:",
						strings.HasSuffix(webLine, ":"+strconv.Itoa(apiPort)+"/"))
					close(webReady)
				}
			case tether.EventStopping, tether.EventStopped:
				fmt.Println(e.Name, e.Kind)
			}
		},
	}
	done := make(chan error, 1)
	go func() { done <- g.Run(context.Background()) }()

	<-webReady
	st, _ := g.Status("web")
	fmt.Println("web is", st.State)
	g.Stop("app closing") // as a Wails app's OnShutdown would
	fmt.Println("Run:", <-done)
	// Output:
	// api ready
	// web ready
	// web was given the api's port: true
	// web is running
	// web stopping
	// web stopped
	// api stopping
	// api stopped
	// Run: <nil>
}
