package spawnpolicy

import (
	"errors"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode/utf8"

	"tether.dev/tether"
)

func testPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := New(
		Program{
			Name: "server",
			Spec: tether.Spec{
				Command: "/opt/app/server",
				Dir:     "/opt/app",
				Args:    []string{"--log-format", "json"},
				Env:     []string{"PYTHONUNBUFFERED=1", "LEVEL=info"},
				Restart: tether.RestartOnFailure,
			},
			Args: []ArgRule{Literal("serve"), Pattern(`[0-9]{1,5}`)},
			Env:  []EnvRule{{Key: "LEVEL", Pattern: `debug|info|warn`}, {Key: "TOKEN"}},
		},
		Program{
			Name: "version",
			Spec: tether.Spec{Name: "server-version", Command: "/opt/app/server", Args: []string{"--version"}},
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSpawnPolicyAllows(t *testing.T) {
	t.Parallel()
	p := testPolicy(t)
	server := tether.Spec{
		Name:    "server",
		Command: "/opt/app/server",
		Dir:     "/opt/app",
		Restart: tether.RestartOnFailure,
	}
	with := func(args, env []string) tether.Spec {
		s := server
		s.Args, s.Env = args, env
		return s
	}
	tests := []struct {
		req  Request
		want tether.Spec
	}{
		{
			Request{Program: "server", Args: []string{"serve", "8080"}},
			with([]string{"--log-format", "json", "serve", "8080"}, []string{"PYTHONUNBUFFERED=1", "LEVEL=info"}),
		},
		{ // an allowed key replaces the policy's default for it
			Request{Program: "server", Args: []string{"serve", "1"}, Env: []string{"LEVEL=debug"}},
			with([]string{"--log-format", "json", "serve", "1"}, []string{"PYTHONUNBUFFERED=1", "LEVEL=debug"}),
		},
		{ // a key without a pattern takes any value, even an empty one
			Request{Program: "server", Args: []string{"serve", "65535"}, Env: []string{"TOKEN=a b=c", "LEVEL=warn"}},
			with([]string{"--log-format", "json", "serve", "65535"}, []string{"PYTHONUNBUFFERED=1", "TOKEN=a b=c", "LEVEL=warn"}),
		},
		{
			Request{Program: "server", Args: []string{"serve", "0"}, Env: []string{"TOKEN="}},
			with([]string{"--log-format", "json", "serve", "0"}, []string{"PYTHONUNBUFFERED=1", "LEVEL=info", "TOKEN="}),
		},
		{ // no Env in the policy and none asked for: nil, the host's environment
			Request{Program: "version"},
			tether.Spec{Name: "server-version", Command: "/opt/app/server", Args: []string{"--version"}},
		},
		{
			Request{Program: "version", Args: []string{}, Env: []string{}},
			tether.Spec{Name: "server-version", Command: "/opt/app/server", Args: []string{"--version"}},
		},
	}
	for _, tt := range tests {
		got, err := p.Check(tt.req)
		if err != nil {
			t.Errorf("Check(%+v): %v", tt.req, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Check(%+v) =\n %+v\nwant\n %+v", tt.req, got, tt.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("Check(%+v) gave an invalid Spec: %v", tt.req, err)
		}
	}
}

func TestSpawnPolicyRefuses(t *testing.T) {
	t.Parallel()
	p := testPolicy(t)
	srv := func(args ...string) Request { return Request{Program: "server", Args: args} }
	env := func(env ...string) Request {
		return Request{Program: "server", Args: []string{"serve", "80"}, Env: env}
	}
	long := strings.Repeat("a", 100)
	tests := []struct {
		req  Request
		rule string
		text string
	}{
		// Programs are names, compared exactly; paths name nothing.
		{Request{Program: "rm"}, "programs", `no program named "rm" is allowed`},
		{Request{}, "programs", `no program named "" is allowed`},
		{Request{Program: "Server"}, "programs", `no program named "Server" is allowed`},
		{Request{Program: "/opt/app/server"}, "programs", `no program named "/opt/app/server" is allowed`},
		{Request{Program: "server-version"}, "programs", `no program named "server-version" is allowed`},
		{Request{Program: long}, "programs", `no program named "` + long[:64] + `"... is allowed`},

		// Argument count.
		{srv(), `program "server" Args`, `missing argument 0: the rule wants 2`},
		{srv("serve"), `program "server" Args`, `missing argument 1: the rule wants 2`},
		{srv("serve", "8080", "--evil"), `program "server" Args`, `extra argument 2 "--evil": the rule allows 2`},
		{Request{Program: "version", Args: []string{""}}, `program "version" Args`, `extra argument 0 "": the rule allows 0`},

		// Literals.
		{srv("stop", "1"), `program "server" Args[0]`, `"stop" is not "serve"`},
		{srv("serve ", "1"), `program "server" Args[0]`, `"serve " is not "serve"`},
		{srv("SERVE", "1"), `program "server" Args[0]`, `"SERVE" is not "serve"`},
		{srv("serve\x00", "1"), `program "server" Args[0]`, `argument contains NUL`},

		// Patterns match whole arguments only.
		{srv("serve", "8080;rm -rf /"), `program "server" Args[1]`, `"8080;rm -rf /" does not match ^(?:[0-9]{1,5})$`},
		{srv("serve", "x8080"), `program "server" Args[1]`, `"x8080" does not match ^(?:[0-9]{1,5})$`},
		{srv("serve", "8080\n"), `program "server" Args[1]`, `"8080\n" does not match ^(?:[0-9]{1,5})$`},
		{srv("serve", "123456"), `program "server" Args[1]`, `"123456" does not match ^(?:[0-9]{1,5})$`},
		{srv("serve", ""), `program "server" Args[1]`, `"" does not match ^(?:[0-9]{1,5})$`},
		{srv("serve", "80\x00"), `program "server" Args[1]`, `argument contains NUL`},
		{srv("serve", long), `program "server" Args[1]`, `"` + long[:64] + `"... does not match ^(?:[0-9]{1,5})$`},

		// Environment: allowed keys only, exactly, once, with valid values.
		{env("PATH=/tmp/evil"), `program "server" Env`, `key "PATH" is not allowed`},
		{env("LD_PRELOAD=/tmp/x.so"), `program "server" Env`, `key "LD_PRELOAD" is not allowed`},
		{env("PYTHONUNBUFFERED=0"), `program "server" Env`, `key "PYTHONUNBUFFERED" is not allowed`},
		{env("level=debug"), `program "server" Env`, `key "level" is not allowed`},
		{env("LEVEL"), `program "server" Env`, `entry 0 is not KEY=VALUE`},
		{env("TOKEN=x", "=debug"), `program "server" Env`, `entry 1 is not KEY=VALUE`},
		{env("LEVEL=info", "LEVEL=debug"), `program "server" Env`, `key "LEVEL" is given twice`},
		{env("LEVEL=trace"), `program "server" Env["LEVEL"]`, `value does not match ^(?:debug|info|warn)$`},
		{env("LEVEL=info;x"), `program "server" Env["LEVEL"]`, `value does not match ^(?:debug|info|warn)$`},
		{env("LEVEL="), `program "server" Env["LEVEL"]`, `value does not match ^(?:debug|info|warn)$`},
		{env("TOKEN=a\x00b"), `program "server" Env["TOKEN"]`, `value contains NUL`},
		{Request{Program: "version", Env: []string{"LEVEL=info"}}, `program "version" Env`, `key "LEVEL" is not allowed`},

		// The first refusal is reported.
		{Request{Program: "server", Args: []string{"x"}, Env: []string{"PATH=/"}}, `program "server" Args[0]`, `"x" is not "serve"`},
	}
	for _, tt := range tests {
		got, err := p.Check(tt.req)
		if err == nil {
			t.Errorf("Check(%q) allowed: %+v", tt.req, got)
			continue
		}
		want := "spawnpolicy: refused by " + tt.rule + ": " + tt.text
		if err.Error() != want {
			t.Errorf("Check(%q):\n got %s\nwant %s", tt.req, err, want)
		}
		var pe *RefusedError
		if !errors.As(err, &pe) || pe.Rule != tt.rule || pe.Reason != tt.text || pe.Program != tt.req.Program {
			t.Errorf("Check(%q): fields %+v", tt.req, pe)
		}
		if !errors.Is(err, ErrRefused) || errors.Is(err, ErrInvalid) {
			t.Errorf("Check(%q): errors.Is wrong for %v", tt.req, err)
		}
		if !reflect.DeepEqual(got, tether.Spec{}) {
			t.Errorf("Check(%q) refused but returned %+v", tt.req, got)
		}
		for _, kv := range tt.req.Env { // values never show
			if _, v, _ := strings.Cut(kv, "="); len(v) > 2 && strings.Contains(err.Error(), v) {
				t.Errorf("Check(%q): error shows the value %q", tt.req, v)
			}
		}
	}
}

func TestSpawnPolicyZero(t *testing.T) {
	t.Parallel()
	empty, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var nilPolicy *Policy
	for name, p := range map[string]*Policy{"zero": {}, "nil": nilPolicy, "empty": empty} {
		for _, req := range []Request{{}, {Program: "sh", Args: []string{"-c", "id"}}} {
			_, err := p.Check(req)
			want := `spawnpolicy: refused by programs: no program named "` + req.Program + `" is allowed`
			if err == nil || err.Error() != want || !errors.Is(err, ErrRefused) {
				t.Errorf("%s policy: Check(%q) = %v, want %s", name, req, err, want)
			}
		}
	}
}

// TestSpawnPolicyCopies checks that a policy cannot be changed through the
// programs it was built from, nor through a Spec it returned.
func TestSpawnPolicyCopies(t *testing.T) {
	t.Parallel()
	ap := Program{
		Name: "tool",
		Spec: tether.Spec{Command: "/bin/tool", Args: []string{"--safe"}, Env: []string{"MODE=safe"}},
		Args: []ArgRule{Literal("run")},
		Env:  []EnvRule{{Key: "LEVEL"}},
	}
	p, err := New(ap)
	if err != nil {
		t.Fatal(err)
	}
	ap.Spec.Command = "/bin/sh"
	ap.Spec.Args[0] = "--unsafe"
	ap.Spec.Env[0] = "MODE=unsafe"
	ap.Args[0] = Pattern(".*")
	ap.Env[0].Key = "PATH"

	want := tether.Spec{Name: "tool", Command: "/bin/tool", Args: []string{"--safe", "run"}, Env: []string{"MODE=safe", "LEVEL=1"}}
	req := Request{Program: "tool", Args: []string{"run"}, Env: []string{"LEVEL=1"}}
	s, err := p.Check(req)
	if err != nil || !reflect.DeepEqual(s, want) {
		t.Fatalf("Check = %+v, %v; want %+v", s, err, want)
	}
	s.Args[0], s.Env[0] = "--unsafe", "MODE=unsafe"
	s.Args = append(s.Args[:1], "extra")
	if s, err = p.Check(req); err != nil || !reflect.DeepEqual(s, want) {
		t.Fatalf("second Check = %+v, %v; want %+v", s, err, want)
	}
	req.Args[0] = "--unsafe" // the request's slices are not kept either
	if _, err := p.Check(Request{Program: "tool", Args: []string{"run"}}); err != nil {
		t.Fatal(err)
	}
}

func TestNewSpawnPolicyErrors(t *testing.T) {
	t.Parallel()
	ok := tether.Spec{Command: "/bin/tool"}
	prog := func(ap Program) []Program {
		if ap.Name == "" {
			ap.Name = "tool"
		}
		if ap.Spec.Command == "" && ap.Spec.Port == 0 {
			ap.Spec = ok
		}
		return []Program{ap}
	}
	tests := []struct {
		programs []Program
		want     string
		cause    any // a pointer to the type errors.As must find, or nil
	}{
		{
			[]Program{{Spec: ok}},
			`spawnpolicy: invalid policy: programs[0]: empty Name`, nil,
		},
		{
			[]Program{{Name: "a", Spec: ok}, {Name: "b", Spec: ok}, {Name: "a", Spec: ok}},
			`spawnpolicy: invalid policy: program "a": name given twice (programs[2])`, nil,
		},
		{
			[]Program{{Name: "tool"}},
			`spawnpolicy: invalid policy: program "tool" Spec: invalid Command "": a program name or path is required`, new(*tether.FieldError),
		},
		{
			prog(Program{Spec: tether.Spec{Command: "/bin/tool", Port: 70000}}),
			`spawnpolicy: invalid policy: program "tool" Spec: invalid Port 70000: want PortAuto (-1), 0 (none) or 1-65535`, new(*tether.FieldError),
		},
		{
			prog(Program{Args: []ArgRule{Literal("run"), Pattern(`[0-9`)}}),
			"spawnpolicy: invalid policy: program \"tool\" Args[1]: error parsing regexp: missing closing ]: `[0-9`", new(*syntax.Error),
		},
		{ // would be ^(?:a)|(b)$, anchored on neither side, if not refused
			prog(Program{Args: []ArgRule{Pattern(`a)|(b`)}}),
			"spawnpolicy: invalid policy: program \"tool\" Args[0]: error parsing regexp: unexpected ): `a)|(b`", new(*syntax.Error),
		},
		{
			prog(Program{Args: []ArgRule{{}}}),
			`spawnpolicy: invalid policy: program "tool" Args[0]: not set: use Literal or Pattern`, nil,
		},
		{
			prog(Program{Args: []ArgRule{Literal("a\x00")}}),
			`spawnpolicy: invalid policy: program "tool" Args[0]: literal contains NUL`, nil,
		},
		{
			prog(Program{Env: []EnvRule{{Key: "A"}, {Pattern: "x"}}}),
			`spawnpolicy: invalid policy: program "tool" Env[1]: empty Key`, nil,
		},
		{
			prog(Program{Env: []EnvRule{{Key: "A=B"}}}),
			`spawnpolicy: invalid policy: program "tool" Env[0]: key "A=B" contains = or NUL`, nil,
		},
		{
			prog(Program{Env: []EnvRule{{Key: "A\x00"}}}),
			`spawnpolicy: invalid policy: program "tool" Env[0]: key "A\x00" contains = or NUL`, nil,
		},
		{
			prog(Program{Env: []EnvRule{{Key: "A"}, {Key: "A", Pattern: "x"}}}),
			`spawnpolicy: invalid policy: program "tool" Env[1]: key "A" given twice`, nil,
		},
		{
			prog(Program{Env: []EnvRule{{Key: "LEVEL", Pattern: `(debug`}}}),
			"spawnpolicy: invalid policy: program \"tool\" Env[\"LEVEL\"]: error parsing regexp: missing closing ): `(debug`", new(*syntax.Error),
		},
		{
			prog(Program{Env: []EnvRule{{Key: "N", Pattern: `x{1001}`}}}),
			"spawnpolicy: invalid policy: program \"tool\" Env[\"N\"]: error parsing regexp: invalid repeat count: `{1001}`", new(*syntax.Error),
		},
	}
	for _, tt := range tests {
		p, err := New(tt.programs...)
		if err == nil {
			t.Errorf("New(%+v) accepted", tt.programs)
			continue
		}
		if p != nil {
			t.Errorf("New returned a policy with %v", err)
		}
		if err.Error() != tt.want {
			t.Errorf("New:\n got %s\nwant %s", err, tt.want)
		}
		if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrRefused) {
			t.Errorf("%v: errors.Is wrong", err)
		}
		if tt.cause != nil && !errors.As(err, tt.cause) {
			t.Errorf("%v does not unwrap to %T", err, tt.cause)
		}
	}
}

func TestArgRuleString(t *testing.T) {
	t.Parallel()
	for r, want := range map[ArgRule]string{
		Literal("serve"):   `"serve"`,
		Literal(`a"b`):     `"a\"b"`,
		Pattern(`[0-9]+`):  `^(?:[0-9]+)$`,
		Pattern(`a|b`):     `^(?:a|b)$`,
		{}:                 `invalid ArgRule`,
		Pattern(``):        `^(?:)$`,
		Literal(``):        `""`,
		Pattern(`(?i)yes`): `^(?:(?i)yes)$`,
	} {
		if got := r.String(); got != want {
			t.Errorf("%#v.String() = %s, want %s", r, got, want)
		}
	}
}

// FuzzArgMatcher checks the argument matcher against its definition: a
// literal matches only itself; a pattern matches exactly the strings that
// the pattern, compiled on its own, matches from the first byte to the
// last, except that an argument beginning with "-" needs a pattern whose
// every match begins with "-". That holds iff the leftmost-longest match spans the whole string:
// if a whole-string match exists, the leftmost match starts at 0 and the
// longest one from there ends at the end. A pattern the matcher accepts
// must compile on its own, so nothing can escape the anchors.
func FuzzArgMatcher(f *testing.F) {
	for _, seed := range [][2]string{
		{`[0-9]{1,5}`, "8080"},
		{`[0-9]{1,5}`, "8080;rm"},
		{`[0-9]{1,5}`, "8080\n"},
		{`a)|(b`, "ab"},
		{`a)|(b`, "b"},
		{`\Qa`, "a"},
		{`\Qa)$|^(b\E`, "a)$|^(b"},
		{``, ""},
		{``, "x"},
		{`a|ab`, "ab"},
		{`(a|ab)(c|bcd)`, "abcd"},
		{`(?i)serve`, "SERVE"},
		{`(?U)x+`, "xxx"},
		{`(?m)a$`, "a\nb"},
		{`(?s).*`, "a\nb"},
		{`\b\w+\b`, "word"},
		{`^a$`, "a"},
		{`\A[a-z]+\z`, "abc"},
		{`[^\x00]*`, "a\x00b"},
		{`\pL+`, "héllo"},
		{`.`, "\xff"},
		{`https?://\w+`, "https://example"},
		{`--port=[0-9]+`, "--port=1"},
		{`[a-z0-9_-]{1,64}\.png`, "-oevil.png"},
		{`(-v|--verbose)`, "-v"},
		{`-?[0-9]+`, "-1"},
		{`\Q-a.b`, "-a.b"},
		{`x{2,}|y`, "xxxy"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, arg string) {
		lit, err := compileArgRule(Literal(pattern))
		if strings.ContainsRune(pattern, 0) {
			if err == nil {
				t.Fatalf("literal %q with NUL accepted", pattern)
			}
		} else {
			if err != nil {
				t.Fatalf("literal %q: %v", pattern, err)
			}
			if got := lit.match(arg); got != (arg == pattern) {
				t.Fatalf("literal %q match(%q) = %v", pattern, arg, got)
			}
			if !lit.match(pattern) || lit.match(pattern+"x") || lit.match("x"+pattern) {
				t.Fatalf("literal %q does not match just itself", pattern)
			}
		}

		m, err := compileArgRule(Pattern(pattern))
		plain, plainErr := regexp.Compile(pattern)
		if err != nil {
			return
		}
		if plainErr != nil {
			t.Fatalf("pattern %q accepted, but it does not compile on its own: %v", pattern, plainErr)
		}
		plain.Longest()
		loc := plain.FindStringIndex(arg)
		whole := loc != nil && loc[0] == 0 && loc[1] == len(arg)
		// An argument beginning with "-" passes only a pattern for options.
		want := whole && (m.forOptions || !strings.HasPrefix(arg, "-"))
		if got := m.match(arg); got != want {
			t.Fatalf("pattern %q match(%q) = %v, want %v (whole-string match %v, leftmost-longest %v, for options %v)",
				pattern, arg, got, want, whole, loc, m.forOptions)
		}
		if m.forOptions && whole && !strings.HasPrefix(arg, "-") {
			t.Fatalf("pattern %q is taken for options, but it matches %q", pattern, arg)
		}

		// A quoted argument is a pattern that matches only that argument
		// (patterns must be UTF-8; arguments need not be).
		if !utf8.ValidString(arg) {
			return
		}
		q, err := compileArgRule(Pattern(regexp.QuoteMeta(arg)))
		if err != nil {
			t.Fatalf("QuoteMeta(%q): %v", arg, err)
		}
		if !q.match(arg) || q.match(arg+"x") || q.match("x"+arg) {
			t.Fatalf("QuoteMeta(%q) pattern does not match just %q", arg, arg)
		}
	})
}

// TestPolicyRefusesOptionInjection: a pattern written for a value (a file
// name that may contain "-") must not let a request pass an option such as
// -oevil.png, which many programs read as "-o evil.png". A pattern whose
// every match begins with "-" is written for options and accepts them.
func TestPolicyRefusesOptionInjection(t *testing.T) {
	t.Parallel()
	p, err := New(Program{
		Name: "converter",
		Spec: tether.Spec{Command: "/opt/app/converter"},
		Args: []ArgRule{Literal("convert"), Pattern(`[a-z0-9_-]{1,64}\.(png|jpe?g)`)},
	}, Program{
		Name: "server",
		Spec: tether.Spec{Command: "/opt/app/server"},
		Args: []ArgRule{Pattern(`--port=[0-9]+`), Pattern(`(-v|--verbose)`), Pattern(`-{1,2}q`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{"-oevil.png", "-.png", "--x.png"} {
		_, err := p.Check(Request{Program: "converter", Args: []string{"convert", arg}})
		var re *RefusedError
		if !errors.As(err, &re) || re.Rule != `program "converter" Args[1]` {
			t.Errorf("Check(convert %q) = %v, want a refusal by Args[1]", arg, err)
			continue
		}
		if !strings.Contains(re.Reason, `begins with "-"`) {
			t.Errorf("Check(convert %q): reason %q does not say the argument begins with \"-\"", arg, re.Reason)
		}
	}
	for _, arg := range []string{"holiday.jpg", "my-photo.png", "a-.png"} {
		if _, err := p.Check(Request{Program: "converter", Args: []string{"convert", arg}}); err != nil {
			t.Errorf("Check(convert %q): %v", arg, err)
		}
	}
	for _, args := range [][]string{{"--port=80", "-v", "-q"}, {"--port=8080", "--verbose", "--q"}} {
		if _, err := p.Check(Request{Program: "server", Args: args}); err != nil {
			t.Errorf("Check(server %q): %v", args, err)
		}
	}
}

// TestPolicyQuotedPattern: \Q starts a literal that runs to \E or to the
// end of the pattern (RE2 syntax); the anchors added around a pattern must
// not be swallowed by it.
func TestPolicyQuotedPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern   string
		match     []string
		noMatch   []string
		formatted string
	}{
		{`\Q/opt/app/a.b`, []string{"/opt/app/a.b"}, []string{"/opt/app/aXb", "/opt/app/a.b)$", ""}, `^(?:\Q/opt/app/a.b\E)$`},
		{`\Qa)$|^(b`, []string{"a)$|^(b"}, []string{"a", "b", `a)$|^(b\E`}, `^(?:\Qa)$|^(b\E)$`},
		{`x\Q.y\E+`, []string{"x.y", "x.yyy"}, []string{"xzy", "x.y.y"}, `^(?:x\Q.y\E+)$`},
		{`\\Q[0-9]`, []string{`\Q1`}, []string{"1", `\Q`}, `^(?:\\Q[0-9])$`},
		{`a\Q\\E`, []string{`a\`}, []string{"a", `a\\E`, `a\E`}, `^(?:a\Q\\E)$`},
	}
	for _, tt := range tests {
		p, err := New(Program{Name: "p", Spec: tether.Spec{Command: "/bin/p"}, Args: []ArgRule{Pattern(tt.pattern)}})
		if err != nil {
			t.Errorf("New with Pattern(%q): %v", tt.pattern, err)
			continue
		}
		for _, arg := range tt.match {
			if _, err := p.Check(Request{Program: "p", Args: []string{arg}}); err != nil {
				t.Errorf("Pattern(%q) refuses %q: %v", tt.pattern, arg, err)
			}
		}
		for _, arg := range tt.noMatch {
			if _, err := p.Check(Request{Program: "p", Args: []string{arg}}); err == nil {
				t.Errorf("Pattern(%q) accepts %q", tt.pattern, arg)
			}
		}
		if got := Pattern(tt.pattern).String(); got != tt.formatted {
			t.Errorf("Pattern(%q).String() = %s, want %s", tt.pattern, got, tt.formatted)
		}
	}
}
