// Package mptrace is the contract between package mp and the grader, the
// way a wire format is the contract between a client and a server: the
// environment variables that switch mp's hooks on, the line format of the
// trace that every mp process writes, and how each graded run's seed is
// derived. mp writes with the Append functions; the grader reads with
// Parse. Both import this package and nothing else of each other.
//
// # Line format
//
// One event per line:
//
//	<mono_ns> <pid> <ppid> <"name"> <kind> [key=value ...]
//
// mono_ns is CLOCK_MONOTONIC in nanoseconds, comparable between the
// processes of one machine. name is Go-quoted. A value is written bare when
// it is a non-empty run of letters, digits and ".:-_+/", and Go-quoted
// otherwise. docs/trace.md lists the kinds and their attributes.
package mptrace

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The environment variables mp reads. A graded run gets both.
const (
	// EnvPerturb holds a run's seed, a decimal uint64. When it is set, every
	// process of the run sleeps a pseudo-random time before each sync
	// point, and in some runs pauses long at a few of them (see Pauses).
	EnvPerturb = "MP_PERTURB"
	// EnvTrace holds the path of the trace. Every process opens it with
	// O_WRONLY|O_APPEND and writes each event with one write(2), so lines
	// of different processes never mix. The grader makes it a FIFO that it
	// reads while the run goes on.
	EnvTrace = "MP_TRACE"
)

// The kinds of event mp writes. Readers ignore kinds they do not know.
const (
	Begin     = "begin"     // a process starts running: the main process in mp.Main, a child just before its target
	End       = "end"       // code=<n>: a process ends through mp
	Start     = "start"     // child=<pid> name=<q> daemon=<bool>: a parent started a child
	Exit      = "exit"      // child=<pid> code=<n>: a parent reaped a child
	Join      = "join"      // child=<pid> timeout=<ms|none> exited=<bool>: a Join or JoinTimeout returned
	Terminate = "terminate" // child=<pid>: SIGTERM sent by Terminate
	Kill      = "kill"      // child=<pid>: SIGKILL sent by Kill
	Alive     = "alive"     // child=<pid> alive=<bool>: IsAlive answered about a child (once per repeated answer, see docs/trace.md)
	Acquire   = "acquire"   // lock=<id> | sem=<id> [timeout=<ms> ok=false]: a lock or a semaphore unit was taken, or a timed acquire gave up
	Release   = "release"   // lock=<id> | sem=<id>: written before the lock is free
	Put       = "put"       // queue=<id> msg=<n> | queue=<id> timeout=<ms> ok=false: an item was put, or a timed put gave up
	Get       = "get"       // queue=<id> msg=<n> | queue=<id> timeout=<ms> ok=false: an item was got, or a timed get gave up
	Send      = "send"      // conn=<id> msg=<n>: a Pipe end sent a message
	Recv      = "recv"      // conn=<id> msg=<n>: a Pipe end received a message
	Pause     = "pause"     // at=<site> ms=<n>: a long pause injected by the perturbation, before it starts
	Block     = "block"     // in=<call> <what>=<id> [timeout=<ms>]: a call cannot complete at once and is about to wait
	Wait      = "wait"      // event=<id> | cond=<id> | queue=<id> [timeout=<ms> ok=<bool>]: an Event or Condition wait, or a JoinableQueue's Join, returned
)

// The attributes that several kinds share.
const (
	// AttrMsg names one message: a put and its get, a send and its recv,
	// carry the same number. It is the count of messages put on that
	// queue (or that direction of the Pipe) before this one, modulo 2^32,
	// so it pairs a put with its get exactly, however many processes put
	// and get.
	AttrMsg = "msg"
	// AttrTimeout is the timeout of a timed call, in milliseconds (a
	// decimal fraction below one): on a block event, and on the event of a
	// timed call that gave up.
	AttrTimeout = "timeout"
	// AttrOK is "false" on the event of a timed call that gave up (the
	// timeout passed): a get with ok=false got nothing, an acquire with
	// ok=false holds nothing. Wait events always carry it when timed:
	// "true" if the event was set or the condition notified in time.
	AttrOK = "ok"
	// AttrIn names the call a block event waits in, with what it waits
	// for: Join (child=<pid>, or queue=<id> for a JoinableQueue), Acquire
	// (lock=<id>, sem=<id>), Put and Get (queue=<id>), Send and Recv
	// (conn=<id>), Wait (event=<id>, cond=<id>). A call that completes at
	// once (a Get that finds an item, an Acquire of a free lock) writes
	// no block event.
	AttrIn = "in"
)

// MaxLine is the longest line a reader accepts; mp never writes one longer.
const MaxLine = 4096

// Attr is one key=value pair of an event.
type Attr struct{ Key, Value string }

// Event is one line of a trace.
type Event struct {
	Mono  int64  // CLOCK_MONOTONIC nanoseconds
	Pid   int    // the process that wrote the line
	PPid  int    // its parent (for a child, the process that started it)
	Name  string // the writer's process name, as in "Process-1"
	Kind  string // one of the kinds above, or one a newer mp writes
	Attrs []Attr // in the order written
}

// Attr returns the value of key, or "" if the event has none.
func (e *Event) Attr(key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// Int returns the value of key as an int, and whether it is one.
func (e *Event) Int(key string) (int, bool) {
	n, err := strconv.Atoi(e.Attr(key))
	return n, err == nil
}

// String formats the event as its trace line, without the newline.
func (e Event) String() string {
	b := AppendHeader(nil, e.Mono, e.Pid, e.PPid, e.Name, e.Kind)
	for _, a := range e.Attrs {
		b = AppendAttr(b, a.Key, a.Value)
	}
	return string(b)
}

// AppendHeader appends the fixed fields of a line, up to and including
// the kind. Append attributes with AppendAttr, then a newline.
func AppendHeader(b []byte, mono int64, pid, ppid int, name, kind string) []byte {
	b = strconv.AppendInt(b, mono, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(ppid), 10)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, name)
	b = append(b, ' ')
	return append(b, kind...)
}

// AppendAttr appends " key=value", quoting the value unless it is bare.
// Keys are lower-case words chosen by mp; AppendAttr does not check them.
func AppendAttr(b []byte, key, value string) []byte {
	b = append(b, ' ')
	b = append(b, key...)
	b = append(b, '=')
	if bare(value) {
		return append(b, value...)
	}
	return strconv.AppendQuote(b, value)
}

func bare(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isWordByte(c) && !strings.ContainsRune(".:-_+/", rune(c)) {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ErrMalformed is wrapped by every error Parse returns: the line is not one
// mp writes.
var ErrMalformed = errors.New("mptrace: malformed trace line")

// Parse reads one line, without its newline. Any line that mp could not
// have written is an error wrapping ErrMalformed.
func Parse(line string) (Event, error) {
	var e Event
	bad := func(what string) (Event, error) {
		return Event{}, fmt.Errorf("%w: %s in %.80q", ErrMalformed, what, line)
	}
	if len(line) > MaxLine {
		return bad("a line longer than MaxLine")
	}
	rest := line
	var ok bool
	var f string
	if f, rest, ok = strings.Cut(rest, " "); !ok {
		return bad("no fields")
	}
	mono, err := strconv.ParseInt(f, 10, 64)
	if err != nil || mono < 0 {
		return bad("a bad time")
	}
	if f, rest, ok = strings.Cut(rest, " "); !ok {
		return bad("no pid")
	}
	pid, err := strconv.Atoi(f)
	if err != nil || pid <= 0 {
		return bad("a bad pid")
	}
	if f, rest, ok = strings.Cut(rest, " "); !ok {
		return bad("no ppid")
	}
	ppid, err := strconv.Atoi(f)
	if err != nil || ppid < 0 {
		return bad("a bad ppid")
	}
	name, n, ok := quoted(rest)
	if !ok {
		return bad("an unquoted name")
	}
	rest = rest[n:]
	if rest, ok = strings.CutPrefix(rest, " "); !ok {
		return bad("no kind")
	}
	kind, rest := field(rest)
	if !isWord(kind) {
		return bad("a bad kind")
	}
	e = Event{Mono: mono, Pid: pid, PPid: ppid, Name: name, Kind: kind}
	for rest != "" {
		if rest, ok = strings.CutPrefix(rest, " "); !ok {
			return bad("no space between attributes")
		}
		var key string
		if key, rest, ok = strings.Cut(rest, "="); !ok || !isWord(key) {
			return bad("a bad attribute")
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			var n int
			if value, n, ok = quoted(rest); !ok {
				return bad("a bad quoted value")
			}
			rest = rest[n:]
		} else if value, rest = field(rest); !bare(value) {
			return bad("a bad value")
		}
		e.Attrs = append(e.Attrs, Attr{key, value})
	}
	return e, nil
}

// quoted reads the double-quoted string at the start of s, as
// strconv.Quote writes it and in no other spelling, and returns it unquoted
// with the length it took.
func quoted(s string) (string, int, bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil || q[0] != '"' {
		return "", 0, false
	}
	u, err := strconv.Unquote(q)
	if err != nil || strconv.Quote(u) != q {
		return "", 0, false
	}
	return u, len(q), true
}

// field splits s before its first space, which stays in rest.
func field(s string) (f, rest string) {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
