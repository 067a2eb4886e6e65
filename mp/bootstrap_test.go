package mp

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

var sampleBootstrap = bootstrap{
	Key:        "github.com/forklore/forklore/mp_test.noop",
	Name:       "Process-1:2",
	Identity:   []int{1, 2},
	Daemon:     true,
	ParentPid:  4242,
	ParentName: "Process-1",
	Authkey:    bytes.Repeat([]byte{7}, 32),
	NFiles:     3,
}

func TestBootstrapRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		b    bootstrap
		args []byte
	}{
		{"all fields", sampleBootstrap, []byte("arguments")},
		{"zero", bootstrap{}, nil},
		{"arguments larger than the first read", sampleBootstrap, bytes.Repeat([]byte("x"), 1<<20+3)},
	} {
		msg, err := c.b.encode(c.args)
		if err != nil {
			t.Fatalf("%s: encode: %v", c.name, err)
		}
		// One byte per Read, as a slow socket could give them.
		got, args, err := readBootstrap(iotest.OneByteReader(bytes.NewReader(msg)))
		if err != nil {
			t.Fatalf("%s: readBootstrap: %v", c.name, err)
		}
		if diff := cmp.Diff(&c.b, got); diff != "" {
			t.Errorf("%s: bootstrap differs (-sent +read):\n%s", c.name, diff)
		}
		if !bytes.Equal(args, c.args) {
			t.Errorf("%s: arguments = %d bytes; want the %d sent", c.name, len(args), len(c.args))
		}
	}
}

// forged returns a bootstrap message whose header says n bytes follow,
// followed by body.
func forged(n uint64, body []byte) []byte {
	msg := []byte(bootstrapMagic)
	msg = binary.LittleEndian.AppendUint64(msg, n)
	return append(msg, body...)
}

// head returns a bootstrap message made of the given raw parts.
func head(parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return forged(uint64(len(body)), body)
}

func uv(n uint64) []byte { return binary.AppendUvarint(nil, n) }

var badBootstraps = []struct {
	name string
	msg  []byte
	want string
}{
	{"empty", nil, "cannot read the bootstrap's header"},
	{"not mp", []byte("GET / HTTP/1.1\r\n\r\n"), "not a bootstrap message from mp"},
	{"huge length", forged(1<<62, nil), "more than the 1073741824 allowed"},
	{"truncated", forged(100, []byte("short")), "ended after 5 of its 100 bytes"},
	{"truncated, with a large length", forged(1<<29, []byte("short")), "ended after 5 of its 536870912 bytes"},
	{"name past the end", head(uv(1000), []byte("ab")), "the target's name takes 1000 bytes, but only 2 are left"},
	{"huge identity", head(uv(0), uv(0), uv(1<<40), []byte("1234567")), "the identity's depth is 1099511627776, more than the 4096 allowed"},
	{"identity past the end", head(uv(0), uv(0), uv(100), []byte("12")), "the identity's depth is 100, but only 2 bytes are left"},
	{"bad daemon flag", head(uv(0), uv(0), uv(0), []byte{7}), "the daemon flag is 7"},
	{"pid out of range", head(uv(0), uv(0), uv(0), []byte{0}, uv(1<<40), uv(0), uv(0), uv(0)), "the parent's pid is 1099511627776, out of range"},
	{"bogus NFiles", head(uv(0), uv(0), uv(0), []byte{0}, uv(1), uv(0), uv(0), uv(1<<30)), "the number of inherited descriptors is 1073741824, more than the 65536 allowed"},
	{"ends in the head", head(uv(0), uv(0), uv(0), []byte{0}), "the message ends before the parent's pid"},
}

func TestBootstrapRejects(t *testing.T) {
	for _, c := range badBootstraps {
		_, _, err := readBootstrap(bytes.NewReader(c.msg))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: readBootstrap = %v; want an error saying %q", c.name, err, c.want)
		}
	}
}

// FuzzBootstrap feeds the child's bootstrap reader hostile bytes. It must
// never panic, and never allocate more than about twice what it was given
// (plus its first 4 KiB read), whatever the lengths in the message say.
// What it accepts must encode back to a message that reads the same.
func FuzzBootstrap(f *testing.F) {
	for _, c := range badBootstraps {
		f.Add(c.msg)
	}
	good, _ := sampleBootstrap.encode([]byte("args"))
	f.Add(good)
	zero, _ := (&bootstrap{}).encode(nil)
	f.Add(zero)
	f.Fuzz(func(t *testing.T, data []byte) {
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b, args, err := readBootstrap(bytes.NewReader(data))
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(3*len(data)+64<<10); alloc > limit {
			t.Fatalf("reading %d bytes allocated %d bytes; want at most %d", len(data), alloc, limit)
		}
		if err != nil {
			return
		}
		again, err := b.encode(args)
		if err != nil {
			t.Fatalf("accepted %+v, which does not encode again: %v", b, err)
		}
		b2, args2, err := readBootstrap(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("reading the re-encoded %+v: %v", b, err)
		}
		if diff := cmp.Diff(b, b2); diff != "" || !bytes.Equal(args, args2) {
			t.Fatalf("second round trip differs:\n%s", diff)
		}
	})
}

// TestForgedBootstrapInAChild starts this test binary as a child with a
// forged bootstrap on fd 3: the child must say what is wrong in one line
// and exit with 1, with no panic and no stack trace.
func TestForgedBootstrapInAChild(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	good := func(b bootstrap, args []byte) []byte {
		msg, err := b.encode(args)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	cases := []struct {
		name string
		msg  []byte
		want string
	}{
		{"huge length", forged(1<<62, nil), "more than the 1073741824 allowed"},
		{"truncated", forged(1<<20, []byte("short")), "ended after 5 of its 1048576 bytes"},
		{"bogus NFiles", good(bootstrap{Key: "x", NFiles: 1 << 30}, nil), "more than the 65536 allowed"},
		{"descriptors that are not open", good(bootstrap{Key: "x", NFiles: 50}, nil), "names 50 inherited descriptors, but descriptor"},
		{"unknown target", good(bootstrap{Key: "nowhere.nothing"}, nil), "the target nowhere.nothing is not registered"},
		{"garbage", []byte("not a bootstrap at all"), "not a bootstrap message from mp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=3", "GORACE=atexit_sleep_ms=0")
			cmd.ExtraFiles = []*os.File{r}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r.Close()
			w.Write(c.msg)
			w.Close() // EOF after the message: a parent that is gone
			err = cmd.Wait()
			code := -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err == nil {
				code = 0
			}
			out := stderr.String()
			if code != 1 {
				t.Errorf("exit code = %d (%v); want 1\nstderr:\n%s", code, err, out)
			}
			if !strings.HasPrefix(out, "mp: ") || !strings.Contains(out, c.want) || strings.Count(out, "\n") != 1 {
				t.Errorf("stderr = %q; want one line starting with \"mp: \" that says %q", out, c.want)
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Errorf("stderr shows a panic or a stack trace:\n%s", out)
			}
		})
	}
}
