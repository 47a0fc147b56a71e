package tether

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// groupLog records a Group's events for a test.
type groupLog struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{}
}

func newGroupLog() *groupLog { return &groupLog{notify: make(chan struct{}, 1)} }

func (l *groupLog) add(ev Event) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// waitFor waits until match holds for an event after the first skip
// events, and returns that event's index.
func (l *groupLog) waitFor(t *testing.T, what string, skip int, match func(Event) bool) int {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		l.mu.Lock()
		for i := skip; i < len(l.events); i++ {
			if match(l.events[i]) {
				l.mu.Unlock()
				return i
			}
		}
		l.mu.Unlock()
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("no %s in 20s; events:\n%s", what, l.dump())
		}
	}
}

// all returns a copy of the events so far.
func (l *groupLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

func (l *groupLog) dump() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, ev := range l.events {
		fmt.Fprintf(&b, "  %s %s attempt=%d port=%d %q %v %v\n", ev.Name, ev.Kind, ev.Attempt, ev.Port, ev.Data, ev.State, ev.Err)
	}
	return b.String()
}

func is(name string, kind EventKind) func(Event) bool {
	return func(ev Event) bool { return ev.Name == name && ev.Kind == kind }
}

// A Group starts members in dependency order, fills in {NAME.port}, rewires
// (restarts) only the members that use a port when it changes, and stops
// dependents first.
func TestGroupPortsAndOrder(t *testing.T) {
	t.Parallel()
	api := helperSpec(t, "http", "{port}", "0s", "ok")
	api.Name, api.Port, api.Ready = "api", PortAuto, TCPProbe("127.0.0.1:{port}")
	web := helperSpec(t, "env-wait", "API_URL", "API_PORT_ARG", "{api.port}")
	web.Name = "web"
	web.Env = append(web.Env, "API_URL=http://127.0.0.1:{api.port}/", "API_PORT_ARG={api.port}")
	web.Ready = TCPProbe("127.0.0.1:{api.port}")
	worker := helperSpec(t, "sleep")
	worker.Name = "worker"
	log := newGroupLog()
	g := &Group{Members: []Member{
		{Spec: web, DependsOn: []string{"api"}},
		{Spec: worker, DependsOn: []string{"api"}},
		{Spec: api},
	}, OnEvent: log.add}
	runErr := make(chan error, 1)
	go func() { runErr <- g.Run(context.Background()) }()

	apiReady := log.waitFor(t, "api ready", 0, is("api", EventReady))
	apiSpawned := log.waitFor(t, "api spawned", 0, is("api", EventSpawned))
	port := log.all()[apiSpawned].Port
	webSpawned := log.waitFor(t, "web spawned", 0, is("web", EventSpawned))
	if webSpawned < apiReady {
		t.Errorf("web was spawned before api was ready:\n%s", log.dump())
	}
	want := fmt.Sprintf("API_URL=http://127.0.0.1:%d/", port)
	log.waitFor(t, want, 0, func(ev Event) bool { return ev.Name == "web" && string(ev.Data) == want })
	log.waitFor(t, "web ready", 0, is("web", EventReady))
	if st, err := g.Status("web"); err != nil || st.State != StateRunning || !st.Ready || st.Attempt != 1 {
		t.Errorf("Status(web) = %+v, %v", st, err)
	}

	// Restart api until it has another port (a free port may come back).
	for try := 0; ; try++ {
		mark := len(log.all())
		if err := g.RestartMember("api"); err != nil {
			t.Fatal(err)
		}
		i := log.waitFor(t, "api spawned again", mark, is("api", EventSpawned))
		log.waitFor(t, "api ready again", i, is("api", EventReady))
		if log.all()[i].Port != port {
			port = log.all()[i].Port
			break
		}
		if try == 10 {
			t.Fatalf("api got port %d eleven times in a row", port)
		}
	}
	want = fmt.Sprintf("API_URL=http://127.0.0.1:%d/", port)
	log.waitFor(t, "web with the new port", 0, func(ev Event) bool { return ev.Name == "web" && string(ev.Data) == want })
	i := log.waitFor(t, "web's args with the new port", 0, func(ev Event) bool {
		return ev.Name == "web" && string(ev.Data) == fmt.Sprintf("%d=", port)
	})
	webAttempt := log.all()[i].Attempt // match runs under the log's lock: read it before
	log.waitFor(t, "web ready again", 0, func(ev Event) bool { return is("web", EventReady)(ev) && ev.Attempt == webAttempt })
	if st, _ := g.Status("worker"); st.Attempt != 1 {
		t.Errorf("worker, which uses no port, was restarted: %+v\n%s", st, log.dump())
	}

	g.Stop("test")
	if err := <-runErr; err != nil {
		t.Fatalf("Run = %v", err)
	}
	apiStopped := log.waitFor(t, "api stopped", 0, is("api", EventStopped))
	for _, name := range []string{"web", "worker"} {
		if j := log.waitFor(t, name+" stopped", 0, is(name, EventStopped)); j > apiStopped {
			t.Errorf("%s stopped after api, which it depends on:\n%s", name, log.dump())
		}
		j := log.waitFor(t, name+" stopping", 0, is(name, EventStopping))
		if log.all()[j].Reason != "test" {
			t.Errorf("%s stopping reason %q", name, log.all()[j].Reason)
		}
	}
	if err := g.RestartMember("api"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("RestartMember after Run: %v", err)
	}
	proctest.NoLeftovers(t, time.Second)
}

// A member that fails makes Run's error; a dependent of a member that ended
// before it was ready is not started.
func TestGroupFailure(t *testing.T) {
	t.Parallel()
	db := helperSpec(t, "exit", "3")
	db.Name, db.Restart = "db", RestartNever
	db.Ready = TCPProbe("127.0.0.1:1") // never ready
	app := helperSpec(t, "sleep")
	app.Name = "app"
	log := newGroupLog()
	g := &Group{Members: []Member{{Spec: db}, {Spec: app, DependsOn: []string{"db"}}}, OnEvent: log.add}
	err := g.Run(context.Background())
	var me *MemberError
	if !errors.As(err, &me) || me.Name != "db" || me.Status != 3 || ExitStatus(err) != 3 {
		t.Fatalf("Run = %v, want db's status 3", err)
	}
	if slices.ContainsFunc(log.all(), is("app", EventSpawned)) {
		t.Errorf("app was started:\n%s", log.dump())
	}
	if !slices.ContainsFunc(log.all(), func(ev Event) bool {
		return ev.Name == "app" && ev.Kind == EventStopped && ev.Code == 1
	}) {
		t.Errorf("no stopped 1 for app:\n%s", log.dump())
	}
	proctest.NoLeftovers(t, time.Second)
}

// Members are checked before anything starts.
func TestGroupRefusesBadMembers(t *testing.T) {
	t.Parallel()
	spec := func(name string, port int, env ...string) Spec {
		return Spec{Name: name, Command: "true", Port: port, Env: env}
	}
	for _, c := range []struct {
		members []Member
		want    string
	}{
		{[]Member{{Spec: spec("", 0)}}, `Members[0].Spec.Name ""`},
		{[]Member{{Spec: spec("a", 0)}, {Spec: spec("a", 0)}}, `names must be unique`},
		{[]Member{{Spec: spec("a", 0), DependsOn: []string{"b"}}}, `a.DependsOn "b"`},
		{[]Member{{Spec: spec("a", 0), DependsOn: []string{"b"}}, {Spec: spec("b", 0), DependsOn: []string{"a"}}}, `a → b → a`},
		{[]Member{{Spec: spec("web", 0, "U={api.port}")}, {Spec: spec("api", PortAuto)}}, `{api.port} names api, which is not in web's DependsOn`},
		{[]Member{{Spec: spec("web", 0, "U={db.port}"), DependsOn: []string{"api"}}, {Spec: spec("api", PortAuto)}}, `{db.port} names db, which is not in web's DependsOn`},
		{[]Member{{Spec: spec("web", 0, "U={api.port}"), DependsOn: []string{"api"}}, {Spec: spec("api", 0)}}, `{api.port} names api, which has no Port`},
	} {
		g := &Group{Members: c.members}
		err := g.Run(context.Background())
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run = %v, want an ErrInvalidSpec mentioning %s", err, c.want)
		}
	}
}

// Group.Write's and Group.Signal's doc comments state the write bounds as
// numbers (the constants are not exported): they must stay true.
func TestGroupWriteBoundsAsDocumented(t *testing.T) {
	if groupMaxWriteBytes != 64<<20 || groupMaxWrites != 65536 || groupWriteWait != 5*time.Second {
		t.Errorf("write bounds %d bytes, %d writes, %v: Group.Write and Group.Signal document 64 MiB, 65,536 writes and 5 s", groupMaxWriteBytes, groupMaxWrites, groupWriteWait)
	}
}

// A member's status is current when its event reaches OnEvent: a host that
// asks Status on a member's ready event sees it running (ExampleGroup saw
// "web is starting" after web's ready now and then).
func TestGroupStatusBeforeEvent(t *testing.T) {
	t.Parallel()
	web := helperSpec(t, "sleep")
	web.Name = "web"
	var g *Group
	var mu sync.Mutex
	var states []State
	ready := make(chan struct{})
	g = &Group{Members: []Member{{Spec: web}}, OnEvent: func(ev Event) {
		if ev.Kind != EventReady && ev.Kind != EventSpawned {
			return
		}
		st, err := g.Status(ev.Name)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		states = append(states, st.State)
		mu.Unlock()
		if ev.Kind == EventReady {
			close(ready)
		}
	}}
	done := make(chan error, 1)
	go func() { done <- g.Run(context.Background()) }()
	<-ready
	g.Stop("test over")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(states, []State{StateStarting, StateRunning}) {
		t.Errorf("states on spawned, ready: %v; want [starting running]", states)
	}
	proctest.NoLeftovers(t, time.Second)
}
