package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tether.dev/tether"
)

// recKind says what a record on the event stream is: an event of the
// library, or one of the two kinds the command line adds.
type recKind uint8

const (
	recEvent    recKind = iota // ev is a library event
	recStopping                // an orderly stop of the sidecar began; reason
	recStopped                 // the last event of a sidecar; ev.Code is tether's status
	recStatus                  // the answer to a status command; status
	recOutput                  // a read's worth of stdout or stderr events; out
	recEncoded                 // output events already encoded as NDJSON; encoded
)

// record is one event on its way to stdout, or (recOutput) the output
// events of one read. For recStopping, recStopped and recStatus only
// ev.Time, ev.Name and (stopped) ev.Code are used; for recOutput only out.
type record struct {
	kind    recKind
	out     tether.Output  // recOutput (a clone: the record's own)
	encoded []byte         // recEncoded: whole NDJSON lines, from an outputBuffers
	reason  string         // recStopping: signal, stdin, parent or command
	status  *tether.Status // recStatus
	ev      tether.Event
}

// size is what the record weighs in the event queue's byte budget: the
// bytes it holds, and a little for itself.
func (r *record) size() int {
	switch r.kind {
	case recOutput:
		return len(r.out.Bytes()) + 128
	case recEncoded:
		return len(r.encoded) + 128
	}
	return len(r.ev.Data) + 128
}

// encoder turns records into NDJSON lines by appending to a byte slice. It is
// written by hand, not with encoding/json, because it sits on the output path
// of every line a sidecar prints: it reuses the formatted time of the
// previous record (a read's lines share one), and the quoted names. One
// encoder belongs to one goroutine.
type encoder struct {
	lastTime time.Time
	timeText []byte            // `"time":"…",` for lastTime
	names    map[string][]byte // name → `"name":"…",`
	// The last name looked up, and its field.
	lastNameText string
	lastName     []byte
	prefix       []byte // appendOutput's fields common to a read's lines
}

// newEncoder returns an encoder with empty caches. The zero encoder works
// as well.
func newEncoder() *encoder { return &encoder{names: make(map[string][]byte)} }

// append appends r as one JSON object and a newline. Fields come in a fixed
// order: time, name, event, pid, attempt, then the kind's own fields. An
// output record (recOutput) is appended whole, one line per event.
func (e *encoder) append(b []byte, r *record) []byte {
	switch r.kind {
	case recOutput:
		b, _ = e.appendOutput(b, &r.out, 0, math.MaxInt)
		return b
	case recEncoded:
		return append(b, r.encoded...)
	}
	ev := &r.ev
	b = append(b, '{')
	b = append(b, e.timeField(ev.Time)...)
	b = append(b, e.nameField(ev.Name)...)
	b = append(b, `"event":`...)
	switch r.kind {
	case recStopping:
		b = append(b, `"stopping","reason":`...)
		b = appendString(b, r.reason)
		return append(b, "}\n"...)
	case recStopped:
		b = append(b, `"stopped","code":`...)
		b = strconv.AppendInt(b, int64(ev.Code), 10)
		return append(b, "}\n"...)
	case recStatus:
		return append(appendStatus(b, r.status), "}\n"...)
	}
	b = appendKind(b, ev.Kind)
	b = appendIDs(b, ev.Pid, ev.Attempt)
	return append(appendEventFields(b, ev), "}\n"...)
}

// appendIDs appends `,"pid":…,"attempt":…`, leaving out a zero one.
func appendIDs(b []byte, pid, attempt int) []byte {
	if pid != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(pid), 10)
	}
	if attempt != 0 {
		b = append(b, `,"attempt":`...)
		b = strconv.AppendInt(b, int64(attempt), 10)
	}
	return b
}

// appendEventFields appends the fields of ev's kind, after the attempt.
func appendEventFields(b []byte, ev *tether.Event) []byte {
	switch ev.Kind {
	case tether.EventSpawned:
		if ev.Port != 0 {
			b = append(b, `,"port":`...)
			b = strconv.AppendInt(b, int64(ev.Port), 10)
		}
		if ev.Containment != "" {
			b = append(b, `,"containment":`...)
			b = appendString(b, ev.Containment)
		}
	case tether.EventStdout, tether.EventStderr:
		b = appendChunk(append(b, ','), ev.Data, ev.Partial)
	case tether.EventReady:
		b = append(b, `,"after_ms":`...)
		b = strconv.AppendInt(b, ev.After.Milliseconds(), 10)
	case tether.EventUnhealthy:
		b = append(b, `,"failures":`...)
		b = strconv.AppendInt(b, int64(ev.Failures), 10)
		b = appendErr(b, ev.Err)
	case tether.EventExited:
		b = appendExited(b, ev)
	case tether.EventRestarting:
		b = append(b, `,"delay_ms":`...)
		b = strconv.AppendInt(b, ev.Delay.Milliseconds(), 10)
	case tether.EventGaveUp:
		b = append(b, `,"restarts":`...)
		b = strconv.AppendInt(b, int64(ev.Restarts), 10)
		b = appendErr(b, ev.Err)
		b = appendTail(b, ev.Tail)
	case tether.EventState:
		b = append(b, `,"state":`...)
		b = appendString(b, ev.State.String())
		b = append(b, `,"from":`...)
		b = appendString(b, ev.Prev.String())
	default: // error, and kinds this encoder does not know yet
		if ev.Err != nil {
			b = appendErr(b, ev.Err)
		}
	}
	return b
}

// appendExited appends the fields of an exited event.
func appendExited(b []byte, ev *tether.Event) []byte {
	b = append(b, `,"code":`...)
	if ev.Signal != "" || ev.Code < 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(ev.Code), 10)
	}
	b = append(b, `,"signal":`...)
	if ev.Signal == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, ev.Signal)
	}
	b = append(b, `,"uptime_ms":`...)
	b = strconv.AppendInt(b, ev.Uptime.Milliseconds(), 10)
	b = append(b, `,"expected":`...)
	b = strconv.AppendBool(b, ev.Expected)
	if !ev.Expected {
		b = appendTail(b, ev.Tail)
	}
	if ev.OOM {
		b = append(b, `,"oom":true`...)
	}
	return b
}

// appendOutput appends the events of o from event i on, one NDJSON line
// each, and stops once b holds limit bytes or more (it appends at least
// one event when one is left). It returns b and the first event not
// appended. Every line of o starts with the same fields, from the time to
// the attempt: they are encoded once per call.
func (e *encoder) appendOutput(b []byte, o *tether.Output, i, limit int) ([]byte, int) {
	e.setPrefix(o)
	if limit == math.MaxInt && i == 0 { // all of o: room for its plain lines
		b = slices.Grow(b, len(o.Bytes())+o.Len()*(len(e.prefix)+len(`"line":"",}`+"\n")))
	}
	for n := o.Len(); i < n; {
		data, partial := o.Chunk(i)
		b = append(b, e.prefix...)
		b = append(appendChunk(b, data, partial), "}\n"...)
		i++
		if len(b) >= limit {
			break
		}
	}
	return b, i
}

// appendAllOutput appends every event of o, as appendOutput(b, o, 0,
// math.MaxInt) does, but cuts o's bytes into its events itself, in the
// pass that checks and escapes them (the rules of Output's cut: a line
// longer than MaxChunk is cut into partial MaxChunk pieces, bytes after
// the last newline are partial). Asking o for its events (Len, Chunk)
// would cost a pass of its own over the bytes.
func (e *encoder) appendAllOutput(b []byte, o *tether.Output) []byte {
	e.setPrefix(o)
	data := o.Bytes()
	// Room for 100-byte lines (a buffer of an earlier read's size has it
	// already); shorter lines grow it as they go. Counting the lines first
	// would be a pass of its own.
	b = slices.Grow(b, 2*len(data)+len(data)/4+len(e.prefix))
	for len(data) > 0 {
		var n int
		b, n = appendNextChunk(append(b, e.prefix...), data)
		b = append(b, "}\n"...)
		data = data[n:]
	}
	return b
}

// setPrefix makes e.prefix the fields every event of o begins with.
func (e *encoder) setPrefix(o *tether.Output) {
	e.prefix = append(e.prefix[:0], '{')
	e.prefix = append(e.prefix, e.timeField(o.Time)...)
	e.prefix = append(e.prefix, e.nameField(o.Name)...)
	e.prefix = append(e.prefix, `"event":`...)
	e.prefix = appendKind(e.prefix, o.Kind)
	e.prefix = append(appendIDs(e.prefix, o.Pid, o.Attempt), ',')
}

// appendNextChunk appends the fields of the first event of data (the bytes
// of an Output from the start of an event on), as appendChunk does, and
// returns how many bytes of data the event took, its newline included.
func appendNextChunk(b, data []byte) ([]byte, int) {
	piece := data[:min(len(data), tether.MaxChunk)]
	start := len(b)
	b, end, ok := appendLineTo(b, piece)
	if !ok {
		b = b[:start]
		if end = bytes.IndexByte(piece, '\n'); end < 0 {
			end = len(piece)
		}
	}
	took, partial := end+1, false // a line and its newline
	if end == len(piece) {
		if len(data) > end && data[end] == '\n' {
			took = end + 1 // a line of exactly MaxChunk bytes
		} else {
			took, partial = end, true // a piece of a longer line, or the last bytes
		}
	}
	if !ok {
		b = append(b, `"data":"`...)
		b = base64.StdEncoding.AppendEncode(b, data[:end])
		b = append(b, '"')
	}
	if partial {
		b = append(b, `,"partial":true`...)
	}
	return b, took
}

// appendLineTo is appendLine for data up to its first newline, or all of it
// if none: it appends `"line":"…"` for data[:end] and returns end. When
// that is not valid UTF-8 it returns b as it was and false (and end is not
// known).
func appendLineTo(b, data []byte) (_ []byte, end int, ok bool) {
	return appendLineUntil(b, data, true)
}

// appendChunk appends the fields of one chunk of output: `"line":"…"`
// when data is valid UTF-8, else `"data":"…"` in base64, so that every
// byte is kept; then `,"partial":true` when it is partial.
func appendChunk(b, data []byte, partial bool) []byte {
	var ok bool
	if b, ok = appendLine(b, data); !ok {
		b = append(b, `"data":"`...)
		b = base64.StdEncoding.AppendEncode(b, data)
		b = append(b, '"')
	}
	if partial {
		b = append(b, `,"partial":true`...)
	}
	return b
}

// appendLine appends `"line":"…"` for data in one pass that both checks
// that it is UTF-8 and escapes it, eight bytes at a time through plain
// ASCII. When data is not valid UTF-8 it returns b as it was and false.
func appendLine(b, data []byte) ([]byte, bool) {
	b, _, ok := appendLineUntil(b, data, false)
	return b, ok
}

// appendLineUntil is appendLine for all of data, or, if toNewline, for
// data up to its first newline; it returns where it stopped.
func appendLineUntil(b, data []byte, toNewline bool) (_ []byte, end int, ok bool) {
	start := len(b)
	b = append(b, `"line":"`...)
	run := 0 // data[run:i] is safe and not yet appended
	i := 0
	for i < len(data) {
		for i+8 <= len(data) {
			if m := special8(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3 // the first byte that is not plain
				break
			}
			i += 8
		}
		if i >= len(data) {
			break
		}
		c := data[i]
		if c == '\n' && toNewline {
			break
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return b[:start], 0, false
			}
			i += size
			continue
		}
		if !jsonSafe(c) {
			b = appendEscaped(append(b, data[run:i]...), c)
			run = i + 1
		}
		i++
	}
	b = append(b, data[run:i]...)
	return append(b, '"'), i, true
}

// appendTail appends `,"tail":[…]`, an empty list for nil.
func appendTail(b []byte, tail []string) []byte {
	b = append(b, `,"tail":[`...)
	for i, l := range tail {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, l)
	}
	return append(b, ']')
}

// appendStatus appends the rest of a status event after `"event":`.
func appendStatus(b []byte, st *tether.Status) []byte {
	b = append(b, `"status","state":`...)
	b = appendString(b, st.State.String())
	b = append(b, `,"ready":`...)
	b = strconv.AppendBool(b, st.Ready)
	for _, f := range []struct {
		key string
		n   int
	}{{`,"pid":`, st.Pid}, {`,"port":`, st.Port}} {
		b = append(b, f.key...)
		if f.n == 0 {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, int64(f.n), 10)
		}
	}
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(st.Attempt), 10)
	b = append(b, `,"restarts":`...)
	b = strconv.AppendInt(b, int64(st.Restarts), 10)
	b = append(b, `,"since":"`...)
	b = appendTime(b, st.Since)
	return append(b, '"')
}

// appendErr appends `,"error":"…"`; a nil error is written as "unknown
// error" so that the field is always a string.
func appendErr(b []byte, err error) []byte {
	b = append(b, `,"error":`...)
	if err == nil {
		return appendString(b, "unknown error")
	}
	return appendString(b, err.Error())
}

// timeField returns `"time":"…",` for t, reusing the last one when t is
// the same instant.
func (e *encoder) timeField(t time.Time) []byte {
	if e.timeText == nil || !t.Equal(e.lastTime) {
		e.lastTime = t
		e.timeText = append(e.timeText[:0], `"time":"`...)
		e.timeText = appendTime(e.timeText, t)
		e.timeText = append(e.timeText, `",`...)
	}
	return e.timeText
}

// appendKind appends the quoted name of k.
func appendKind(b []byte, k tether.EventKind) []byte {
	switch k {
	case tether.EventStdout:
		return append(b, `"stdout"`...)
	case tether.EventStderr:
		return append(b, `"stderr"`...)
	}
	return appendString(b, k.String())
}

// nameField returns `"name":"…",` for name, from a small cache.
func (e *encoder) nameField(name string) []byte {
	if e.lastName != nil && name == e.lastNameText {
		return e.lastName
	}
	f, ok := e.names[name]
	if !ok {
		if e.names == nil {
			e.names = make(map[string][]byte)
		}
		f = append([]byte(`"name":`), appendString(nil, name)...)
		f = append(f, ',')
		if len(e.names) < 1024 {
			e.names[name] = f
		}
	}
	e.lastNameText, e.lastName = name, f
	return f
}

// appendTime appends t in UTC as RFC 3339 with nine digits of fraction:
// 2006-01-02T15:04:05.000000000Z.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
	}
	hour, min, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, min, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z')
}

// appendDigits appends v (not negative) zero-padded to width digits.
func appendDigits(b []byte, v, width int) []byte {
	var tmp [9]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[:width]...)
}

// jsonSafe reports whether c goes into a JSON string as it is: every byte
// but the quote, the backslash and the control characters. Bytes of 0x80
// and above are safe once the text is known to be valid UTF-8.
func jsonSafe(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }

const hexDigits = "0123456789abcdef"

// appendString appends s as a quoted JSON string. Invalid UTF-8 is replaced
// by U+FFFD, as encoding/json does; callers that must keep every byte check
// utf8.Valid first and send the bytes as base64 instead.
func appendString[T string | []byte](b []byte, s T) []byte {
	if !validUTF8(s) {
		return appendValidString(b, strings.ToValidUTF8(string(s), "\uFFFD"))
	}
	return appendValidString(b, s)
}

// validUTF8 is utf8.Valid or utf8.ValidString, as fits s.
func validUTF8[T string | []byte](s T) bool {
	switch v := any(s).(type) {
	case string:
		return utf8.ValidString(v)
	case []byte:
		return utf8.Valid(v)
	}
	return false
}

// appendValidString quotes s, which must be valid UTF-8, copying runs of
// safe bytes at once.
func appendValidString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if jsonSafe(c) {
			continue
		}
		b = appendEscaped(append(b, s[start:i]...), c)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscaped appends the JSON escape of c, a byte jsonSafe refused.
func appendEscaped(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// special8 marks, in the high bit of each byte, the bytes of x (eight
// bytes, the first in the low byte) that are not ASCII going into a JSON
// string as it is: at or above 0x80, below 0x20, a quote, a backslash. Only
// the lowest mark is exact (a borrow can mark a plain byte above a marked
// one), which is the one the caller wants: zero means all eight are plain.
func special8(x uint64) uint64 {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	less := (x - ones*0x20) &^ x                         // a byte below 0x20
	quote := ((x ^ ones*'"') - ones) &^ (x ^ ones*'"')   // a byte equal to "
	slash := ((x ^ ones*'\\') - ones) &^ (x ^ ones*'\\') // a byte equal to \
	return (x | less | quote | slash) & high
}
