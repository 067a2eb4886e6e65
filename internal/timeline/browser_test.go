package timeline

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/forklore/forklore/internal/engine"
)

// chromium finds the browser, or skips the test: the timeline is checked
// in a real browser only where one is installed (.ci/run installs
// Debian's chromium, and sets FORKLORE_REQUIRE_CHROMIUM so that a missing
// browser fails there instead).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium: the timeline is not checked in a browser; install it (apt-get install chromium) or set CHROMIUM to its path"
	if os.Getenv("FORKLORE_REQUIRE_CHROMIUM") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browserTab is one timeline opened in a headless browser tab.
type browserTab struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	log []chromedp.ConsoleMessage
}

// browser is the headless Chromium the tests share, started by the first
// test that needs it; each page opens in a tab of its own.
var browser struct {
	sync.Mutex
	ctx  context.Context // its first tab's context: the browser runs
	stop func()
}

// browserContext starts the shared browser, or skips the test.
func browserContext(t *testing.T) context.Context {
	t.Helper()
	browser.Lock()
	defer browser.Unlock()
	if browser.ctx != nil {
		return browser.ctx
	}
	exe := chromium(t)
	dir, err := os.MkdirTemp("", "timeline-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 1000),
	)
	ctx, stopBrowser := chromedp.NewContext(alloc)
	stop := func() {
		stopBrowser()
		stopAlloc()
		os.RemoveAll(dir)
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		t.Fatalf("cannot start %s: %v", exe, err)
	}
	browser.ctx, browser.stop = ctx, stop
	return ctx
}

// stopBrowser stops the shared browser, if one started.
func stopBrowser() {
	browser.Lock()
	defer browser.Unlock()
	if browser.stop != nil {
		browser.stop()
		browser.ctx, browser.stop = nil, nil
	}
}

// open writes the timeline of rec to a file and opens it in a new tab of
// the headless browser, offline: the machine's network is closed, and the
// page must need none.
func open(t *testing.T, rec *engine.RunRecord, title string, notes ...string) *browserTab {
	t.Helper()
	parent := browserContext(t)
	path := filepath.Join(t.TempDir(), "timeline.html")
	var b bytes.Buffer
	if err := HTML(&b, rec, title, notes...); err != nil {
		t.Fatalf("HTML = %v", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, closeTab := chromedp.NewContext(parent)
	t.Cleanup(closeTab)
	// Open the tab, then listen to its console before the page loads, so
	// that no message of the page is missed.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("cannot open a tab: %v", err)
	}
	p := &browserTab{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.log = append(p.log, m)
			p.mu.Unlock()
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("cannot open the timeline: %v", err)
	}
	// No time limit: a busy machine may take as long as it takes.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.ready === "1"`, chromedp.WithPollingTimeout(0))); err != nil {
		t.Fatalf("the timeline never finished drawing: %v", err)
	}
	return p
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *browserTab, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// settle waits until the page has drawn its next frame.
func (p *browserTab) settle() {
	p.t.Helper()
	js := `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(0))))`
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise)); err != nil {
		p.t.Fatalf("waiting for a frame: %v", err)
	}
}

// errors returns the errors the page's console showed: console.error
// calls, uncaught exceptions, and browser log errors such as a resource
// that failed to load. A last console.log marks the end, so that every
// message of the page before it has arrived.
func (p *browserTab) errors() []string {
	p.t.Helper()
	eval[any](p, `console.log("timeline-test: end"), 0`)
	for {
		p.mu.Lock()
		var errs []string
		done := false
		for _, m := range p.log {
			switch {
			case m.Text == "timeline-test: end":
				done = true
			case m.Type == chromedp.ConsoleError || m.IsException():
				errs = append(errs, m.String())
			}
		}
		p.mu.Unlock()
		if done {
			return errs
		}
		if p.ctx.Err() != nil {
			p.t.Fatal("the browser went away before its console ended")
		}
		// One more round trip to the browser lets the messages in.
		eval[any](p, `0`)
	}
}

// screenshot returns a PNG of the element with the id.
func (p *browserTab) screenshot(id string) []byte {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.Screenshot(chromedp.ID(id)))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	return png
}

// ink says how much of an image is drawn: the share of its pixels that
// are ink (a channel below 195, so not the white page, the pale lane
// backgrounds or the grid), and how many distinct colours the ink has.
func ink(t *testing.T, data []byte) (share float64, colours int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	seen := map[[3]uint32]bool{}
	var n, inked int
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			c := [3]uint32{cr >> 8, cg >> 8, cb >> 8}
			n++
			if min(c[0], c[1], c[2]) < 195 {
				inked++
				seen[c] = true
			}
		}
	}
	return float64(inked) / float64(n), len(seen)
}

// TestTimelineInChromium opens timelines of real graded runs and of a
// hand-made run in headless Chromium, and checks what a person would see.
func TestTimelineInChromium(t *testing.T) {
	chromium(t)
	cases := []struct {
		name string
		rec  func(t *testing.T) *engine.RunRecord
	}{
		{"01-start-target", func(t *testing.T) *engine.RunRecord { return realRun(t, "01-start-target", "") }},
		{"09-ticket-booking", func(t *testing.T) *engine.RunRecord { return realRun(t, "09-ticket-booking", "") }},
		{"09-ticket-booking-lock-read-only", func(t *testing.T) *engine.RunRecord { return realRun(t, "09-ticket-booking", "lock-read-only") }},
		{"12-producer-consumer", func(t *testing.T) *engine.RunRecord { return realRun(t, "12-producer-consumer", "") }},
		// A trace rule fails: main never joins a child it started.
		{"01-start-target-no-finish", func(t *testing.T) *engine.RunRecord { return realRun(t, "01-start-target", "no-finish") }},
		{"14-pipe", func(t *testing.T) *engine.RunRecord { return realRun(t, "14-pipe", "") }},
		{"hand-made", func(*testing.T) *engine.RunRecord { return handMade() }},
		// A lock wait far narrower than a pixel, as a busy machine's long
		// run makes them: it still ends where its hold begins.
		{"hand-made-short-lock-wait", func(*testing.T) *engine.RunRecord { return shortLockWait() }},
		// A program that is not an mp program writes no trace (grade -cmd).
		{"no-trace", func(*testing.T) *engine.RunRecord { r := handMade(); r.Events, r.FlaggedEvents = nil, nil; return r }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := c.rec(t)
			want := expect(rec)
			p := open(t, rec, c.name, "reproduce: go run ./cmd/grade -n 1 -seed 42 ./exercises/01-start-target")

			if got := eval[int](p, `document.querySelectorAll("#chart g.lane.process").length`); got != want.processes {
				t.Errorf("%d process lanes; want one per process of the trace, %d", got, want.processes)
			}
			for _, f := range rec.Flagged {
				sel := fmt.Sprintf(`#chart circle.line.flagged[data-n="%d"]`, f.Line)
				rules := eval[string](p, fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute("data-rules") || ""`, sel))
				if !strings.Contains(rules, f.Rule) {
					t.Errorf("flagged line %d: the mark %s says %q; want it highlighted with the rule %q", f.Line, sel, rules, f.Rule)
				}
				if !eval[bool](p, fmt.Sprintf(`!!document.querySelector('#rows tr.flagged[data-n="%d"]')`, f.Line)) {
					t.Errorf("flagged line %d is not highlighted in the output table", f.Line)
				}
			}
			for _, f := range rec.FlaggedEvents {
				sel := fmt.Sprintf(`#chart circle.eventflag[data-event="%d"]`, f.Line)
				rules := eval[string](p, fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute("data-rules") || ""`, sel))
				if !strings.Contains(rules, f.Rule) {
					t.Errorf("flagged trace event %d: the mark %s says %q; want it highlighted with the rule %q", f.Line, sel, rules, f.Rule)
				}
			}
			for _, c := range []struct {
				sel  string
				want int
				what string
			}{
				{`#chart circle.eventflag`, want.flaggedEvents, "flagged trace events; want"},
				{`#chart circle.line.flagged`, want.flaggedLines, "flagged marks; want"},
				{`#chart path.arrow[data-kind="queue"]`, want.queuePairs, "queue arrows; want one per put/get pair"},
				{`#chart path.arrow[data-kind="pipe"]`, want.pipePairs, "pipe arrows; want one per send/recv pair"},
				{`#chart rect.wait`, want.waits, "waits drawn; want one per block event"},
				{`#chart rect.wait.gaveup`, want.gaveUp, "waits drawn as given up; want one per timed call that gave up"},
				{`#chart rect.mark.gaveup`, want.gaveUp, "give-up marks; want"},
			} {
				if got := eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, c.sel)); got != c.want {
					t.Errorf("%d %s, %d", got, c.what, c.want)
				}
			}
			// A wait for a lock that ends in an acquire leads into its
			// hold: on the same row, ending where the hold begins, and
			// drawn differently.
			if bad := eval[[]string](p, `Array.from(document.querySelectorAll('#chart rect.wait[data-on="lock"][data-gaveup="0"]:not(.open)')).flatMap(function (w) {
					var r = w.getBoundingClientRect();
					var hold = Array.from(document.querySelectorAll('#chart rect.hold.lock[data-pid="' + w.dataset.pid + '"]')).find(function (h) {
						return h.dataset.from === w.dataset.to; });
					if (!hold) { return ["a lock wait of pid " + w.dataset.pid + " ends where no hold begins"]; }
					var q = hold.getBoundingClientRect(), out = [];
					if (Math.abs(q.top - r.top) > 0.5) { out.push("a lock wait of pid " + w.dataset.pid + " is not on its hold's row"); }
					if (Math.abs(q.left - r.right) > 1) { out.push("a lock wait of pid " + w.dataset.pid + " does not end where its hold begins"); }
					if (getComputedStyle(w).fill === getComputedStyle(hold).fill) { out.push("a lock wait of pid " + w.dataset.pid + " looks like its hold"); }
					return out; })`); len(bad) > 0 {
				t.Errorf("lock waits: %q", bad)
			}
			if got := eval[int](p, `document.querySelectorAll("#rows tr").length`); got != len(rec.Lines) {
				t.Errorf("%d output rows; want %d", got, len(rec.Lines))
			}
			// Offline: the page fetched nothing.
			if got := eval[int](p, `performance.getEntriesByType("resource").length`); got != 0 {
				t.Errorf("the page fetched %d resources; it must fetch none", got)
			}
			share, colours := ink(t, p.screenshot("chartbox"))
			t.Logf("the picture: %.1f%% of its pixels are ink, in %d colours", share*100, colours)
			if share < 0.01 || colours < 8 {
				t.Errorf("the picture looks blank: %.1f%% of its pixels are ink, in %d colours; want 1%% or more, in 8 colours or more", share*100, colours)
			}
			for _, e := range p.errors() {
				t.Errorf("console: %s", e)
			}
		})
	}
}

// TestTimelineInteraction checks zoom, pan and hover in the browser.
func TestTimelineInteraction(t *testing.T) {
	p := open(t, handMade(), "hand-made")
	clock := func() string { return eval[string](p, `document.getElementById("clock").textContent`) }
	span := func() float64 {
		return eval[float64](p, `(function(){var r=document.querySelector('#chart circle.line[data-n="2"]').getBoundingClientRect(), s=document.querySelector('#chart circle.line[data-n="3"]').getBoundingClientRect(); return s.x-r.x;})()`)
	}
	before, gap := clock(), span()
	// Zoom in with the wheel over the plot.
	eval[any](p, `(function(){var s=document.getElementById("chart"), r=s.getBoundingClientRect();
		s.dispatchEvent(new WheelEvent("wheel", {deltaY: -400, clientX: r.left + r.width*0.6, clientY: r.top + 60, bubbles: true, cancelable: true}));})(), 0`)
	p.settle()
	if after := clock(); after == before {
		t.Errorf("the wheel did not zoom: the view is still %q", after)
	}
	if got := span(); got <= gap {
		t.Errorf("zooming in did not spread two lines apart: %.1f px, before %.1f px", got, gap)
	}
	// Pan by dragging.
	zoomed := clock()
	eval[any](p, `(function(){var s=document.getElementById("chart"), r=s.getBoundingClientRect(), y=r.top+60;
		s.dispatchEvent(new MouseEvent("mousedown", {button: 0, clientX: r.left+700, clientY: y, bubbles: true}));
		window.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left+500, clientY: y, bubbles: true}));
		window.dispatchEvent(new MouseEvent("mouseup", {clientX: r.left+500, clientY: y, bubbles: true}));})(), 0`)
	p.settle()
	if after := clock(); after == zoomed {
		t.Errorf("dragging did not pan: the view is still %q", after)
	}
	// Hover over a flagged line shows its text and its rule.
	eval[any](p, `document.getElementById("fit").click(), 0`)
	p.settle()
	tipText := eval[string](p, `(function(){var c=document.querySelector('#chart circle.line.flagged'), r=c.getBoundingClientRect();
		c.dispatchEvent(new MouseEvent("mousemove", {clientX: r.x+r.width/2, clientY: r.y+r.height/2, bubbles: true}));
		var tip=document.getElementById("tip"); return tip.hidden ? "" : tip.textContent;})()`)
	if !strings.Contains(tipText, "Flagged: exactly one buyer gets each ticket") {
		t.Errorf("hovering a flagged line shows %q; want its rule", tipText)
	}
	// A line whose text tries to be markup is shown as text.
	if got := eval[int](p, `document.querySelectorAll("b").length`); got != 0 {
		t.Errorf("an output line became markup: %d <b> elements", got)
	}
	for _, e := range p.errors() {
		t.Errorf("console: %s", e)
	}
}

// TestScreenshots writes the pictures that the course's chapters show,
// from real graded runs, when TIMELINE_SCREENSHOTS names a folder:
//
//	TIMELINE_SCREENSHOTS=$PWD/docs/img go test -run TestScreenshots ./internal/timeline
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("TIMELINE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set TIMELINE_SCREENSHOTS to a folder to write the chapters' timeline pictures")
	}
	shots := []struct{ file, exercise, wrong, title string }{
		{"timeline-01.png", "01-start-target", "", "01-start-target (solution): run 1 of 1 (every rule held)"},
		{"timeline-09.png", "09-ticket-booking", "", "09-ticket-booking (solution): run 1 of 1 (every rule held)"},
		{"timeline-09-wrong.png", "09-ticket-booking", "lock-read-only", "09-ticket-booking (wrong: lock-read-only): a run that failed"},
		{"timeline-12.png", "12-producer-consumer", "", "12-producer-consumer (solution): run 1 of 1 (every rule held)"},
	}
	seed := calmSeed()
	for _, s := range shots {
		t.Run(s.file, func(t *testing.T) {
			rec := realRunSeed(t, s.exercise, s.wrong, seed)
			p := open(t, rec, s.title)
			if errs := p.errors(); len(errs) > 0 {
				t.Fatalf("console: %q", errs)
			}
			if err := os.WriteFile(filepath.Join(dir, s.file), p.screenshot("picture"), 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}
