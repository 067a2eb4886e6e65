package timeline

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/forklore/forklore/internal/mptrace"
)

// channel is one way messages go: a queue, or one direction of a Pipe.
type channel struct {
	kind string // queue or pipe
	id   string // the queue's id, or the Pipe's without its end's letter
	dir  string // for a Pipe: "a→b" or "b→a"; "" if its ends are unnamed
}

func (c channel) String() string {
	if c.dir == "" {
		return c.id
	}
	return c.id + " " + c.dir
}

// channelOf says which channel a message event is on, and whether it is
// the sending side. The ends of a Pipe are "<id>a" and "<id>b": what one
// end sends, the other receives, so a send on "<id>a" and a recv on
// "<id>b" are both on the channel "<id> a→b".
func channelOf(e *mptrace.Event) (channel, bool) {
	out := e.Kind == mptrace.Put || e.Kind == mptrace.Send
	if e.Kind == mptrace.Put || e.Kind == mptrace.Get {
		return channel{kind: "queue", id: e.Attr("queue")}, out
	}
	id := e.Attr("conn")
	n := len(id)
	if n < 2 || id[n-1] != 'a' && id[n-1] != 'b' {
		return channel{kind: "pipe", id: id}, out
	}
	dir := "a→b"
	if (id[n-1] == 'b') == out {
		dir = "b→a"
	}
	return channel{kind: "pipe", id: id[:n-1], dir: dir}, out
}

// pairMessages turns puts and gets, sends and recvs into arrows: by message id
// where mp wrote one, else first-in first-out per channel. What is left
// unpaired becomes a mark.
func (b *builder) pairMessages() {
	type msgKey struct {
		c   channel
		msg string
	}
	outs := map[channel][]*mptrace.Event{}
	ins := map[channel][]*mptrace.Event{}
	var order []channel
	sent := map[msgKey]*mptrace.Event{}  // by message id, not yet received
	early := map[msgKey]*mptrace.Event{} // received before their send was traced
	var pairs []arrow
	var lone []*mptrace.Event
	for _, e := range b.msgs {
		c, out := channelOf(e)
		if msg := e.Attr("msg"); msg != "" {
			k := msgKey{c, msg}
			switch {
			case out && early[k] != nil:
				// mp traces a put once the item is on the queue, so its
				// get can come first.
				pairs = append(pairs, b.arrow(c, msg, e, early[k], "msg"))
				delete(early, k)
			case out:
				sent[k] = e
			case sent[k] != nil:
				pairs = append(pairs, b.arrow(c, msg, sent[k], e, "msg"))
				delete(sent, k)
			default:
				early[k] = e
			}
			continue
		}
		if _, ok := outs[c]; !ok {
			if _, ok := ins[c]; !ok {
				order = append(order, c)
			}
		}
		if out {
			outs[c] = append(outs[c], e)
		} else {
			ins[c] = append(ins[c], e)
		}
	}
	for _, e := range sent {
		lone = append(lone, e)
	}
	for _, e := range early {
		lone = append(lone, e)
	}
	for _, c := range order {
		o, i := outs[c], ins[c]
		n := min(len(o), len(i))
		for k := range n {
			pairs = append(pairs, b.arrow(c, "", o[k], i[k], "fifo"))
		}
		lone = append(lone, o[n:]...)
		lone = append(lone, i[n:]...)
	}
	slices.SortStableFunc(pairs, func(x, y arrow) int { return cmp.Compare(min(x.From.T, x.To.T), min(y.From.T, y.To.T)) })
	for _, a := range pairs {
		if b.full(len(b.m.Arrows)) {
			continue
		}
		if a.By == "msg" {
			b.byMsg++
		} else {
			b.fifo++
		}
		if a.To.T < a.From.T {
			b.backward++
		}
		b.m.Arrows = append(b.m.Arrows, a)
	}
	slices.SortStableFunc(lone, func(x, y *mptrace.Event) int { return cmp.Compare(x.Mono, y.Mono) })
	words := map[string]string{
		mptrace.Put:  "puts on queue %s; no get of it in the trace",
		mptrace.Get:  "gets from queue %s; no put of it in the trace",
		mptrace.Send: "sends on Pipe %s; no recv of it in the trace",
		mptrace.Recv: "receives on Pipe %s; no send of it in the trace",
	}
	for _, e := range lone {
		if b.full(len(b.m.Marks)) {
			continue
		}
		c, _ := channelOf(e)
		b.m.Marks = append(b.m.Marks, mark{Pid: e.Pid, T: b.at(e.Mono), Kind: e.Kind,
			Text: fmt.Sprintf("%s (pid %d) "+words[e.Kind], e.Name, e.Pid, c)})
	}
}

func (b *builder) arrow(c channel, msg string, from, to *mptrace.Event, by string) arrow {
	return arrow{Kind: c.kind, ID: c.String(), Msg: msg, By: by,
		From: end{Pid: from.Pid, T: b.at(from.Mono)}, To: end{Pid: to.Pid, T: b.at(to.Mono)}}
}
