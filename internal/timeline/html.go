package timeline

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"

	"github.com/forklore/forklore/internal/engine"
)

//go:embed assets/page.html assets/timeline.css assets/timeline.js
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/page.html"))

// ErrNoRun is returned by HTML and ChromeTrace for a nil record: grading
// kept no run to draw (a program that did not compile, or a pass graded
// without engine.Params.Record).
var ErrNoRun = errors.New("timeline: no run to draw")

// HTML writes the timeline of rec as one HTML file, with its script, its
// style and the run's data inside: it opens offline, from a file, and
// fetches nothing. title heads the page; each note is a line under it,
// such as the verdict or the command that reproduces the run.
//
// Whatever the program printed is data in the page, never markup: a line
// that holds "</script>" is shown as text.
func HTML(w io.Writer, rec *engine.RunRecord, title string, notes ...string) error {
	if rec == nil {
		return ErrNoRun
	}
	data, err := json.Marshal(build(rec, title, notes, maxDrawn))
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	css, _ := assets.ReadFile("assets/timeline.css")
	js, _ := assets.ReadFile("assets/timeline.js")
	var b bytes.Buffer
	err = page.Execute(&b, struct {
		Title string
		Notes []string
		CSS   template.CSS
		JS    template.JS
		// Data is JSON as encoding/json writes it, with <, > and &
		// escaped, so it cannot end the script element that holds it.
		Data template.JS
	}{title, notes, template.CSS(css), template.JS(js), template.JS(data)})
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}
