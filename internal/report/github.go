package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
)

// GitHub writes a GitHub Actions error annotation for each failure, on the
// file to edit. Every property and message is escaped as the runner
// expects, so nothing a program printed can end the annotation or start a
// workflow command of its own.
func GitHub(w io.Writer, rs []Result) {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	for i := range rs {
		r := &rs[i]
		if r.Status() == "pass" || r.NotStarted {
			continue
		}
		file, line, title, msg := r.Target.Source(), 1, r.Target.Label(), ""
		if r.Err != nil {
			msg = r.Err.Error()
		} else {
			v := r.Verdict
			h := v.Headline()
			title += ": " + h.Rule
			msg = why(i18n.En, v, h)
			if v.Compile != nil {
				file, line = v.Compile.File, v.Compile.Line
			}
		}
		fmt.Fprintf(w, "::error file=%s,line=%d,title=%s::%s\n", prop.Replace(file), line,
			prop.Replace(Clean(title)), esc.Replace(Clean(msg)+"\n"+nextStep(r, "en")))
	}
}
