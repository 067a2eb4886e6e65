// Package forklore carries the course's rules and instructor files inside
// any program that imports it, the way time/tzdata carries the time zone
// database: a grader built from a trusted checkout grades with the rules it
// was built with (grade -rules builtin), whatever the checkout it grades
// holds in its own testdata/.
package forklore

import (
	"embed"
	"io/fs"
)

//go:embed testdata/scripts
var rules embed.FS

// Rules returns the rules and instructor files (testdata/scripts) as they
// were when this program was built.
func Rules() fs.FS {
	sub, err := fs.Sub(rules, "testdata/scripts")
	if err != nil {
		panic("forklore: the embedded rules are missing: " + err.Error())
	}
	return sub
}
