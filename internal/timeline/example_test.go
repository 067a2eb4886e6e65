package timeline_test

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/mptrace"
	"github.com/forklore/forklore/internal/timeline"
)

// A consumer's get can be traced before the put of its item: mp traces a
// put once the item is on the queue. The export starts that put's slice
// at the get, so that the flow from put to get never runs backwards, and
// keeps the time the put was traced in its args.
func ExampleChromeTrace() {
	const ms = 1_000_000
	at := func(t int64, pid, ppid int, name, kind string, attrs ...mptrace.Attr) mptrace.Event {
		return mptrace.Event{Mono: t * ms, Pid: pid, PPid: ppid, Name: name, Kind: kind, Attrs: attrs}
	}
	// The grader started the run at 0.5 ms; times in the export are from
	// then.
	rec := &engine.RunRecord{Start: ms / 2, End: 10 * ms, Events: []mptrace.Event{
		at(1, 10, 1, "MainProcess", "begin"),
		at(2, 10, 1, "MainProcess", "start", mptrace.Attr{Key: "child", Value: "11"}, mptrace.Attr{Key: "name", Value: "Process-1"}),
		at(3, 11, 10, "Process-1", "begin"),
		at(5, 10, 1, "MainProcess", "get", mptrace.Attr{Key: "queue", Value: "q1"}),
		at(6, 11, 10, "Process-1", "put", mptrace.Attr{Key: "queue", Value: "q1"}),
		at(7, 11, 10, "Process-1", "end", mptrace.Attr{Key: "code", Value: "0"}),
		at(8, 10, 1, "MainProcess", "exit", mptrace.Attr{Key: "child", Value: "11"}, mptrace.Attr{Key: "code", Value: "0"}),
	}}
	var b bytes.Buffer
	if err := timeline.ChromeTrace(&b, rec); err != nil {
		fmt.Println(err)
		return
	}
	var out struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Ts   float64        `json:"ts"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range out.TraceEvents {
		switch e.Ph {
		case "X", "s", "f":
			fmt.Printf("%s %-22q at %7.2f µs", e.Ph, e.Name, e.Ts)
			if t, ok := e.Args["traced_us"]; ok {
				fmt.Printf(" (traced at %.0f µs)", t)
			}
			fmt.Println()
		}
	}
	// Output:
	// X "MainProcess (pid 10)" at  500.00 µs
	// X "Process-1 (pid 11)"   at 1500.00 µs
	// X "put q1"               at 4500.00 µs (traced at 5500 µs)
	// s "put→get q1"           at 4500.25 µs
	// X "get q1"               at 4500.00 µs
	// f "put→get q1"           at 4500.50 µs
}
