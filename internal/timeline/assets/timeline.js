// The timeline of one graded run. The data is the JSON in #data, written
// by package timeline; this script only draws it, in SVG, with no library:
// the page must open offline, from a file, in any browser.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("data").textContent);
  var svg = document.getElementById("chart");
  var tip = document.getElementById("tip");

  // Layout, in pixels.
  var GUTTER = 240, AXIS = 30, LANE = 58, RIGHT = 24;

  // Lanes: every process, then the output lane if any line is on it.
  var lanes = data.lanes.slice();
  var unplaced = data.lines.some(function (l) { return l.pid === 0; });
  if (unplaced || lanes.length === 0) {
    lanes.push({ pid: 0, name: "output", depth: 0, from: -1, to: -1, output: true });
  }
  var row = {};
  lanes.forEach(function (l, i) { row[l.pid] = i; });
  function laneY(pid) { return AXIS + (row[pid] !== undefined ? row[pid] : lanes.length - 1) * LANE + LANE / 2; }

  // The whole run: from 0 (the grader started it) to the last thing seen.
  var tEnd = Math.max(1, data.run.end);
  function see(t) { if (t > tEnd) { tEnd = t; } }
  data.lanes.forEach(function (l) { see(l.to); });
  data.lines.forEach(function (l) { see(l.t); });
  data.pauses.forEach(function (p) { see(p.to); });
  var full = { t0: -tEnd * 0.02, t1: tEnd * 1.04 };
  var view = { t0: full.t0, t1: full.t1 };
  var width = 800;

  function x(t) { return GUTTER + (t - view.t0) / (view.t1 - view.t0) * (width - GUTTER - RIGHT); }
  function tAt(px) { return view.t0 + (px - GUTTER) / (width - GUTTER - RIGHT) * (view.t1 - view.t0); }

  function fmt(ns) {
    var a = Math.abs(ns);
    if (a < 0.5) { return "0"; }
    if (a >= 1e9) { return (ns / 1e9).toFixed(3).replace(/\.?0+$/, "") + " s"; }
    if (a >= 1e6) { return (ns / 1e6).toFixed(3).replace(/\.?0+$/, "") + " ms"; }
    if (a >= 1e3) { return (ns / 1e3).toFixed(1).replace(/\.0$/, "") + " µs"; }
    return Math.round(ns) + " ns";
  }

  function el(parent, name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== undefined && attrs[k] !== null) {
        e.setAttribute(k, attrs[k]);
      }
    }
    if (text !== undefined) { e.textContent = text; }
    parent.appendChild(e);
    return e;
  }

  var names = {};
  data.lanes.forEach(function (l) { names[l.pid] = l.name + " (pid " + l.pid + ")"; });
  function who(pid) { return pid === 0 ? "the output lane" : (names[pid] || "pid " + pid); }

  // The header's summary and the lists around the picture are drawn once.
  (function () {
    var r = data.run;
    var s = "Run " + r.number + ", seed " + r.seed + ": the main process " + r.outcome + ". " +
      data.lanes.length + (data.lanes.length === 1 ? " process, " : " processes, ") +
      data.lines.length + (data.lines.length === 1 ? " output line, " : " output lines, ") +
      r.events + " trace events.";
    document.getElementById("summary").textContent = s;

    var facts = document.getElementById("facts");
    data.legend.forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f;
      facts.appendChild(li);
    });

    if (data.rules && data.rules.length) {
      document.getElementById("flags").hidden = false;
      var list = document.getElementById("flaglist");
      data.rules.forEach(function (rule) {
        var li = document.createElement("li");
        li.appendChild(document.createTextNode(rule + " "));
        data.lines.forEach(function (l) {
          if (l.rules && l.rules.indexOf(rule) >= 0) {
            var b = document.createElement("button");
            b.type = "button";
            b.textContent = "line " + l.n;
            b.addEventListener("click", function () { find(l.n); });
            li.appendChild(b);
          }
        });
        data.flaggedEvents.forEach(function (f) {
          if (f.rules.indexOf(rule) >= 0) {
            var b = document.createElement("button");
            b.type = "button";
            b.textContent = "trace event " + f.n;
            b.addEventListener("click", function () { centre(f.t); });
            li.appendChild(b);
          }
        });
        list.appendChild(li);
      });
    }

    var rows = document.getElementById("rows");
    data.lines.forEach(function (l) {
      var tr = document.createElement("tr");
      tr.dataset.n = l.n;
      if (l.rules && l.rules.length) { tr.className = "flagged"; }
      var cells = [String(l.n), fmt(l.t), l.pid ? who(l.pid) : "output", null];
      cells.forEach(function (c, i) {
        var td = document.createElement("td");
        if (i < 2) { td.className = "num"; }
        if (i === 3) {
          td.className = "text" + (l.stream === "stderr" ? " stderr" : "");
          td.textContent = l.text;
          (l.rules || []).forEach(function (rule) {
            var span = document.createElement("span");
            span.className = "rule";
            span.textContent = "✗ " + rule;
            td.appendChild(span);
          });
        } else {
          td.textContent = c;
        }
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { find(l.n); });
      rows.appendChild(tr);
    });
  })();

  // draw lays out the whole picture for the current view.
  function draw() {
    width = Math.max(600, svg.parentNode.clientWidth || 800);
    var height = AXIS + lanes.length * LANE + 8;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }

    var defs = el(svg, "defs", {});
    var clip = el(defs, "clipPath", { id: "plot" });
    el(clip, "rect", { x: GUTTER, y: 0, width: width - GUTTER, height: height });

    // Lane backgrounds and the time grid.
    lanes.forEach(function (l, i) {
      el(svg, "rect", { "class": "lanebg" + (i % 2 ? " odd" : ""), x: GUTTER, y: AXIS + i * LANE, width: width - GUTTER, height: LANE });
    });
    var grid = el(svg, "g", { "clip-path": "url(#plot)" });
    var step = niceStep((view.t1 - view.t0) / Math.max(2, (width - GUTTER) / 110));
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var gx = x(t);
      el(grid, "line", { "class": "grid", x1: gx, x2: gx, y1: AXIS - 6, y2: height });
      el(grid, "text", { "class": "tick", x: gx + 3, y: AXIS - 10 }, fmt(t));
    }
    el(svg, "line", { "class": "axis", x1: GUTTER, x2: width, y1: AXIS, y2: AXIS });

    var plot = el(svg, "g", { "clip-path": "url(#plot)" });
    var back = el(plot, "g", {});   // pauses, behind everything
    var links = el(plot, "g", {});  // start, join and signal links
    var body = el(plot, "g", {});   // lanes, holds, waits
    var arrows = el(plot, "g", {}); // messages
    var top = el(plot, "g", {});    // marks and lines, in front

    data.pauses.forEach(function (p) {
      var y = laneY(p.pid);
      el(back, "rect", { "class": "pause", x: x(p.from), y: y - LANE / 2 + 2, width: Math.max(2, x(p.to) - x(p.from)), height: LANE - 4, "data-tip": p.what + "\n" + fmt(p.from) + " to " + fmt(p.to) });
    });

    // Process lanes.
    data.lanes.forEach(function (l) {
      var y = laneY(l.pid);
      var x0 = x(l.from), x1 = Math.max(x(l.to), x0 + 2);
      var tipText = who(l.pid) + (l.daemon ? ", daemon" : "") +
        "\nstarted at " + fmt(l.from) + (l.begin >= 0 ? ", target began at " + fmt(l.begin) : "") +
        "\n" + l.exit + (l.open ? "" : " at " + fmt(l.to)) + (l.fate ? "\n" + l.fate : "");
      var g = el(body, "g", { "class": "lane process", "data-pid": l.pid, "data-tip": tipText });
      if (l.daemon) {
        el(g, "rect", { "class": "life daemon", x: x0, y: y - 3, width: x1 - x0, height: 6, rx: 3 });
      } else {
        el(g, "rect", { "class": "life" + (l.open ? " open" : ""), x: x0, y: y - 3, width: x1 - x0, height: 6, rx: 3 });
        if (l.begin > l.from) {
          el(g, "rect", { "class": "life pre", x: x0, y: y - 3, width: Math.max(0, Math.min(x(l.begin), x1) - x0), height: 6, rx: 3 });
        }
      }
      el(g, "rect", { "class": "hit", x: x0, y: y - 8, width: x1 - x0, height: 16 });
      var bad = /SIG|signal|no exit|stopped/.test(l.exit) || (/^exit -?\d+/.test(l.exit) && l.exit !== "exit 0");
      el(g, "text", { "class": "exitlabel" + (bad ? " bad" : ""), x: x1 + 5, y: y + 4 }, l.open ? "" : l.exit);
    });
    if (row[0] !== undefined) {
      var oy = laneY(0);
      el(body, "g", { "class": "lane output", "data-pid": 0 });
      el(body, "line", { "class": "grid", x1: GUTTER, x2: width, y1: oy, y2: oy });
    }

    // Holds above the lane's line. A wait for a lock or a semaphore is on
    // the same row, hatched, so that it leads into the hold it ends in;
    // other waits (Join, Get, Recv, Wait...) are between the two rows.
    data.holds.forEach(function (h) {
      var y = laneY(h.pid);
      el(body, "rect", { "class": "hold " + h.kind + (h.open ? " open" : ""), x: x(h.from), y: y - 21, width: Math.max(2, x(h.to) - x(h.from)), height: 7, rx: 1,
        "data-pid": h.pid, "data-from": h.from,
        "data-tip": h.what + "\nfrom " + fmt(h.from) + " to " + fmt(h.to) + " (" + fmt(h.to - h.from) + ")" });
    });
    // A wait too short to see is drawn 2 pixels wide, growing back in
    // time, so that it still ends where what it waited for begins.
    data.waits.forEach(function (w) {
      var y = laneY(w.pid), onHold = w.on === "lock" || w.on === "sem";
      var wide = Math.max(2, x(w.to) - x(w.from));
      el(body, "rect", { "class": "wait" + (w.on ? " " + w.on : "") + (w.gaveUp ? " gaveup" : "") + (w.open ? " open" : ""),
        x: x(w.to) - wide, y: onHold ? y - 21 : y - 12, width: wide, height: 7,
        "data-pid": w.pid, "data-on": w.on || "", "data-to": w.to, "data-gaveup": w.gaveUp ? "1" : "0",
        "data-tip": w.what + "\nfrom " + fmt(w.from) + " to " + fmt(w.to) + " (" + fmt(w.to - w.from) + ")" });
    });

    // Messages: a mark at each end, an arrow between them.
    data.arrows.forEach(function (a) {
      var x1 = x(a.from.t), y1 = laneY(a.from.pid), x2 = x(a.to.t), y2 = laneY(a.to.pid);
      var d;
      if (y1 === y2) {
        d = "M" + x1 + " " + (y1 - 4) + " C" + x1 + " " + (y1 - 26) + " " + x2 + " " + (y2 - 26) + " " + x2 + " " + (y2 - 4);
      } else {
        var dy = (y2 - y1) / 2;
        d = "M" + x1 + " " + y1 + " C" + x1 + " " + (y1 + dy) + " " + x2 + " " + (y2 - dy) + " " + x2 + " " + (y2 + (y2 > y1 ? -5 : 5));
      }
      var verbs = a.kind === "queue" ? ["put on", "got"] : ["sent on", "received"];
      var tipText = (a.kind === "queue" ? "Queue " : "Pipe ") + a.id + (a.msg ? ", message " + a.msg : "") +
        "\n" + who(a.from.pid) + " " + verbs[0] + " it at " + fmt(a.from.t) +
        "\n" + who(a.to.pid) + " " + verbs[1] + " it at " + fmt(a.to.t) +
        (a.to.t < a.from.t ? "\nThe get was traced before the put: the mp that wrote this trace traced a put once the item was on the queue." : "") +
        (a.by === "fifo" ? "\nPaired by order (this trace has no message ids)." : "");
      el(arrows, "path", { "class": "arrow " + a.kind + (a.to.t < a.from.t ? " back" : ""), d: d, "marker-end": "url(#head-" + a.kind + ")",
        "data-kind": a.kind, "data-from": a.from.pid, "data-to": a.to.pid, "data-tip": tipText });
      el(top, "rect", { "class": "msgmark " + a.kind, x: x1 - 3, y: y1 - 3, width: 6, height: 6, "data-tip": tipText });
      el(top, "rect", { "class": "msgmark " + a.kind, x: x2 - 3, y: y2 - 3, width: 6, height: 6, "data-tip": tipText });
    });

    // Marks: starts, joins, signals, ends, and events left unpaired.
    var laneTo = {};
    data.lanes.forEach(function (l) { laneTo[l.pid] = l.to; });
    data.marks.forEach(function (m) {
      var mx = x(m.t), y = laneY(m.pid), a = { "class": "mark " + m.kind, "data-kind": m.kind, "data-tip": m.text + "\nat " + fmt(m.t) };
      switch (m.kind) {
        case "start":
          if (row[m.target] !== undefined) {
            el(links, "path", { "class": "link", d: "M" + mx + " " + y + " L" + mx + " " + laneY(m.target) });
          }
          a.cx = mx; a.cy = y; a.r = 3.5;
          el(top, "circle", a);
          break;
        case "join":
          if (row[m.target] !== undefined && laneTo[m.target] !== undefined) {
            var cx = x(laneTo[m.target]);
            el(links, "path", { "class": "link", d: "M" + cx + " " + laneY(m.target) + " L" + mx + " " + y });
          }
          a.x = mx - 4; a.y = y - 4; a.width = 8; a.height = 8;
          el(top, "rect", a);
          break;
        case "terminate":
        case "kill":
          if (row[m.target] !== undefined) {
            el(links, "path", { "class": "link signal " + m.kind, d: "M" + mx + " " + y + " L" + mx + " " + laneY(m.target), "marker-end": "url(#head-" + (m.kind === "kill" ? "kill" : "signal") + ")" });
          }
          a.d = m.kind === "kill" ? "M" + (mx - 5) + " " + (y - 5) + " L" + (mx + 5) + " " + (y + 5) + " M" + (mx + 5) + " " + (y - 5) + " L" + (mx - 5) + " " + (y + 5)
            : "M" + (mx - 6) + " " + (y + 5) + " L" + mx + " " + (y - 7) + " L" + (mx + 6) + " " + (y + 5) + " Z";
          el(top, "path", a);
          el(top, "rect", { "class": "hit", x: mx - 6, y: y - 7, width: 12, height: 14, "data-tip": a["data-tip"] });
          break;
        case "end":
          a.x1 = mx; a.x2 = mx; a.y1 = y - 7; a.y2 = y + 7;
          el(top, "line", a);
          el(top, "rect", { "class": "hit", x: mx - 3, y: y - 7, width: 6, height: 14, "data-tip": a["data-tip"] });
          break;
        default:
          a["class"] = "mark lone " + m.kind;
          a.x = mx - 3.5; a.y = y - 3.5; a.width = 7; a.height = 7; a.transform = "rotate(45 " + mx + " " + y + ")";
          el(top, "rect", a);
      }
    });

    // Output lines, with their text where there is room for it.
    var byLane = {};
    data.lines.forEach(function (l) { (byLane[l.pid] = byLane[l.pid] || []).push(l); });
    Object.keys(byLane).forEach(function (pid) {
      var ls = byLane[pid].slice().sort(function (p, q) { return p.t - q.t; });
      var y = laneY(+pid);
      ls.forEach(function (l, i) {
        var lx = x(l.t);
        var flagged = l.rules && l.rules.length > 0;
        var tipText = "line " + l.n + " (" + l.stream + "), read at " + fmt(l.t) + "\n" + l.text +
          "\non " + (l.pid ? who(l.pid) + ": " + l.by : "the output lane: " + l.by) +
          (l.late ? "\nRead after this process had exited: it wrote the line before, and the grader read it late." : "") +
          (flagged ? "\n\nFlagged: " + l.rules.join("\nFlagged: ") : "");
        if (flagged) {
          el(top, "circle", { "class": "halo", cx: lx, cy: y, r: 11 });
        }
        el(top, "circle", { "class": "line" + (flagged ? " flagged" : "") + (l.late ? " late" : ""), cx: lx, cy: y, r: flagged ? 6.5 : 4.5,
          "data-n": l.n, "data-pid": l.pid, "data-rules": flagged ? l.rules.join(" | ") : undefined, "data-tip": tipText });
        var next = i + 1 < ls.length ? x(ls[i + 1].t) : width;
        var room = Math.min(next, width) - lx - 10;
        if (room > 36 && lx > GUTTER - 4 && lx < width) {
          var chars = Math.floor(room / 6.2);
          var text = l.text.length > chars ? l.text.slice(0, Math.max(1, chars - 1)) + "…" : l.text;
          el(top, "text", { "class": "linelabel" + (flagged ? " flagged" : ""), x: lx + 7, y: y + 19 }, text);
        }
      });
    });

    // Trace events that rules quoted: a red ring on the event.
    data.flaggedEvents.forEach(function (f) {
      el(top, "circle", { "class": "eventflag", cx: x(f.t), cy: laneY(f.pid), r: 10, "data-event": f.n, "data-rules": f.rules.join(" | "),
        "data-tip": "trace event " + f.n + ", at " + fmt(f.t) + "\n" + f.text + "\n\nFlagged: " + f.rules.join("\nFlagged: ") });
    });

    // The gutter, drawn last so that nothing from the plot covers it.
    el(svg, "rect", { "class": "gutter", x: 0, y: 0, width: GUTTER, height: height });
    el(svg, "line", { "class": "axis", x1: GUTTER, x2: GUTTER, y1: 0, y2: height });
    lanes.forEach(function (l, i) {
      var y = AXIS + i * LANE;
      var ind = 10 + Math.min(l.depth || 0, 6) * 14;
      if (l.output) {
        el(svg, "text", { "class": "lanename", x: ind, y: y + 24 }, "output");
        el(svg, "text", { "class": "laneinfo", x: ind, y: y + 40 }, data.lanes.length ? "lines no process can be named for" : "every line (no mp trace)");
        return;
      }
      var name = el(svg, "text", { "class": "lanename", x: ind, y: y + 24, "data-tip": who(l.pid) }, (l.depth ? "└ " : "") + l.name);
      var info = "pid " + l.pid + " · " + (l.open ? "no exit traced" : l.exit);
      el(svg, "text", { "class": "laneinfo", x: ind + (l.depth ? 14 : 0), y: y + 40 }, info);
      if (l.daemon) {
        var bx = Math.min(GUTTER - 58, ind + name.getComputedTextLength() + 8);
        el(svg, "rect", { "class": "badgebox", x: bx, y: y + 12, width: 48, height: 16, rx: 8 });
        el(svg, "text", { "class": "badgetext daemonbadge", x: bx + 8, y: y + 24 }, "daemon");
      }
    });
    document.getElementById("clock").textContent = "showing " + fmt(view.t0) + " to " + fmt(view.t1);
    document.body.dataset.ready = "1";
  }

  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  }

  var pending = false;
  function redraw() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  }

  // zoom scales the view by f around time t.
  function zoom(f, t) {
    var span = (view.t1 - view.t0) * f;
    var maxSpan = (full.t1 - full.t0) * 4;
    span = Math.min(Math.max(span, 200), maxSpan);
    var r = (t - view.t0) / (view.t1 - view.t0);
    view.t0 = t - r * span;
    view.t1 = view.t0 + span;
    redraw();
  }
  function pan(dt) { view.t0 += dt; view.t1 += dt; redraw(); }

  // centre centres the view on time t.
  function centre(t) {
    var span = Math.min(view.t1 - view.t0, (full.t1 - full.t0) / 4);
    view.t0 = t - span / 2;
    view.t1 = t + span / 2;
    draw();
  }

  // find centres the view on output line n and marks it.
  function find(n) {
    var l = data.lines.filter(function (q) { return q.n === n; })[0];
    if (!l) { return; }
    centre(l.t);
    var c = svg.querySelector('circle.line[data-n="' + n + '"]');
    if (c) { c.classList.add("found"); }
    svg.scrollIntoView({ block: "nearest" });
  }

  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    var px = (e.clientX - r.left) * width / r.width;
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      pan((e.deltaX || e.deltaY) / (width - GUTTER) * (view.t1 - view.t0));
      return;
    }
    zoom(Math.exp(e.deltaY * 0.0015), tAt(Math.max(px, GUTTER)));
  }, { passive: false });

  var drag = null;
  svg.addEventListener("mousedown", function (e) {
    if (e.button !== 0) { return; }
    drag = { x: e.clientX, t0: view.t0, t1: view.t1 };
    svg.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (e) {
    if (drag) {
      var r = svg.getBoundingClientRect();
      var dt = (e.clientX - drag.x) * width / r.width / (width - GUTTER - RIGHT) * (drag.t1 - drag.t0);
      view.t0 = drag.t0 - dt;
      view.t1 = drag.t1 - dt;
      redraw();
      tip.hidden = true;
      return;
    }
    var target = e.target && e.target.closest ? e.target.closest("[data-tip]") : null;
    if (!target || !svg.contains(target)) { tip.hidden = true; return; }
    tip.textContent = target.getAttribute("data-tip");
    tip.hidden = false;
    var tx = e.clientX + 14, ty = e.clientY + 14;
    if (tx + tip.offsetWidth > window.innerWidth - 8) { tx = e.clientX - tip.offsetWidth - 14; }
    if (ty + tip.offsetHeight > window.innerHeight - 8) { ty = e.clientY - tip.offsetHeight - 14; }
    tip.style.left = Math.max(4, tx) + "px";
    tip.style.top = Math.max(4, ty) + "px";
  });
  window.addEventListener("mouseup", function () { drag = null; svg.classList.remove("dragging"); });
  svg.addEventListener("mouseleave", function () { tip.hidden = true; });
  svg.addEventListener("dblclick", function (e) {
    var r = svg.getBoundingClientRect();
    zoom(e.shiftKey ? 2 : 0.5, tAt((e.clientX - r.left) * width / r.width));
  });
  window.addEventListener("keydown", function (e) {
    if (e.target && /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) { return; }
    var mid = (view.t0 + view.t1) / 2, span = view.t1 - view.t0;
    switch (e.key) {
      case "+": case "=": zoom(0.5, mid); break;
      case "-": case "_": zoom(2, mid); break;
      case "0": view.t0 = full.t0; view.t1 = full.t1; redraw(); break;
      case "ArrowLeft": pan(-span / 5); break;
      case "ArrowRight": pan(span / 5); break;
      default: return;
    }
    e.preventDefault();
  });
  document.getElementById("zoomin").addEventListener("click", function () { zoom(0.5, (view.t0 + view.t1) / 2); });
  document.getElementById("zoomout").addEventListener("click", function () { zoom(2, (view.t0 + view.t1) / 2); });
  document.getElementById("fit").addEventListener("click", function () { view.t0 = full.t0; view.t1 = full.t1; redraw(); });
  window.addEventListener("resize", redraw);

  draw();
})();
