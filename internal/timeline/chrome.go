package timeline

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/forklore/forklore/internal/engine"
)

// chromeEvent is one event of the Chrome trace-event format, in its JSON
// Object Format: ph is the phase, ts and dur are microseconds, pid and tid
// name the track. Only the fields a phase uses are written.
type chromeEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  *float64       `json:"dur,omitempty"` // X only
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   string         `json:"id,omitempty"` // s, t, f
	S    string         `json:"s,omitempty"`  // i: g, p or t
	Bp   string         `json:"bp,omitempty"` // f: "e" binds to the enclosing slice
	Args map[string]any `json:"args,omitempty"`
}

type chromeTrace struct {
	TraceEvents     []chromeEvent  `json:"traceEvents"`
	DisplayTimeUnit string         `json:"displayTimeUnit"`
	OtherData       map[string]any `json:"otherData"`
}

// Each process has three tracks (threads, in the format's words): its
// life, output and marks on tid = pid; its holds and waits on pid +
// lockTrack; its messages on pid + msgTrack. A Linux pid is below 2^22, so
// these never collide with a real thread id.
const (
	lockTrack = 1 << 22
	msgTrack  = 2 << 22
)

// ChromeTrace writes the run of rec in the Chrome trace-event format (the
// JSON Object Format, with traceEvents), which ui.perfetto.dev and
// chrome://tracing open:
//
//   - each process is a process of the trace (pid), named by an M event,
//     and its life from start to exit an X (complete) event;
//   - lock and semaphore holds, waits (from a block event to the call's
//     return, with gave_up set when a timed call's timeout passed) and
//     the grader's pauses are X events;
//   - output lines, starts, joins, terminates and kills are i (instant)
//     events; lines the rules flagged have the category "output,flagged"
//     and the rules' words in their args, and a trace event a rule quoted
//     is an instant of the category "flagged";
//   - every put or send is a 1 µs X event joined to its get or recv by a
//     flow (an s event, and an f event bound to the enclosing slice).
//
// Lines that cannot be placed on a process are global instants. Times are
// microseconds since the run started.
//
// # Pitfall
//
// A flow must start no later than it ends. mp traces a put before its
// item can be got, but an older mp traced it only once the item was on
// the queue, so in its traces a get can come before its put. Such a put's
// slice starts at its get: the put completed somewhere in that slice, and
// its args say when it was traced. See the example.
func ChromeTrace(w io.Writer, rec *engine.RunRecord) error {
	if rec == nil {
		return ErrNoRun
	}
	m := build(rec, "", nil, 0)
	var evs []chromeEvent
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	dur := func(ns int64) *float64 { d := us(max(ns, 0)); return &d }
	for i, l := range m.Lanes {
		name := fmt.Sprintf("%s (pid %d)", l.Name, l.Pid)
		evs = append(evs,
			chromeEvent{Name: "process_name", Ph: "M", Pid: l.Pid, Tid: l.Pid, Args: map[string]any{"name": name}},
			chromeEvent{Name: "process_sort_index", Ph: "M", Pid: l.Pid, Tid: l.Pid, Args: map[string]any{"sort_index": i}},
			chromeEvent{Name: "thread_name", Ph: "M", Pid: l.Pid, Tid: l.Pid, Args: map[string]any{"name": l.Name}},
			chromeEvent{Name: "thread_name", Ph: "M", Pid: l.Pid, Tid: l.Pid + lockTrack, Args: map[string]any{"name": l.Name + " locks and waits"}},
			chromeEvent{Name: "thread_name", Ph: "M", Pid: l.Pid, Tid: l.Pid + msgTrack, Args: map[string]any{"name": l.Name + " messages"}},
		)
		args := map[string]any{"pid": l.Pid, "ppid": l.PPid, "daemon": l.Daemon, "exit": l.Exit}
		if l.Begin >= 0 {
			args["target_began_us"] = us(l.Begin)
		}
		if l.Fate != "" {
			args["fate"] = l.Fate
		}
		evs = append(evs, chromeEvent{Name: name, Cat: "process", Ph: "X", Ts: us(l.From), Dur: dur(l.To - l.From), Pid: l.Pid, Tid: l.Pid, Args: args})
	}
	for _, l := range m.Lines {
		name := clip(l.Text, 80)
		args := map[string]any{"line": l.N, "stream": l.Stream, "text": l.Text, "placed": l.By}
		cat := "output"
		if len(l.Rules) > 0 {
			cat = "output,flagged"
			args["flagged_by"] = l.Rules
		}
		e := chromeEvent{Name: name, Cat: cat, Ph: "i", Ts: us(l.T), Pid: l.Pid, Tid: l.Pid, S: "t", Args: args}
		if l.Pid == 0 {
			e.S, e.Pid, e.Tid = "g", 0, 0
		}
		evs = append(evs, e)
	}
	for _, h := range m.Holds {
		evs = append(evs, chromeEvent{Name: "hold " + h.Kind, Cat: h.Kind, Ph: "X", Ts: us(h.From), Dur: dur(h.To - h.From), Pid: h.Pid, Tid: h.Pid + lockTrack,
			Args: map[string]any{"what": h.What, "open": h.Open}})
	}
	for _, s := range m.Waits {
		args := map[string]any{"what": s.What, "open": s.Open, "gave_up": s.GaveUp}
		if s.On != "" {
			args["on"] = s.On
		}
		evs = append(evs, chromeEvent{Name: "wait in " + s.Kind, Cat: "wait", Ph: "X", Ts: us(s.From), Dur: dur(s.To - s.From), Pid: s.Pid, Tid: s.Pid + lockTrack, Args: args})
	}
	for _, p := range m.Pauses {
		evs = append(evs, chromeEvent{Name: "pause", Cat: "pause", Ph: "X", Ts: us(p.From), Dur: dur(p.To - p.From), Pid: p.Pid, Tid: p.Pid,
			Args: map[string]any{"what": p.What}})
	}
	for _, k := range m.Marks {
		args := map[string]any{"what": k.Text}
		if k.Target != 0 {
			args["child"] = k.Target
		}
		tid := k.Pid
		if k.Kind == "put" || k.Kind == "get" || k.Kind == "send" || k.Kind == "recv" {
			tid = k.Pid + msgTrack
		}
		evs = append(evs, chromeEvent{Name: k.Kind, Cat: "mark", Ph: "i", Ts: us(k.T), Pid: k.Pid, Tid: tid, S: "t", Args: args})
	}
	for _, f := range m.Flagged {
		evs = append(evs, chromeEvent{Name: "flagged: " + f.Text, Cat: "flagged", Ph: "i", Ts: us(f.T), Pid: f.Pid, Tid: f.Pid, S: "t",
			Args: map[string]any{"event": f.N, "flagged_by": f.Rules}})
	}
	for i, a := range m.Arrows {
		verbs := [2]string{"put", "get"}
		if a.Kind == "pipe" {
			verbs = [2]string{"send", "recv"}
		}
		id := strconv.Itoa(i + 1)
		args := map[string]any{"channel": a.ID, "paired_by": a.By}
		if a.Msg != "" {
			args["msg"] = a.Msg
		}
		// The sending slice starts no later than the receiving one (see
		// the pitfall above), and each flow event lies inside its slice.
		from := min(a.From.T, a.To.T)
		outArgs := map[string]any{"traced_us": us(a.From.T)}
		for k, v := range args {
			outArgs[k] = v
		}
		name := verbs[0] + "→" + verbs[1] + " " + a.ID
		evs = append(evs,
			chromeEvent{Name: verbs[0] + " " + a.ID, Cat: a.Kind, Ph: "X", Ts: us(from), Dur: dur(a.From.T + 1000 - from), Pid: a.From.Pid, Tid: a.From.Pid + msgTrack, Args: outArgs},
			chromeEvent{Name: name, Cat: a.Kind, Ph: "s", Ts: us(from) + 0.25, Pid: a.From.Pid, Tid: a.From.Pid + msgTrack, ID: id},
			chromeEvent{Name: verbs[1] + " " + a.ID, Cat: a.Kind, Ph: "X", Ts: us(a.To.T), Dur: dur(1000), Pid: a.To.Pid, Tid: a.To.Pid + msgTrack, Args: args},
			chromeEvent{Name: name, Cat: a.Kind, Ph: "f", Bp: "e", Ts: us(a.To.T) + 0.5, Pid: a.To.Pid, Tid: a.To.Pid + msgTrack, ID: id},
		)
	}
	other := map[string]any{
		"tool": "forklore grade", "run": m.Run.Number, "seed": m.Run.Seed, "outcome": m.Run.Outcome,
		"failed": m.Run.Failed, "legend": m.Legend,
	}
	if len(m.Rules) > 0 {
		other["flagged_by"] = m.Rules
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(chromeTrace{TraceEvents: nonNil(evs), DisplayTimeUnit: "ms", OtherData: other}); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}
