// Package i18n translates the grader's messages into the learner's
// language, the way gettext does for C programs: a message is written in
// English at the place that knows its facts, and that English format
// string is the key of its translation. Only English ("en") and Chinese
// ("zh") exist.
//
// # Messages
//
// T formats a message in a language at once. M keeps the format and its
// arguments as a Msg, to be rendered later in either language; a Msg
// among the arguments of another is rendered in the same language, so
// that "at least" inside "want %s %d" is translated with it. Plural picks
// the singular or plural English form, which Chinese does not need.
//
// # Pitfalls
//
//   - The format must be a string literal at the call, not a variable:
//     the test that finds untranslated messages reads the source, and
//     a computed format is a message it cannot see.
//   - A format missing from the catalog is shown in English; the test
//     TestEveryMessageIsTranslated names it.
package i18n

import (
	"fmt"
	"strings"
)

// The languages.
const (
	En = "en"
	Zh = "zh"
)

// Msg is a message not yet rendered: an English format and its arguments.
// The zero Msg renders as "".
type Msg struct {
	Format string
	Args   []any
}

// M returns the message format with args, to be rendered with In.
func M(format string, args ...any) Msg { return Msg{Format: format, Args: args} }

// T formats the message in lang.
func T(lang, format string, args ...any) string { return Msg{format, args}.In(lang) }

// Plural returns the message one when n is 1, else other; n is the first
// argument of either, followed by args.
func Plural(n int, one, other string, args ...any) Msg {
	f := other
	if n == 1 {
		f = one
	}
	return Msg{Format: f, Args: append([]any{n}, args...)}
}

// IsZero reports whether m is the zero Msg.
func (m Msg) IsZero() bool { return m.Format == "" && m.Args == nil }

// In renders the message in lang ("zh", else English), translating the
// format when the catalog has it and rendering Msg arguments in lang too.
func (m Msg) In(lang string) string {
	if m.IsZero() {
		return ""
	}
	f := m.Format
	if lang == Zh {
		if z, ok := zh[f]; ok {
			f = z
		}
	}
	if len(m.Args) == 0 {
		return f
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		if sub, ok := a.(Localized); ok {
			a = sub.In(lang)
		}
		args[i] = a
	}
	return fmt.Sprintf(f, args...)
}

// Localized is a value that renders itself in a language; Msg and the
// result of Join are. As an argument of a Msg it is rendered in the
// language of that Msg.
type Localized interface{ In(lang string) string }

// Join returns the messages joined by sep, rendered in whichever language
// the Msg it is an argument of is.
func Join(sep string, ms []Msg) Localized { return joined{sep, ms} }

type joined struct {
	sep string
	ms  []Msg
}

func (j joined) In(lang string) string {
	ss := make([]string, len(j.ms))
	for i, m := range j.ms {
		ss[i] = m.In(lang)
	}
	return strings.Join(ss, j.sep)
}

// String renders the message in English.
func (m Msg) String() string { return m.In(En) }

// Translated reports whether the catalog has the format's Chinese.
func Translated(format string) bool { _, ok := zh[format]; return ok }

// Detect returns the language of the messages: flag when it is set ("en"
// or "zh"), else the first of LC_ALL, LC_MESSAGES and LANG that is set, as
// POSIX orders them, read with getenv: Chinese for a zh_* locale, English
// otherwise. An unknown flag value is an error naming the choices.
func Detect(flag string, getenv func(string) string) (string, error) {
	switch flag {
	case En, Zh:
		return flag, nil
	case "":
	default:
		return "", fmt.Errorf("i18n: unknown language %q; use -lang en or -lang zh", flag)
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if v == "zh" || strings.HasPrefix(v, "zh_") || strings.HasPrefix(v, "zh.") {
				return Zh, nil
			}
			return En, nil
		}
	}
	return En, nil
}
