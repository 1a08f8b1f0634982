"""A trace as one self-contained HTML page that steps through it (`--html FILE`).

The page shows the sequence diagram (checker/traces/diagram.py's rows, drawn as SVG by the
page's own script) beside the variables of the current state, the entries the step
changed highlighted; Back/Forward buttons and the arrow keys move through the
trace, a click on a step jumps to it, and `#step=N` in the address opens step N.
Everything is inline (script, style, data): the page needs no network and no
other file. The data is JSON in the page: the variables' texts of the first state,
then for each later state only the variables that changed.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from checker.engine.statediff import change_text
from checker.lang.errors import UsageError
from checker.lang.values import show


def page(model, trace, d, summary: str = "") -> str:
    """The HTML text for a trace ([Step]) and its diagram.Diagram."""
    texts = [[show(v, t) for v, t in zip(step.state, model.var_types)] for step in trace]
    states = [dict(enumerate(texts[0]))]
    for before, after in zip(texts, texts[1:]):
        states.append({i: a for i, (b, a) in enumerate(zip(before, after)) if a != b})
    data = {
        "title": d.title, "summary": summary, "participants": d.participants,
        "vars": list(model.var_names), "states": states, "loop": d.loop, "closing": d.closing,
        "rows": [{"state": r.state, "title": r.title, "src": r.src, "dst": r.dst, "reply": r.reply,
                  "over": r.over, "label": r.label, "note": r.note, "mark": r.mark,
                  "changes": [change_text(c, 80) for c in r.changes]} for r in d.rows],
    }
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (_TEMPLATE.replace("%TITLE%", html.escape(d.title))
            .replace("%DATA%", blob))


def write_page(path, model, trace, d, summary: str = "") -> None:
    from checker.traces.files import write_atomic
    try:
        write_atomic(Path(path), page(model, trace, d, summary))
    except OSError as e:
        raise UsageError(f"--html {path}: cannot write it ({e.strerror or e})") from None


_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%TITLE%</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
  header { padding: 8px 16px; background: #f3f3f6; border-bottom: 1px solid #ccd; }
  header h1 { font-size: 18px; margin: 0 0 4px 0; }
  #summary { color: #444; white-space: pre-wrap; }
  #controls { margin-top: 6px; }
  #controls button { font-size: 14px; padding: 2px 10px; margin-right: 4px; }
  #position { font-weight: bold; margin-left: 8px; }
  main { display: flex; gap: 12px; padding: 8px 16px; }
  #diagram { flex: 3; overflow: auto; max-height: calc(100vh - 130px); border: 1px solid #dde; }
  #side { flex: 2; overflow: auto; max-height: calc(100vh - 130px); }
  #step-title { font-size: 16px; font-weight: bold; margin: 4px 0; }
  #mark { color: #b00; font-weight: bold; }
  table { border-collapse: collapse; width: 100%; font: 12px/1.3 ui-monospace, monospace; }
  td { border-bottom: 1px solid #eee; padding: 2px 4px; vertical-align: top; word-break: break-word; }
  td.name { white-space: nowrap; color: #336; }
  tr.changed td { background: #fff3b0; }
  ul#changes { font: 12px/1.3 ui-monospace, monospace; padding-left: 18px; }
  svg text { font: 12px system-ui, sans-serif; }
  svg .row { cursor: pointer; }
  svg .current rect.band { fill: #fff3b0; }
  svg .marked rect.band { fill: #ffd7d7; }
  svg .current.marked rect.band { fill: #ffb3b3; }
</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <div id="summary"></div>
  <div id="controls">
    <button id="first" title="first step (Home)">First</button>
    <button id="back" title="back (←)">◀ Back</button>
    <button id="forward" title="forward (→)">Forward ▶</button>
    <button id="last" title="last step (End)">Last</button>
    <span id="position"></span>
  </div>
</header>
<main>
  <div id="diagram"></div>
  <div id="side">
    <div id="step-title"></div>
    <div id="mark"></div>
    <ul id="changes"></ul>
    <table id="vars"></table>
  </div>
</main>
<script id="trace-data" type="application/json">%DATA%</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("trace-data").textContent);
const N = D.rows.length;
// the full variable texts of every state, rebuilt from the per-step changes
const full = [];
D.states.forEach((delta, i) => {
  const prev = i ? full[i - 1].slice() : new Array(D.vars.length).fill("");
  for (const k in delta) prev[+k] = delta[k];
  full.push(prev);
});
const COL = 150, ROW = 30, TOP = 40, SIDE = 60;
const svgNS = "http://www.w3.org/2000/svg";
function el(name, attrs, text) {
  const e = document.createElementNS(svgNS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
const parts = D.participants.length ? D.participants : [D.title];
const x = p => SIDE + COL / 2 + COL * Math.max(0, parts.indexOf(p));
const width = SIDE + COL * parts.length + 420;
const height = TOP + ROW * N + 20;
const svg = el("svg", {width: width, height: height, viewBox: `0 0 ${width} ${height}`});
parts.forEach(p => {
  svg.appendChild(el("text", {x: x(p), y: 20, "text-anchor": "middle", "font-weight": "bold"}, p));
  svg.appendChild(el("line", {x1: x(p), y1: 28, x2: x(p), y2: height, stroke: "#99a"}));
});
const defs = el("defs", {});
const marker = el("marker", {id: "head", markerWidth: 10, markerHeight: 8, refX: 9, refY: 4, orient: "auto"});
marker.appendChild(el("path", {d: "M0,0 L10,4 L0,8 z", fill: "#335"}));
defs.appendChild(marker);
svg.appendChild(defs);
const rowEls = D.rows.map((r, i) => {
  const y = TOP + ROW * i;
  const g = el("g", {class: "row" + (r.mark ? " marked" : ""), "data-step": i + 1});
  g.appendChild(el("rect", {class: "band", x: 0, y: y, width: width, height: ROW, fill: "transparent"}));
  g.appendChild(el("text", {x: 8, y: y + 19, fill: "#666"}, String(r.state)));
  const label = r.label + (r.note ? " — " + r.note : "");
  if (r.src && r.dst && r.src !== r.dst) {
    g.appendChild(el("line", {x1: x(r.src), y1: y + 22, x2: x(r.dst), y2: y + 22, stroke: "#335",
      "stroke-dasharray": r.reply ? "5,4" : "", "marker-end": "url(#head)"}));
    g.appendChild(el("text", {x: (x(r.src) + x(r.dst)) / 2, y: y + 16, "text-anchor": "middle"}, label));
  } else if (r.over || r.src) {
    const cx = x(r.over || r.src);
    g.appendChild(el("rect", {x: cx - 6, y: y + 8, width: 12, height: 12, fill: "#557"}));
    g.appendChild(el("text", {x: cx + 12, y: y + 19}, label));
  } else {
    g.appendChild(el("text", {x: SIDE, y: y + 19, fill: "#555"}, label));
  }
  const beside = r.changes.slice(0, 2).join("; ") + (r.changes.length > 2 ? ` (+${r.changes.length - 2})` : "");
  g.appendChild(el("text", {x: SIDE + COL * parts.length + 10, y: y + 19, fill: "#777", "font-size": "11"},
                   (r.mark ? "✗ " + r.mark + "  " : "") + beside));
  if (D.loop !== null && i === D.loop)
    g.appendChild(el("text", {x: SIDE + COL * parts.length - 6, y: y + 19, "text-anchor": "end"}, "↻"));
  g.addEventListener("click", () => show(i));
  svg.appendChild(g);
  return g;
});
document.getElementById("diagram").appendChild(svg);
document.getElementById("title").textContent = D.title;
document.getElementById("summary").textContent = D.summary + (D.closing ? "\n↻ " + D.closing : "");
let current = 0;
function show(i) {
  current = Math.max(0, Math.min(N - 1, i));
  const r = D.rows[current];
  rowEls.forEach((g, k) => g.classList.toggle("current", k === current));
  document.getElementById("position").textContent = `Step ${current + 1} of ${N}`;
  document.getElementById("step-title").textContent = `State ${r.state}: ${r.title}`;
  document.getElementById("mark").textContent = r.mark ? "✗ " + r.mark : "";
  const ul = document.getElementById("changes");
  ul.replaceChildren(...r.changes.map(c => { const li = document.createElement("li"); li.textContent = c; return li; }));
  const delta = D.states[current];
  const table = document.getElementById("vars");
  table.replaceChildren(...D.vars.map((name, k) => {
    const tr = document.createElement("tr");
    if (current > 0 && k in delta) tr.className = "changed";
    const a = document.createElement("td"); a.className = "name"; a.textContent = name;
    const b = document.createElement("td"); b.textContent = full[current][k];
    tr.append(a, b);
    return tr;
  }));
  document.getElementById("back").disabled = current === 0;
  document.getElementById("forward").disabled = current === N - 1;
  rowEls[current].scrollIntoView({block: "nearest"});
  try { history.replaceState(null, "", "#step=" + (current + 1)); } catch (e) { /* file: pages may refuse */ }
}
document.getElementById("first").onclick = () => show(0);
document.getElementById("back").onclick = () => show(current - 1);
document.getElementById("forward").onclick = () => show(current + 1);
document.getElementById("last").onclick = () => show(N - 1);
document.addEventListener("keydown", e => {
  if (e.key === "ArrowLeft") show(current - 1);
  else if (e.key === "ArrowRight") show(current + 1);
  else if (e.key === "Home") show(0);
  else if (e.key === "End") show(N - 1);
});
const m = /step=(\d+)/.exec(location.hash);
show(m ? +m[1] - 1 : 0);
</script>
</body>
</html>
"""
