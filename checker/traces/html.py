"""A trace as one self-contained HTML page that steps through it (`--html FILE`).

The page shows the sequence diagram (checker/traces/diagram.py's rows, drawn as SVG by the
page's own script; the participants' names stay in view as it scrolls) beside the state
after the current step: for a spec with a diagram table, the coordinator's variables and
one lane per consumer (each `map[Consumer, _]` variable's entry in that consumer's
column, report.participant_layout), the cells the step changed highlighted, every
change written out whole. Back/Forward and the arrow keys move through the trace, a
click on a step jumps to it; "only what changed" hides the rest of the state, the
search box filters variables and marks the steps that mention its text; the violated
property is shown with its text and a link to its line in the spec. `#step=N&q=TEXT&
changed=1` in the address opens that view (how the tests drive it in headless Chromium).
Everything is inline (script, style, data): the page needs no network and no other
file. The data is JSON in the page: the cells' texts of the first state, then for each
later state only the cells that changed. Cost: linear in the trace's changes.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from checker.engine.statediff import change_text
from checker.lang.errors import UsageError, place
from checker.lang.types import domain
from checker.lang.values import show

from .report import participant_layout, step_heading


def _cells(model, lay, state) -> list:
    """A state's texts: the variables outside the lanes, then each lane variable's entry
    for each lane (lane variable j, lane k at len(globals) + j * lanes + k)."""
    out, lane_texts = [], []
    for name, t, v in zip(model.var_names, model.var_types, state):
        if name in lay.per_lane:
            lane_texts.append([show(x, t.value) for x in v])
        else:
            out.append(show(v, t))
    return out + [x for row in lane_texts for x in row]


def _property(model, name) -> dict | None:
    """The violated property's name, kind, spec line, file URI and source text."""
    prop = next((p for p in model.checked.properties if p.name == name), None)
    if prop is None:
        return None
    file, number = place(model.checked.spec.source, model.path, prop.pos)     # its own file's line
    path = Path(file).resolve()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    first = number - 1
    text = lines[first:first + 1]
    for line in lines[first + 1:first + 12]:     # its continuation lines (indented)
        if not line.strip() or not line[:1].isspace():
            break
        text.append(line)
    return {"name": prop.name, "kind": prop.kind, "line": number, "where": f"{file}:{number}",
            "uri": path.as_uri() + f"#L{number}", "text": "\n".join(text)}


def page(model, trace, d, summary: str = "", property_name: str | None = None) -> str:
    """The HTML text for a trace ([Step]) and its diagram.Diagram; `property_name` is the
    property the trace violates, if any."""
    lay = participant_layout(model)
    lanes = [show(k, lay.lanes) for k in domain(lay.lanes)] if lay.lanes is not None else []
    texts = [_cells(model, lay, step.state) for step in trace]
    states = [dict(enumerate(texts[0]))]
    for before, after in zip(texts, texts[1:]):
        states.append({i: a for i, (b, a) in enumerate(zip(before, after)) if a != b})
    data = {
        "title": d.title, "summary": summary, "participants": d.participants,
        "globals": [n for n in model.var_names if n not in lay.per_lane], "rest": lay.rest or "State",
        "lanes": lanes, "laneVars": [n for n in model.var_names if n in lay.per_lane],
        "states": states, "loop": d.loop, "closing": d.closing,
        "property": _property(model, property_name) if property_name else None,
        "rows": [{"state": r.state, "title": step_heading(model, lay, trace[i], trace[i - 1] if i else None),
                  "src": r.src, "dst": r.dst, "reply": r.reply,
                  "over": r.over, "label": r.label, "note": r.note, "mark": r.mark,
                  "changes": [change_text(c) for c in r.changes]} for i, r in enumerate(d.rows)],
    }
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (_TEMPLATE.replace("%TITLE%", html.escape(d.title))
            .replace("%DATA%", blob))


def write_page(path, model, trace, d, summary: str = "", property_name: str | None = None) -> None:
    from checker.traces.files import write_atomic
    try:
        write_atomic(Path(path), page(model, trace, d, summary, property_name))
    except OSError as e:
        raise UsageError(f"--html {path}: cannot write it ({e.strerror or e})") from None


_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%TITLE%</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
  header { padding: 8px 16px; background: #f3f3f6; border-bottom: 1px solid #ccd; position: sticky; top: 0; z-index: 3; }
  header h1 { font-size: 18px; margin: 0 0 4px 0; }
  #summary { color: #444; white-space: pre-wrap; max-height: 5.6em; overflow: auto; }
  #controls { margin-top: 6px; display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
  #controls button { font-size: 14px; padding: 2px 10px; }
  #position { font-weight: bold; margin: 0 8px; }
  #search { font-size: 14px; padding: 2px 6px; width: 16em; }
  main { display: flex; gap: 12px; padding: 8px 16px; }
  #diagram { flex: 3; overflow: auto; max-height: calc(100vh - 170px); border: 1px solid #dde; position: relative; }
  #lanehead { position: sticky; top: 0; background: #fff; z-index: 2; border-bottom: 1px solid #dde; display: block; }
  #side { flex: 2; overflow: auto; max-height: calc(100vh - 170px); }
  #step-title { font-size: 16px; font-weight: bold; margin: 4px 0; }
  #mark { color: #b00; font-weight: bold; }
  #property { border: 1px solid #e4b4b4; background: #fff6f6; padding: 4px 8px; margin: 6px 0; }
  #property pre { margin: 4px 0 0 0; white-space: pre-wrap; font: 12px/1.3 ui-monospace, monospace; }
  table { border-collapse: collapse; width: 100%; font: 12px/1.3 ui-monospace, monospace; margin-bottom: 10px; }
  th { position: sticky; top: 0; background: #eef; text-align: left; padding: 2px 4px; z-index: 1; }
  td { border-bottom: 1px solid #eee; padding: 2px 4px; vertical-align: top; word-break: break-word; }
  td.name { white-space: nowrap; color: #336; }
  td.changed { background: #fff3b0; }
  tr.hidden { display: none; }
  ul#changes { font: 12px/1.3 ui-monospace, monospace; padding-left: 18px; word-break: break-word; }
  svg text { font: 12px system-ui, sans-serif; }
  svg .row { cursor: pointer; }
  svg .current rect.band { fill: #fff3b0; }
  svg .marked rect.band { fill: #ffd7d7; }
  svg .current.marked rect.band { fill: #ffb3b3; }
  svg .hit rect.band { stroke: #36c; stroke-width: 2; }
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
    <label><input type="checkbox" id="only-changed"> only what changed</label>
    <input type="search" id="search" placeholder="search variables, values, steps">
    <span id="hits"></span>
  </div>
</header>
<main>
  <div id="diagram"></div>
  <div id="side">
    <div id="step-title"></div>
    <div id="mark"></div>
    <div id="property" hidden><a id="property-link"></a><pre id="property-text"></pre></div>
    <ul id="changes"></ul>
    <table id="vars"></table>
    <table id="lanes"></table>
  </div>
</main>
<script id="trace-data" type="application/json">%DATA%</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("trace-data").textContent);
const N = D.rows.length, G = D.globals.length, L = D.lanes.length;
const CELLS = G + D.laneVars.length * L;
// the full cell texts of every state, rebuilt from the per-step changes
const full = [];
D.states.forEach((delta, i) => {
  const prev = i ? full[i - 1].slice() : new Array(CELLS).fill("");
  for (const k in delta) prev[+k] = delta[k];
  full.push(prev);
});
const COL = 150, ROW = 30, HEAD = 30, SIDE = 60;
const svgNS = "http://www.w3.org/2000/svg";
function el(name, attrs, text) {
  const e = document.createElementNS(svgNS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
const parts = D.participants.length ? D.participants : [D.title];
const x = p => SIDE + COL / 2 + COL * Math.max(0, parts.indexOf(p));
const width = SIDE + COL * parts.length + 520;
const height = ROW * N + 20;
// the participants' names: a sticky header of their own, in view as the diagram scrolls
const head = el("svg", {id: "lanehead", width: width, height: HEAD, viewBox: `0 0 ${width} ${HEAD}`});
parts.forEach(p => head.appendChild(el("text", {x: x(p), y: 20, "text-anchor": "middle", "font-weight": "bold",
                                              class: "lane-name"}, p)));
const svg = el("svg", {width: width, height: height, viewBox: `0 0 ${width} ${height}`});
parts.forEach(p => svg.appendChild(el("line", {x1: x(p), y1: 0, x2: x(p), y2: height, stroke: "#99a"})));
const defs = el("defs", {});
const marker = el("marker", {id: "head", markerWidth: 10, markerHeight: 8, refX: 9, refY: 4, orient: "auto"});
marker.appendChild(el("path", {d: "M0,0 L10,4 L0,8 z", fill: "#335"}));
defs.appendChild(marker);
svg.appendChild(defs);
const rowText = D.rows.map(r => [r.title, r.label, r.note, r.mark, ...r.changes].join("\n").toLowerCase());
const rowEls = D.rows.map((r, i) => {
  const y = ROW * i;
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
  const t = el("text", {x: SIDE + COL * parts.length + 10, y: y + 19, fill: "#777", "font-size": "11"},
               (r.mark ? "✗ " + r.mark + "  " : "") + (beside.length > 90 ? beside.slice(0, 89) + "…" : beside));
  t.appendChild(el("title", {}, r.changes.join("\n")));
  g.appendChild(t);
  if (D.loop !== null && i === D.loop)
    g.appendChild(el("text", {x: SIDE + COL * parts.length - 6, y: y + 19, "text-anchor": "end"}, "↻"));
  g.addEventListener("click", () => show(i));
  svg.appendChild(g);
  return g;
});
document.getElementById("diagram").append(head, svg);
document.getElementById("title").textContent = D.title;
document.getElementById("summary").textContent = D.summary + (D.closing ? "\n↻ " + D.closing : "");
if (D.property) {
  const box = document.getElementById("property"), a = document.getElementById("property-link");
  box.hidden = false;
  a.href = D.property.uri;
  a.textContent = `${D.property.kind} ${D.property.name} (${D.property.where})`;
  document.getElementById("property-text").textContent = D.property.text;
}
// the state tables: the coordinator's (or the spec's) variables; one lane per consumer
function td(text, cls) { const c = document.createElement("td"); c.textContent = text; if (cls) c.className = cls; return c; }
function th(text) { const c = document.createElement("th"); c.textContent = text; return c; }
const varsTable = document.getElementById("vars"), lanesTable = document.getElementById("lanes");
const globalRows = D.globals.map((name, k) => {
  const tr = document.createElement("tr"); tr.dataset.cells = String(k);
  tr.append(td(name, "name"), td(""));
  return tr;
});
varsTable.replaceChildren(Object.assign(document.createElement("thead"), {}), ...globalRows);
varsTable.tHead.appendChild(document.createElement("tr")).append(th(D.lanes.length ? D.rest : "variable"), th("value"));
const laneRows = D.laneVars.map((name, j) => {
  const tr = document.createElement("tr");
  tr.dataset.cells = D.lanes.map((_, k) => G + j * L + k).join(",");
  tr.append(td(name, "name"), ...D.lanes.map(() => td("")));
  return tr;
});
if (L) {
  lanesTable.replaceChildren(document.createElement("thead"), ...laneRows);
  lanesTable.tHead.appendChild(document.createElement("tr")).append(th("per consumer"), ...D.lanes.map(th));
}
let current = 0;
const onlyChanged = document.getElementById("only-changed"), search = document.getElementById("search");
function fill() {
  const delta = current > 0 ? D.states[current] : {};
  const q = search.value.trim().toLowerCase();
  for (const tr of [...globalRows, ...laneRows]) {
    const cells = tr.dataset.cells.split(",").map(Number);
    const tds = tr.querySelectorAll("td");
    let changed = false, text = tds[0].textContent.toLowerCase();
    cells.forEach((c, n) => {
      tds[n + 1].textContent = full[current][c];
      tds[n + 1].classList.toggle("changed", c in delta);
      changed = changed || c in delta;
      text += "\n" + full[current][c].toLowerCase();
    });
    tr.classList.toggle("hidden", (onlyChanged.checked && !changed) || (q !== "" && !text.includes(q)));
  }
  let hits = 0;
  rowEls.forEach((g, k) => { const hit = q !== "" && rowText[k].includes(q); g.classList.toggle("hit", hit); hits += hit; });
  document.getElementById("hits").textContent = q ? `${hits} step${hits === 1 ? "" : "s"} mention it` : "";
}
function show(i) {
  current = Math.max(0, Math.min(N - 1, i));
  const r = D.rows[current];
  rowEls.forEach((g, k) => g.classList.toggle("current", k === current));
  document.getElementById("position").textContent = `Step ${current + 1} of ${N}`;
  document.getElementById("step-title").textContent = `State ${r.state}: ${r.title}`;
  document.getElementById("mark").textContent = r.mark ? "✗ " + r.mark : "";
  const ul = document.getElementById("changes");
  ul.replaceChildren(...r.changes.map(c => { const li = document.createElement("li"); li.textContent = c; return li; }));
  fill();
  document.getElementById("back").disabled = current === 0;
  document.getElementById("forward").disabled = current === N - 1;
  rowEls[current].scrollIntoView({block: "nearest"});
  remember();
}
function remember() {
  const parts = ["step=" + (current + 1)];
  if (search.value) parts.push("q=" + encodeURIComponent(search.value));
  if (onlyChanged.checked) parts.push("changed=1");
  try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* file: pages may refuse */ }
}
onlyChanged.onchange = () => { fill(); remember(); };
search.oninput = () => { fill(); remember(); };
document.getElementById("first").onclick = () => show(0);
document.getElementById("back").onclick = () => show(current - 1);
document.getElementById("forward").onclick = () => show(current + 1);
document.getElementById("last").onclick = () => show(N - 1);
document.addEventListener("keydown", e => {
  if (e.target === search) return;
  if (e.key === "ArrowLeft") show(current - 1);
  else if (e.key === "ArrowRight") show(current + 1);
  else if (e.key === "Home") show(0);
  else if (e.key === "End") show(N - 1);
});
const params = new URLSearchParams(location.hash.slice(1));
search.value = params.get("q") || "";
onlyChanged.checked = params.get("changed") === "1";
show(params.get("step") ? +params.get("step") - 1 : 0);
</script>
</body>
</html>
"""
