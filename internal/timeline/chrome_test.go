package timeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/forklore/forklore/internal/engine"
)

// checkChromeTrace checks data against the Trace Event Format as its
// specification documents it, for what ChromeTrace writes, and against
// what Perfetto's importer needs of flows. It returns every problem.
//
//   - The JSON Object Format: an object whose traceEvents is an array of
//     events; displayTimeUnit, if present, is "ms" or "ns".
//   - Every event has a ph from the documented phases, and pid and tid as
//     integers; every event but metadata has a name and a ts in
//     microseconds.
//   - X (complete) has a dur of zero or more.
//   - i or I (instant) has an s (scope) of g, p or t, if any.
//   - s, t, f (flow) have a cat, a name and an id; a flow is identified by
//     its id with its cat and name, has one s and one f, and its f has
//     "bp":"e" (bound to the enclosing slice). Perfetto binds each flow
//     event to the slice that encloses it on its track, so each lies
//     inside an X of the same pid and tid, and an f may not come before
//     its s.
//   - M (metadata) is process_name, process_labels, process_sort_index,
//     thread_name or thread_sort_index; a *_name has args.name, a
//     *_sort_index has args.sort_index.
func checkChromeTrace(data []byte) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	if u, ok := top["displayTimeUnit"]; ok {
		var s string
		if json.Unmarshal(u, &s) != nil || s != "ms" && s != "ns" {
			bad("displayTimeUnit = %s; want \"ms\" or \"ns\"", u)
		}
	}
	var events []map[string]any
	if err := json.Unmarshal(top["traceEvents"], &events); err != nil || top["traceEvents"] == nil {
		return append(problems, "traceEvents is not an array of objects")
	}
	phases := "BEXiIPCbneSTpFstfNODMVvRc"
	type slice struct{ from, to float64 }
	spans := map[[2]int][]slice{}
	type flow struct {
		starts, ends []map[string]any
	}
	flows := map[string]*flow{}
	isInt := func(v any) bool {
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	}
	for i, e := range events {
		ph, _ := e["ph"].(string)
		if len(ph) != 1 || !strings.Contains(phases, ph) {
			bad("event %d: ph %v is not a documented phase", i, e["ph"])
			continue
		}
		if !isInt(e["pid"]) || !isInt(e["tid"]) {
			bad("event %d (%s): pid %v and tid %v must be integers", i, ph, e["pid"], e["tid"])
		}
		name, hasName := e["name"].(string)
		if !hasName {
			bad("event %d (%s): no name", i, ph)
		}
		ts, hasTs := e["ts"].(float64)
		if ph != "M" && (!hasTs || ts < 0) {
			bad("event %d (%s %q): ts %v must be a number of microseconds, 0 or more", i, ph, name, e["ts"])
		}
		track := [2]int{toInt(e["pid"]), toInt(e["tid"])}
		switch ph {
		case "X":
			dur, ok := e["dur"].(float64)
			if !ok || dur < 0 {
				bad("event %d (X %q): dur %v must be 0 or more", i, name, e["dur"])
			}
			spans[track] = append(spans[track], slice{ts, ts + dur})
		case "i", "I":
			if s, ok := e["s"]; ok && s != "g" && s != "p" && s != "t" {
				bad("event %d (i %q): scope s = %v; want g, p or t", i, name, s)
			}
		case "s", "t", "f":
			cat, _ := e["cat"].(string)
			id, _ := e["id"].(string)
			if cat == "" || id == "" {
				bad("event %d (%s %q): a flow event needs cat and id", i, ph, name)
			}
			if ph == "f" && e["bp"] != "e" {
				bad("event %d (f %q): bp = %v; want \"e\", bound to the enclosing slice", i, name, e["bp"])
			}
			k := cat + "\x00" + name + "\x00" + id
			if flows[k] == nil {
				flows[k] = &flow{}
			}
			if ph == "s" {
				flows[k].starts = append(flows[k].starts, e)
			} else if ph == "f" {
				flows[k].ends = append(flows[k].ends, e)
			}
		case "M":
			args, _ := e["args"].(map[string]any)
			switch name {
			case "process_name", "thread_name", "process_labels":
				if s, ok := args["name"].(string); !ok && name != "process_labels" || ok && s == "" {
					bad("event %d (M %s): args.name must be a name", i, name)
				}
			case "process_sort_index", "thread_sort_index":
				if !isInt(args["sort_index"]) {
					bad("event %d (M %s): args.sort_index must be an integer", i, name)
				}
			default:
				bad("event %d: M %q is not a documented metadata event", i, name)
			}
		}
	}
	enclosed := func(e map[string]any) bool {
		t := e["ts"].(float64)
		for _, s := range spans[[2]int{toInt(e["pid"]), toInt(e["tid"])}] {
			if s.from <= t && t <= s.to {
				return true
			}
		}
		return false
	}
	keys := make([]string, 0, len(flows))
	for k := range flows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f := flows[k]
		name := strings.ReplaceAll(k, "\x00", " ")
		if len(f.starts) != 1 || len(f.ends) != 1 {
			bad("flow %q has %d starts and %d ends; want one of each", name, len(f.starts), len(f.ends))
			continue
		}
		s, e := f.starts[0], f.ends[0]
		if s["ts"].(float64) > e["ts"].(float64) {
			bad("flow %q ends (%v) before it starts (%v)", name, e["ts"], s["ts"])
		}
		for _, x := range []map[string]any{s, e} {
			if !enclosed(x) {
				bad("flow %q: its %s event at %v lies in no X slice of pid %v tid %v", name, x["ph"], x["ts"], x["pid"], x["tid"])
			}
		}
	}
	return problems
}

func toInt(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// chromeEvents decodes what ChromeTrace wrote.
func chromeEvents(t *testing.T, rec *engine.RunRecord) ([]byte, []map[string]any) {
	t.Helper()
	var b bytes.Buffer
	if err := ChromeTrace(&b, rec); err != nil {
		t.Fatalf("ChromeTrace = %v", err)
	}
	var top struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	if err := json.Unmarshal(b.Bytes(), &top); err != nil {
		t.Fatalf("ChromeTrace wrote no JSON: %v", err)
	}
	return b.Bytes(), top.TraceEvents
}

// TestChromeTraceSchema checks the export of a hand-made run and of real
// graded runs against the documented format.
func TestChromeTraceSchema(t *testing.T) {
	runs := map[string]func(t *testing.T) *engine.RunRecord{
		"hand-made":            func(*testing.T) *engine.RunRecord { return handMade() },
		"01-start-target":      func(t *testing.T) *engine.RunRecord { return realRun(t, "01-start-target", "") },
		"09-ticket-booking":    func(t *testing.T) *engine.RunRecord { return realRun(t, "09-ticket-booking", "") },
		"12-producer-consumer": func(t *testing.T) *engine.RunRecord { return realRun(t, "12-producer-consumer", "") },
		"14-pipe":              func(t *testing.T) *engine.RunRecord { return realRun(t, "14-pipe", "") },
		"01-start-target-no-finish": func(t *testing.T) *engine.RunRecord {
			return realRun(t, "01-start-target", "no-finish")
		},
	}
	for name, get := range runs {
		t.Run(name, func(t *testing.T) {
			rec := get(t)
			data, events := chromeEvents(t, rec)
			for _, p := range checkChromeTrace(data) {
				t.Error(p)
			}
			// The same data as the picture: a process each, a flow per
			// message, an instant per line.
			count := map[string]int{}
			for _, e := range events {
				count[e["ph"].(string)+" "+fmt.Sprint(e["name"])]++
				count[e["ph"].(string)]++
				if c, _ := e["cat"].(string); strings.HasPrefix(c, "output") {
					count["lines"]++
				}
				if c, _ := e["cat"].(string); c == "output,flagged" {
					count["flagged"]++
				}
				if c, _ := e["cat"].(string); c == "flagged" {
					count["flagged events"]++
				}
			}
			want := expect(rec)
			if got := count["M process_name"]; got != want.processes {
				t.Errorf("%d process_name events; want one per process of the trace, %d", got, want.processes)
			}
			if got := count["s"]; got != want.queuePairs+want.pipePairs {
				t.Errorf("%d flows; want one per put/get and send/recv pair, %d", got, want.queuePairs+want.pipePairs)
			}
			if got := count["lines"]; got != len(rec.Lines) {
				t.Errorf("%d output instants; want one per line, %d", got, len(rec.Lines))
			}
			if got := count["flagged"]; got != want.flaggedLines {
				t.Errorf("%d flagged instants; want %d", got, want.flaggedLines)
			}
			if got := count["flagged events"]; got != want.flaggedEvents {
				t.Errorf("%d flagged trace events; want %d", got, want.flaggedEvents)
			}
		})
	}
}

// TestChromeTraceCheckFails makes sure the schema check can fail: each
// broken export must draw a complaint.
func TestChromeTraceCheckFails(t *testing.T) {
	data, _ := chromeEvents(t, handMade())
	breaks := []struct{ name, from, to string }{
		{"an unknown phase", `"ph": "X"`, `"ph": "Q"`},
		{"a flow without its end", `"ph": "f"`, `"ph": "i"`},
		{"an X without dur", `"dur": `, `"duration": `},
		{"a bad instant scope", `"s": "t"`, `"s": "x"`},
		{"an unbound flow end", `"bp": "e"`, `"bp": "x"`},
		{"an unknown metadata event", `"name": "process_sort_index"`, `"name": "process_order"`},
		{"no traceEvents", `"traceEvents"`, `"events"`},
	}
	for _, b := range breaks {
		broken := strings.Replace(string(data), b.from, b.to, 1)
		if broken == string(data) {
			t.Fatalf("%s: %q is not in the export", b.name, b.from)
		}
		if p := checkChromeTrace([]byte(broken)); len(p) == 0 {
			t.Errorf("checkChromeTrace(export with %s) found nothing wrong", b.name)
		}
	}
	// A flow whose start lies in no slice: Perfetto would drop it.
	var top struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	for _, e := range top.TraceEvents {
		if e["ph"] == "s" {
			e["ts"] = e["ts"].(float64) - 5
			break
		}
	}
	moved, _ := json.Marshal(top)
	if p := checkChromeTrace(moved); len(p) == 0 {
		t.Error("checkChromeTrace(export with a flow start outside its slice) found nothing wrong")
	}
}

func TestChromeTraceNoRun(t *testing.T) {
	if err := ChromeTrace(&bytes.Buffer{}, nil); err != ErrNoRun {
		t.Errorf("ChromeTrace(nil) = %v; want ErrNoRun", err)
	}
}
