// Package spawnpolicy decides which sidecars less trusted code may start: a
// web front end in a Wails, Tauri or Electron host names an allowed program
// and supplies arguments and environment values, and a Policy turns that
// Request into a tether.Spec or refuses it with a *RefusedError.
package spawnpolicy

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"tether.dev/tether"
)

// A Policy decides which sidecars less trusted code (a web front end
// calling into a Wails, Tauri or Electron host) may start, in the spirit of
// Tauri's shell scope. The untrusted side only names an allowed program and
// supplies arguments and environment values; the policy chooses the program
// path, the working directory and every other Spec field, and checks each
// argument and environment entry against its rules. Anything a rule does not
// allow is refused with a *RefusedError; nothing is dropped or fixed up.
//
// Build one with New. The zero Policy (and a nil
// *Policy) refuses everything. A Policy is immutable once built
// and safe for concurrent use.
type Policy struct {
	programs map[string]*compiledProgram
}

// Program is one rule of a Policy: a program that may be started
// under the name Name, and what a request may add to it.
type Program struct {
	// Name is what the untrusted side asks for (Request.Program),
	// compared exactly. Required and unique within a policy. It is not
	// a path and is never used to find the program.
	Name string

	// Spec is the sidecar as the policy fixes it. Spec.Command (required)
	// is the program that runs, for example a path from bundle.Find;
	// Spec.Dir, the supervision fields and probes are used as they are.
	// Spec.Args are fixed leading arguments placed before the request's
	// arguments; Spec.Env entries are added to the environment, and an
	// allowed key in the request replaces the entry of the same key here
	// (so Spec.Env can hold defaults). An empty Spec.Name means Name.
	Spec tether.Spec

	// Args holds one rule per argument the request must give, by
	// position: request argument i must match Args[i]. A request with
	// fewer or more arguments than len(Args) is refused. Nil means the
	// request may give no arguments.
	Args []ArgRule

	// Env lists the environment keys a request may set, each with an
	// optional rule for its value. Any other key is refused. Nil means
	// the request may set none.
	Env []EnvRule
}

// ArgRule matches one argument position of an Program: a literal
// string or an anchored regular expression. Build one with Literal or
// Pattern; the zero ArgRule is invalid.
type ArgRule struct {
	kind argKind
	text string // the literal, or the pattern as given
}

type argKind int

const (
	argInvalid argKind = iota
	argLiteral
	argPattern
)

// Literal matches exactly the string s.
func Literal(s string) ArgRule { return ArgRule{kind: argLiteral, text: s} }

// Pattern matches an argument that the regular expression re (RE2 syntax,
// package regexp) matches as a whole: re is anchored as ^(?:re)$, so
// Pattern(`[0-9]+`) matches "8080" but not "8080;rm". re must compile on
// its own before it is anchored, so an unbalanced re cannot escape the
// anchors; a \Q literal that runs to the end of re is closed before the
// anchor. New reports a re that does not compile.
//
// An argument that begins with "-" is accepted only by a pattern for
// options: one whose every match begins with "-", such as `--port=[0-9]+`
// or `-v|--verbose`. A pattern for values, such as `[a-z0-9_-]+\.png`,
// refuses "-oevil.png", which many programs would read as the option -o.
func Pattern(re string) ArgRule { return ArgRule{kind: argPattern, text: re} }

// String returns the rule as error messages show it: a quoted literal or
// the anchored pattern.
func (r ArgRule) String() string {
	switch r.kind {
	case argLiteral:
		return fmt.Sprintf("%q", r.text)
	case argPattern:
		return anchorPattern(r.text)
	}
	return "invalid ArgRule"
}

// EnvRule allows a request to set the environment variable Key.
type EnvRule struct {
	// Key is the variable's name, compared exactly (also on Windows,
	// where the system itself ignores case). Required.
	Key string

	// Pattern, when not empty, is a regular expression the value must
	// match as a whole (anchored like Pattern). Empty means any value
	// without NUL.
	Pattern string
}

// Request is what the untrusted side asks for. It names a program; it
// cannot give a path, a working directory or any other Spec field.
type Request struct {
	// Program is the Program.Name asked for.
	Program string `json:"program"`

	// Args are the arguments, checked position by position against the
	// program's ArgRules.
	Args []string `json:"args,omitempty"`

	// Env holds "KEY=VALUE" entries, each KEY allowed by one of the
	// program's EnvRules and given at most once.
	Env []string `json:"env,omitempty"`
}

// compiledProgram is an Program compiled by New.
type compiledProgram struct {
	name string
	spec tether.Spec
	args []argMatcher
	env  map[string]*envMatcher
}

// argMatcher is a compiled ArgRule.
type argMatcher struct {
	rule ArgRule
	re   *regexp.Regexp // argPattern only
	// forOptions: every match of the pattern begins with "-", so an
	// argument that begins with "-" may match it.
	forOptions bool
}

type envMatcher struct {
	re *regexp.Regexp // nil: any value
}

// anchorPattern returns re anchored to match a whole string. A \Q literal
// still open at the end of re is closed first, or it would take in the
// anchor.
func anchorPattern(re string) string {
	if quoteOpenAtEnd(re) {
		re += `\E`
	}
	return "^(?:" + re + ")$"
}

// quoteOpenAtEnd reports whether re ends inside a \Q literal, as package
// regexp/syntax reads it: \Q quotes everything up to the next \E (no
// escapes inside) or to the end of the pattern.
func quoteOpenAtEnd(re string) bool {
	for i := 0; i < len(re); i++ {
		if re[i] != '\\' || i+1 == len(re) {
			continue
		}
		if re[i+1] != 'Q' {
			i++ // an escape pair: its second byte is not special
			continue
		}
		end := strings.Index(re[i+2:], `\E`)
		if end < 0 {
			return true
		}
		i += 2 + end + 1
	}
	return false
}

// onlyOptions reports whether every string re matches begins with "-". It
// errs on the side of false (an argument beginning with "-" is refused).
func onlyOptions(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) > 0 && re.Rune[0] == '-'
	case syntax.OpCharClass:
		return len(re.Rune) == 2 && re.Rune[0] == '-' && re.Rune[1] == '-'
	case syntax.OpCapture, syntax.OpPlus:
		return onlyOptions(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min > 0 && onlyOptions(re.Sub[0])
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !onlyOptions(sub) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpBeginText,
				syntax.OpWordBoundary, syntax.OpNoWordBoundary:
				continue // zero width: the next part decides
			}
			return onlyOptions(sub)
		}
	}
	return false
}

// compileAnchored compiles re anchored to match a whole string. re must
// compile on its own first: otherwise "a)|(b" would make ^(?:a)|(b)$, a
// pattern anchored on neither side.
func compileAnchored(re string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(re); err != nil {
		return nil, err
	}
	return regexp.Compile(anchorPattern(re))
}

func compileArgRule(r ArgRule) (argMatcher, error) {
	switch r.kind {
	case argLiteral:
		if strings.ContainsRune(r.text, 0) {
			return argMatcher{}, errors.New("literal contains NUL")
		}
		return argMatcher{rule: r}, nil
	case argPattern:
		re, err := compileAnchored(r.text)
		if err != nil {
			return argMatcher{}, err
		}
		tree, err := syntax.Parse(r.text, syntax.Perl)
		if err != nil { // compiled above with the same flags
			return argMatcher{}, err
		}
		return argMatcher{rule: r, re: re, forOptions: onlyOptions(tree.Simplify())}, nil
	}
	return argMatcher{}, errors.New("not set: use Literal or Pattern")
}

// match reports whether the argument s satisfies the rule.
func (m argMatcher) match(s string) bool {
	if m.re != nil {
		return (m.forOptions || !strings.HasPrefix(s, "-")) && m.re.MatchString(s)
	}
	return m.rule.kind == argLiteral && s == m.rule.text
}

// ErrInvalid is matched by every error New returns.
var ErrInvalid = errors.New("spawnpolicy: invalid policy")

// policyConfigError is an error of New: the rule it is about and
// the cause. It matches ErrInvalid and unwraps to the cause (a
// *tether.FieldError, a *syntax.Error from regexp, ...).
type policyConfigError struct {
	rule string
	err  error
}

func (e *policyConfigError) Error() string {
	return "spawnpolicy: invalid policy: " + e.rule + ": " + strings.TrimPrefix(e.err.Error(), "tether: ")
}

func (e *policyConfigError) Unwrap() []error { return []error{ErrInvalid, e.err} }

// New checks and compiles the rules of a policy. An error names
// the rule at fault (`program "server" Args[1]: error parsing regexp: ...`)
// and matches ErrInvalid. A policy with no programs is valid and
// refuses everything. The programs are copied: changing them afterwards
// does not change the policy.
func New(programs ...Program) (*Policy, error) {
	p := &Policy{programs: make(map[string]*compiledProgram, len(programs))}
	for i, ap := range programs {
		if ap.Name == "" {
			return nil, &policyConfigError{rule: fmt.Sprintf("programs[%d]", i), err: errors.New("empty Name")}
		}
		rule := fmt.Sprintf("program %q", ap.Name)
		if p.programs[ap.Name] != nil {
			return nil, &policyConfigError{rule: rule, err: fmt.Errorf("name given twice (programs[%d])", i)}
		}
		if err := ap.Spec.Validate(); err != nil {
			return nil, &policyConfigError{rule: rule + " Spec", err: err}
		}
		c := &compiledProgram{name: ap.Name, spec: ap.Spec, env: make(map[string]*envMatcher, len(ap.Env))}
		c.spec.Args = append([]string(nil), ap.Spec.Args...)
		c.spec.Env = append([]string(nil), ap.Spec.Env...)
		if c.spec.Name == "" {
			c.spec.Name = ap.Name
		}
		for j, a := range ap.Args {
			m, err := compileArgRule(a)
			if err != nil {
				return nil, &policyConfigError{rule: fmt.Sprintf("%s Args[%d]", rule, j), err: err}
			}
			c.args = append(c.args, m)
		}
		for j, e := range ap.Env {
			er := fmt.Sprintf("%s Env[%d]", rule, j)
			switch {
			case e.Key == "":
				return nil, &policyConfigError{rule: er, err: errors.New("empty Key")}
			case strings.ContainsAny(e.Key, "=\x00"):
				return nil, &policyConfigError{rule: er, err: fmt.Errorf("key %q contains = or NUL", e.Key)}
			case c.env[e.Key] != nil:
				return nil, &policyConfigError{rule: er, err: fmt.Errorf("key %q given twice", e.Key)}
			}
			m := &envMatcher{}
			if e.Pattern != "" {
				re, err := compileAnchored(e.Pattern)
				if err != nil {
					return nil, &policyConfigError{rule: fmt.Sprintf("%s Env[%q]", rule, e.Key), err: err}
				}
				m.re = re
			}
			c.env[e.Key] = m
		}
		p.programs[ap.Name] = c
	}
	return p, nil
}

// ErrRefused is matched by every *RefusedError.
var ErrRefused = errors.New("spawnpolicy: refused")

// RefusedError reports a Request that a Policy refused. Nothing was
// started. Values of environment entries never appear in it.
type RefusedError struct {
	Program string // the program the request asked for
	// Rule names the rule that refused: "programs" (no such program),
	// `program "server" Args` (too few or too many arguments),
	// `program "server" Args[1]`, `program "server" Env` (a key not
	// allowed, or a malformed entry) or `program "server" Env["LEVEL"]`.
	Rule   string
	Reason string // why, for people
}

// Error implements error.
func (e *RefusedError) Error() string {
	return "spawnpolicy: refused by " + e.Rule + ": " + e.Reason
}

// Is makes errors.Is(err, ErrRefused) hold.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Check decides a request. If every rule allows it, Check returns the Spec to
// run: the program's Spec with the request's arguments appended to its
// fixed Args and the request's environment entries merged into its Env.
// The Spec is a fresh copy the caller may change. Otherwise Check returns a
// *RefusedError naming the first rule that refused, and the zero Spec.
func (p *Policy) Check(req Request) (tether.Spec, error) {
	var prog *compiledProgram
	if p != nil {
		prog = p.programs[req.Program]
	}
	refuse := func(rule, format string, args ...any) (tether.Spec, error) {
		return tether.Spec{}, &RefusedError{Program: req.Program, Rule: rule, Reason: fmt.Sprintf(format, args...)}
	}
	if prog == nil {
		return refuse("programs", "no program named %s is allowed", quoteUntrusted(req.Program))
	}
	rule := fmt.Sprintf("program %q", prog.name)

	for i, a := range req.Args {
		if i >= len(prog.args) {
			return refuse(rule+" Args", "extra argument %d %s: the rule allows %d", i, quoteUntrusted(a), len(prog.args))
		}
		ar := fmt.Sprintf("%s Args[%d]", rule, i)
		switch m := prog.args[i]; {
		case strings.ContainsRune(a, 0):
			return refuse(ar, "argument contains NUL")
		case m.match(a):
		case m.re != nil && strings.HasPrefix(a, "-") && m.re.MatchString(a):
			return refuse(ar, "%s begins with \"-\" but %s is a pattern for values, not options", quoteUntrusted(a), m.re)
		case m.re != nil:
			return refuse(ar, "%s does not match %s", quoteUntrusted(a), m.re)
		default:
			return refuse(ar, "%s is not %s", quoteUntrusted(a), m.rule)
		}
	}
	if len(req.Args) < len(prog.args) {
		return refuse(rule+" Args", "missing argument %d: the rule wants %d", len(req.Args), len(prog.args))
	}

	set := make(map[string]bool, len(req.Env))
	for i, kv := range req.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return refuse(rule+" Env", "entry %d is not KEY=VALUE", i)
		}
		m := prog.env[k]
		if m == nil {
			return refuse(rule+" Env", "key %s is not allowed", quoteUntrusted(k))
		}
		if set[k] {
			return refuse(rule+" Env", "key %s is given twice", quoteUntrusted(k))
		}
		set[k] = true
		er := fmt.Sprintf("%s Env[%q]", rule, k)
		if strings.ContainsRune(v, 0) {
			return refuse(er, "value contains NUL")
		}
		if m.re != nil && !m.re.MatchString(v) {
			return refuse(er, "value does not match %s", m.re)
		}
	}

	s := prog.spec
	s.Args = make([]string, 0, len(prog.spec.Args)+len(req.Args))
	s.Args = append(append(s.Args, prog.spec.Args...), req.Args...)
	s.Env = make([]string, 0, len(prog.spec.Env)+len(req.Env))
	for _, kv := range prog.spec.Env {
		if k, _, _ := strings.Cut(kv, "="); !set[k] {
			s.Env = append(s.Env, kv)
		}
	}
	s.Env = append(s.Env, req.Env...)
	if len(s.Env) == 0 && prog.spec.Env == nil {
		s.Env = nil // nil Env keeps its meaning: the host's environment as it is
	}
	return s, nil
}

// quoteUntrusted quotes s for an error message, cut to 64 bytes: the text
// comes from the untrusted side and may be long.
func quoteUntrusted(s string) string {
	const limit = 64
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q...", s[:cut])
}
