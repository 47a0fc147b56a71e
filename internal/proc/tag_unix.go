//go:build unix

package proc

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// attemptEnv tags every process of an attempt: the child is started with it,
// and descendants inherit it unless they clear their environment. It is how
// the subreaper walk and the watcher recognise a descendant that has left the
// process group and the session. Its value is a comma-separated list of
// attempt ids, outermost first, so that the sidecars of a host that is itself
// a tethered sidecar carry both tags.
const attemptEnv = "TETHER_ATTEMPT"

// newAttemptID returns an id unique among the attempts of every host on this
// machine: the host's pid and 64 random bits. It holds no ',', space or NUL.
func newAttemptID() string {
	return strconv.Itoa(os.Getpid()) + "." + strconv.FormatUint(rand.Uint64(), 36)
}

// withAttemptTag returns env with id added to attemptEnv. Like exec.Cmd,
// the last entry for a key wins; the others are dropped.
func withAttemptTag(env []string, id string) []string {
	out := make([]string, 0, len(env)+1)
	prev := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, attemptEnv+"="); ok {
			prev = v
			continue
		}
		out = append(out, kv)
	}
	if prev != "" {
		id = prev + "," + id
	}
	return append(out, attemptEnv+"="+id)
}

// taggedWith reports which of ids the environment block environ (NUL
// separated, as /proc/PID/environ holds it) carries in attemptEnv, or "".
func taggedWith(environ []byte, ids func(id string) bool) string {
	key := []byte(attemptEnv + "=")
	for len(environ) > 0 {
		kv := environ
		if i := bytes.IndexByte(environ, 0); i >= 0 {
			kv, environ = environ[:i], environ[i+1:]
		} else {
			environ = nil
		}
		v, ok := bytes.CutPrefix(kv, key)
		if !ok {
			continue
		}
		for _, id := range bytes.Split(v, []byte{','}) {
			if len(id) > 0 && ids(string(id)) {
				return string(id)
			}
		}
	}
	return ""
}
