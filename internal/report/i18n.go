package report

import "fmt"

// tr formats a message in lang. The English format string is the key of
// its translation; a message without one is shown in English, and
// TestEveryMessageIsTranslated finds it.
func tr(lang, format string, args ...any) string {
	if lang == "zh" {
		if z, ok := zh[format]; ok {
			format = z
		}
	}
	return fmt.Sprintf(format, args...)
}

// zh holds the Chinese of every message the reports print.
var zh = map[string]string{}
