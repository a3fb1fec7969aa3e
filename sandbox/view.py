"""One self-contained HTML page per execution: what happened, as the console shows it, offline.

    from sandbox import view
    view.write(run, sb.workflow("document-processing").definition, "out.html")

The page holds the state machine graph, each state coloured by its outcome (succeeded, failed,
caught, retried, not reached) with the transitions taken drawn as the path; the event history
table (ID, type, step, resource, elapsed, virtual timestamp) with a filter by state; each state's
input, output, error and cause on click; and a timeline of virtual time, so a 48-hour restore
reads as 48 hours. Everything is inline (data, CSS, JS): the page works from a file, with no
network.

Graph layout: dagre (`@dagrejs/dagre`, the maintained dagrejs fork; MIT), its minified
browser build vendored as `sandbox/data/vendor/dagre.min.js` with its licence beside it. Why
dagre: it is the layered (Sugiyama) layout that Mermaid and many graph tools are built on,
it supports compound graphs (Map and Parallel bodies as clusters) and edge labels, and it is
small (about 50 KB), so every page can inline it. Graphviz (`dot -Tsvg`) lays out as well
but is a system package that a `pip install` of the sandbox cannot bring; Mermaid's bundle
is about 3 MB per page and leaves less control over per-state colouring and clicks; elkjs
is about 1.5 MB and EPL-licensed. The page asks dagre for positions and draws the SVG from
them: node, cluster and edge geometry all come from the layout.

Map and Parallel states are clusters: the state itself is the box at the top (it carries the
outcome and the click), its body (the item processor, or one sub-cluster per branch) sits
below, and its outgoing transitions leave from a small join node at the bottom.

A Distributed Map's items run as child executions (`sandbox.map_children`): the record keeps
them, and the page folds them into the item processor (`fold_children`): each inner state has
the worst outcome of the children that entered it, with counts, and shows one representative
child's input, output, errors and events. The runs a run set off (`triggered`, e.g. by an S3
event 48 virtual hours later) or the run that set it off are lanes of the timeline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sandbox.asl_graph import Graph, parse
from sandbox.coverage import retries, transitions, visits
from sandbox.history import (
    event_details,
    format_duration,
    history_rows,
    is_state_failure,
    json_default,
    json_or_text,
    jsonable,
)
from sandbox.map_children import map_bodies, map_children

if TYPE_CHECKING:
    from sandbox.core import Run

VENDOR = Path(__file__).resolve().parent / "data" / "vendor"
DAGRE = VENDOR / "dagre.min.js"
OUTCOMES = ("succeeded", "failed", "caught", "retried", "not-reached")


# -- records: a run with its definition, as JSON ----------------------------------------------


def record(run: Run, definition: Mapping[str, Any], *, triggered: Iterable[Run] = (),
           set_off_by: Run | None = None) -> dict[str, Any]:
    """A run (a `sandbox.core.Run`) and its state machine definition, as JSON-ready data.

    Also kept: the child executions its Distributed Maps ran (by Map state; they live only as
    long as the sandbox, so the record is the place to keep them), and the runs it set off
    (`triggered`: those `Sandbox.settle()` returned after it) or the run that set it off
    (`set_off_by`), as timeline lanes.
    """
    return cast(dict[str, Any], jsonable(raw_record(run, definition, triggered=triggered, set_off_by=set_off_by)))


def raw_record(run: Run, definition: Mapping[str, Any], *, triggered: Iterable[Run] = (),
               set_off_by: Run | None = None) -> dict[str, Any]:
    """What `record` holds, before the JSON conversion: datetimes (and the run's own objects) as they are.

    `save_runs` writes it as `record` would be written, in one encoding: converting first (an encode
    and a decode of ten thousand Map children's histories) and then saving was three passes.
    """
    children = {body.map_state: [{"index": c.index, "input": c.input, "status": c.status, "output": c.output,
                                  "error": c.error, "cause": c.cause, "history": c.history} for c in found]
                for body, found in map_children(definition, [run.execution_arn])}
    return {
        "workflow": run.workflow, "execution_arn": run.execution_arn, "status": run.status,
        "input": run.input, "output": run.output, "error": run.error, "cause": run.cause,
        "history": run.history, "definition": definition, "children": children,
        "triggered": [_lane_record(other) for other in triggered if other.history],
        "set_off_by": _lane_record(set_off_by) if set_off_by is not None and set_off_by.history else None,
    }


def _lane_record(run: Run) -> dict[str, Any]:
    """What a timeline lane shows of another run."""
    return {"workflow": run.workflow, "execution_arn": run.execution_arn, "status": run.status,
            "error": run.error, "start": run.history[0]["timestamp"], "end": run.history[-1]["timestamp"]}


def _history(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """History events with datetime timestamps (a record keeps them as ISO text)."""
    converted = []
    for event in events:
        event = dict(event)
        stamp = event["timestamp"]
        if isinstance(stamp, str):
            event["timestamp"] = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        converted.append(event)
    return converted


# -- analysis ----------------------------------------------------------------------------------


def analyse(graph: Graph, history: list[dict[str, Any]], status: str, error: str | None,
            cause: str | None) -> dict[str, Any]:
    """Per state: outcome and visits (input, output, errors); the edges taken."""
    by_id = {event["id"]: event for event in history}
    entered_ids = visits(graph, history)
    taken = transitions(graph, history)
    retried = retries(history)
    start = history[0]["timestamp"] if history else None

    # Each StateEntered event, in order, gets the graph id `visits` resolved for it.
    visit_of_event: dict[int, dict[str, Any]] = {}
    state_visits: dict[str, list[dict[str, Any]]] = {}
    pending = list(entered_ids)
    visit: dict[str, Any] | None
    for event in history:
        details = event.get("stateEnteredEventDetails")
        if not details:
            continue
        ids = graph.ids_named(details["name"])
        if pending and pending[0] in ids:
            state_id = pending.pop(0)
        elif ids:
            state_id = ids[0]
        else:
            continue
        visit = {"event": event["id"], "input": json_or_text(details.get("input")), "output": None, "errors": [],
                 "start": _offset(start, event["timestamp"]), "end": None}
        visit_of_event[event["id"]] = visit
        state_visits.setdefault(state_id, []).append(visit)

    def owner(event: Mapping[str, Any]) -> dict[str, Any] | None:
        cursor = by_id.get(event.get("previousEventId") or 0)
        while cursor is not None:
            if cursor["id"] in visit_of_event:
                return visit_of_event[cursor["id"]]
            cursor = by_id.get(cursor.get("previousEventId") or 0)
        return None

    for event in history:
        exited = event.get("stateExitedEventDetails")
        if exited:
            visit = owner(event)
            if visit is not None and visit["end"] is None:
                visit["output"] = json_or_text(exited.get("output"))
                visit["end"] = _offset(start, event["timestamp"])
        elif is_state_failure(event["type"]):
            visit = owner(event)
            if visit is not None:
                details = event_details(event)
                visit["errors"].append({"type": event["type"], "error": details.get("error"),
                                        "cause": details.get("cause")})
    end = _offset(start, history[-1]["timestamp"]) if history else 0.0
    for visit_list in state_visits.values():
        for visit in visit_list:
            if visit["end"] is None:
                visit["end"] = end

    caught_from = {t.source for t in taken if t.kind == "catch"}
    last_entered = entered_ids[-1] if entered_ids else None
    states = {}
    for state_id, state in graph.states.items():
        state_visit_list = state_visits.get(state_id, [])
        has_errors = any(v["errors"] for v in state_visit_list)
        if not state_visit_list:
            outcome = "not-reached"
        elif state.type == "Fail" or (status != "SUCCEEDED" and state_id == last_entered and state.scope == ""
                                      and (has_errors or state_visit_list[-1]["output"] is None)):
            outcome = "failed"
            if state.type == "Fail" and state_id == last_entered and error:
                state_visit_list[-1]["errors"].append({"type": "ExecutionFailed", "error": error, "cause": cause})
            elif state.type == "Fail" and not state_visit_list[-1]["errors"]:
                state_visit_list[-1]["errors"].append({"type": "Fail", "error": state.error, "cause": state.cause})
            elif status != "SUCCEEDED" and error and not has_errors:
                state_visit_list[-1]["errors"].append({"type": "Execution" + status.title().replace("_", ""),
                                                       "error": error, "cause": cause})
        elif state_id in caught_from:
            outcome = "caught"
        elif retried.get(state.name) or has_errors:
            outcome = "retried"
        else:
            outcome = "succeeded"
        states[state_id] = {"outcome": outcome, "visits": state_visit_list, "retries": retried.get(state.name, 0)}
    return {"states": states, "taken": [[t.source, t.target, t.kind, t.edge.index if t.edge else None]
                                        for t in taken if t.edge is not None]}


def _offset(start: datetime | None, moment: datetime) -> float:
    return (moment - start).total_seconds() if start is not None else 0.0


SEVERITY = ("failed", "caught", "retried", "succeeded")
"""An inner state's colour when children went through it differently: the worst outcome any had."""


def fold_children(definition: Mapping[str, Any], children: Mapping[str, list[Mapping[str, Any]]],
                  analysis: dict[str, Any], start: datetime | None) -> dict[str, list[dict[str, Any]]]:
    """Distributed Map bodies in `analysis` (from `analyse`): their states as the child executions went through them.

    Each inner state gets the worst outcome of the children that entered it, the counts per
    outcome, and the visits of one representative child (the first with that outcome), shifted
    to the parent's clock; the Map state gets its children's statuses; the transitions any
    child took are taken. Returns the representative children's history rows, by
    `"<Map state>#<item index>"`.
    """
    states = analysis["states"]
    taken = {tuple(t) for t in analysis["taken"]}
    child_rows: dict[str, list[dict[str, Any]]] = {}
    for body in map_bodies(definition):
        kids = children.get(body.map_state) or []
        if not kids:
            continue
        inner = parse(body.processor)
        entered: dict[str, list[tuple[Mapping[str, Any], list[dict[str, Any]], dict[str, Any]]]] = {}
        for kid in kids:
            history = _history(kid.get("history") or [])
            if not history:
                continue
            result = analyse(inner, history, kid["status"], kid.get("error"), kid.get("cause"))
            for state_id, info in result["states"].items():
                if info["outcome"] != "not-reached":
                    entered.setdefault(body.prefix + state_id, []).append((kid, history, info))
            taken |= {(body.prefix + s, body.prefix + t, k, i) for s, t, k, i in result["taken"]}
        for state_id, entries in entered.items():
            if state_id not in states:
                continue
            counts = {o: n for o in SEVERITY if (n := sum(1 for e in entries if e[2]["outcome"] == o))}
            outcome = next(iter(counts))
            kid, history, info = next(e for e in entries if e[2]["outcome"] == outcome)
            shift = _offset(start, history[0]["timestamp"])
            key = f"{body.map_state}#{kid['index']}"
            if key not in child_rows:
                rows = history_rows(history)
                for row in rows:
                    row["elapsed"] = format_duration(row["elapsed_ms"] / 1000)
                child_rows[key] = rows
            states[state_id] = {
                "outcome": outcome, "retries": sum(e[2]["retries"] for e in entries),
                "visits": [{**v, "start": v["start"] + shift, "end": v["end"] + shift, "child": kid["index"]}
                           for v in info["visits"]],
                "childExecutions": {"mapState": body.map_state, "total": len(kids), "entered": len(entries),
                             "counts": counts, "representative": {
                                 "index": kid["index"], "status": kid["status"], "input": kid.get("input"),
                                 "error": kid.get("error"), "cause": kid.get("cause"), "rows": key}},
            }
        if body.map_state in states:
            statuses: dict[str, int] = {}
            for kid in kids:
                statuses[kid["status"]] = statuses.get(kid["status"], 0) + 1
            states[body.map_state]["childRuns"] = {"total": len(kids), "statuses": statuses}
    analysis["taken"] = sorted(taken, key=str)
    return child_rows


def _long_duration(seconds: float) -> str:
    """`format_duration`, with the hours spelled out from a day on: `2d 0h 0m 0s (48 h)`."""
    text = format_duration(seconds)
    return f"{text} ({seconds / 3600:.4g} h)" if seconds >= 86400 else text


def lanes(data: Mapping[str, Any], history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timeline's runs: the run that set this one off (if any), this run, the runs it set off.

    Offsets are virtual seconds from the first lane's start.
    """
    def stamp(value: Any) -> datetime:
        return _history([{"timestamp": value}])[0]["timestamp"]

    this = {"workflow": data["workflow"], "execution_arn": data["execution_arn"], "status": data["status"],
            "error": data.get("error"), "start": history[0]["timestamp"] if history else None,
            "end": history[-1]["timestamp"] if history else None}
    found = []
    if data.get("set_off_by"):
        found.append(("set this run off", data["set_off_by"]))
    found.append(("this run", this))
    found += [("set off by this run", other) for other in data.get("triggered") or []]
    found = [(role, lane) for role, lane in found if lane["start"] is not None]
    if not found:
        return []
    origin = stamp(found[0][1]["start"])
    result = []
    for role, lane in found:
        begin, end = _offset(origin, stamp(lane["start"])), _offset(origin, stamp(lane["end"]))
        result.append({"workflow": lane["workflow"], "executionArn": lane["execution_arn"], "status": lane["status"],
                       "error": lane.get("error"), "role": role, "self": role == "this run", "start": begin,
                       "end": end, "startText": "+" + _long_duration(begin),
                       "durationText": format_duration(end - begin)})
    return result


# -- page --------------------------------------------------------------------------------------


def page_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the page's script needs, from a `record`."""
    definition = data["definition"]
    graph = parse(definition)
    history = _history(data.get("history") or [])
    analysis = analyse(graph, history, data["status"], data.get("error"), data.get("cause"))
    child_rows = fold_children(definition, data.get("children") or {}, analysis,
                               history[0]["timestamp"] if history else None)
    taken = {(s, t, k, i) for s, t, k, i in analysis["taken"]}
    rows = history_rows(history)
    steps = {row["id"]: row["step"] for row in rows}
    for row in rows:
        row["elapsed"] = format_duration(row["elapsed_ms"] / 1000)
    duration = (history[-1]["timestamp"] - history[0]["timestamp"]).total_seconds() if history else 0.0
    run_lanes = lanes(data, history)
    span = max((lane["end"] for lane in run_lanes), default=duration)
    return {
        "run": {"workflow": data["workflow"], "executionArn": data["execution_arn"], "status": data["status"],
                "input": data.get("input"), "output": data.get("output"), "error": data.get("error"),
                "cause": data.get("cause"), "duration": duration, "durationText": format_duration(duration),
                "start": rows[0]["timestamp"] if rows else None, "span": span, "spanText": _long_duration(span)},
        "lanes": run_lanes,
        "childRows": child_rows,
        "scopes": [{"id": s.id, "parent": s.parent, "label": s.label, "startAt": s.start_at, "end": s.end}
                   for s in graph.scopes.values()],
        "states": [{"id": s.id, "name": s.name, "type": s.type, "scope": s.scope, "children": list(s.children),
                    **analysis["states"][s.id]} for s in graph.states.values()],
        "edges": [{"source": e.source, "target": e.target, "kind": e.kind, "label": e.label,
                   "taken": (e.source, e.target, e.kind, e.index) in taken} for e in graph.edges],
        "history": rows,
        "stepOf": steps,
    }


def render(data: Mapping[str, Any]) -> str:
    """The whole HTML page for a `record`."""
    payload = json.dumps(page_data(data), default=str).replace("</", "<\\/")
    dagre = DAGRE.read_text().split("//# sourceMappingURL=")[0]
    title = f"{data['workflow']} {data['status']}"
    return (_TEMPLATE.replace("{{title}}", html.escape(title)).replace("{{css}}", _CSS)
            .replace("{{dagre}}", dagre).replace("{{app}}", _APP).replace("{{data}}", payload))


def write(run: Run | Mapping[str, Any], definition: Mapping[str, Any], path: str | Path, *,
          triggered: Iterable[Run] = (), set_off_by: Run | None = None) -> Path:
    """Write the page of `run` (a Run, or a `record` dict) to `path`; `triggered`, `set_off_by`: see `record`."""
    data = run if isinstance(run, Mapping) else record(run, definition, triggered=triggered, set_off_by=set_off_by)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(data), encoding="utf-8")
    return target


# -- the last CLI invocation's runs --------------------------------------------------------------


def save_runs(records: list[dict[str, Any]], directory: Path) -> list[Path]:
    """Replace the saved runs in `directory` by these (`sandbox view` renders them).

    Each of `records` is a `record` or a `raw_record` (its datetimes written as `record` writes them).
    """
    directory.mkdir(parents=True, exist_ok=True)
    for old in [*directory.glob("*.json"), *directory.glob("*.html")]:
        old.unlink()
    paths = []
    for number, data in enumerate(records, start=1):
        name = data["execution_arn"].rsplit(":", 1)[-1][:40]
        path = directory / f"{number:02d}-{data['workflow']}-{_safe(name)}.json"
        # Compact: json's C encoder writes it (an indented dump is Python's encoder, seconds for a
        # record with ten thousand Map children); `sandbox view` is its reader.
        path.write_text(json.dumps(data, default=json_default))
        paths.append(path)
    return paths


def saved_runs(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>{{css}}</style>
</head>
<body>
<header id="summary"></header>
<main>
  <section id="graph-panel">
    <h2>Graph</h2>
    <div id="legend"></div>
    <div id="graph"></div>
  </section>
  <aside id="details"><p class="hint">Click a state to see its input, output and errors.</p></aside>
</main>
<section id="timeline-panel"><h2>Timeline (virtual time)</h2><div id="timeline"></div></section>
<section id="history-panel">
  <h2>Event history</h2>
  <label>State <select id="state-filter"><option value="">all states</option></select></label>
  <table id="history"><thead><tr><th>ID</th><th>Type</th><th>Step</th><th>Resource</th>
  <th>Elapsed</th><th>Timestamp (virtual)</th></tr></thead><tbody></tbody></table>
</section>
<script id="run-data" type="application/json">{{data}}</script>
<script>{{dagre}}</script>
<script>{{app}}</script>
</body>
</html>
"""

_CSS = """
:root { --ok: #2e7d32; --ok-bg: #e8f5e9; --bad: #c62828; --bad-bg: #ffebee; --caught: #ef6c00;
  --caught-bg: #fff3e0; --retried: #9a7d00; --retried-bg: #fffde7; --idle: #9e9e9e; --idle-bg: #fafafa;
  --path: #1565c0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; color: #212121; background: #fff; }
header { padding: 12px 20px; border-bottom: 1px solid #ddd; background: #f5f7fa; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { font-size: 13px; color: #555; word-break: break-all; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 13px; font-weight: 600;
  color: #fff; vertical-align: middle; }
.badge.SUCCEEDED { background: var(--ok); } .badge.FAILED, .badge.TIMED_OUT, .badge.ABORTED { background: var(--bad); }
h2 { font-size: 15px; margin: 8px 0; }
main { display: flex; gap: 16px; padding: 8px 20px; align-items: flex-start; }
#graph-panel { flex: 1 1 60%; min-width: 0; }
#graph { overflow: auto; max-height: 80vh; border: 1px solid #e0e0e0; border-radius: 6px; background: #fff; }
#details { flex: 0 0 34%; max-height: 85vh; overflow: auto; border: 1px solid #e0e0e0; border-radius: 6px;
  padding: 8px 12px; font-size: 13px; position: sticky; top: 8px; }
#details pre { background: #f6f8fa; padding: 6px; border-radius: 4px; white-space: pre-wrap;
  word-break: break-all; max-height: 240px; overflow: auto; }
#details .error { background: var(--bad-bg); border-left: 4px solid var(--bad); padding: 4px 8px; margin: 4px 0; }
.hint { color: #777; }
#legend span { display: inline-block; margin-right: 10px; font-size: 12px; }
#legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 4px;
  vertical-align: -2px; }
#legend i.succeeded { background: var(--ok); } #legend i.failed { background: var(--bad); }
#legend i.caught { background: var(--caught); } #legend i.retried { background: var(--retried); }
#legend i.not-reached { background: var(--idle-bg); outline: 2px dashed var(--idle); outline-offset: -2px; }
#graph svg { display: block; }
#zoom { font-size: 12px; margin-left: 8px; }
svg text { font-size: 12px; fill: #212121; }
g.state { cursor: pointer; }
g.state rect, g.state polygon { stroke-width: 2; }
g.state.succeeded rect, g.state.succeeded polygon, i.succeeded { fill: var(--ok-bg); stroke: var(--ok);
  background: var(--ok-bg); border-color: var(--ok); }
g.state.failed rect, g.state.failed polygon, i.failed { fill: var(--bad-bg); stroke: var(--bad);
  background: var(--bad-bg); border-color: var(--bad); }
g.state.caught rect, g.state.caught polygon, i.caught { fill: var(--caught-bg); stroke: var(--caught);
  background: var(--caught-bg); border-color: var(--caught); }
g.state.retried rect, g.state.retried polygon, i.retried { fill: var(--retried-bg); stroke: var(--retried);
  background: var(--retried-bg); border-color: var(--retried); }
g.state.not-reached rect, g.state.not-reached polygon, i.not-reached { fill: var(--idle-bg); stroke: var(--idle);
  stroke-dasharray: 4 3; background: var(--idle-bg); border-color: var(--idle); }
g.state.not-reached text { fill: #9e9e9e; }
g.state.selected rect, g.state.selected polygon { stroke-width: 4; filter: drop-shadow(0 0 3px #1565c0); }
g.state .tag { font-size: 10px; font-weight: 600; }
g.terminal circle { fill: #eceff1; stroke: #607d8b; stroke-width: 1.5; }
g.terminal.reached circle { fill: #cfd8dc; stroke: var(--path); stroke-width: 2.5; }
g.cluster rect { fill: #f8fafc; stroke: #b0bec5; stroke-dasharray: 5 3; }
g.cluster text { font-size: 11px; fill: #546e7a; }
path.edge { fill: none; stroke: #cfd8dc; stroke-width: 1.3; }
path.edge.catch { stroke-dasharray: 5 4; }
path.edge.taken { stroke: var(--path); stroke-width: 3; }
text.edge-label { font-size: 10px; fill: #78909c; }
text.edge-label.taken { fill: var(--path); font-weight: 600; }
#timeline-panel, #history-panel { padding: 0 20px 12px; }
#timeline { border: 1px solid #e0e0e0; border-radius: 6px; padding: 6px; font-size: 12px; overflow-x: auto; }
.tl-row { display: flex; align-items: center; height: 18px; }
.tl-name { flex: 0 0 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; cursor: pointer; }
.tl-track { position: relative; flex: 1 1 auto; height: 12px; background: #f5f5f5; min-width: 300px; }
.tl-bar { position: absolute; top: 0; height: 12px; min-width: 3px; border-radius: 2px; }
.tl-bar.succeeded { background: var(--ok); } .tl-bar.failed { background: var(--bad); }
.tl-bar.caught { background: var(--caught); } .tl-bar.retried { background: var(--retried); }
.tl-len { flex: 0 0 90px; text-align: right; color: #555; }
.tl-lanes { margin-bottom: 8px; } .tl-lane.self .tl-name { font-weight: 600; }
.tl-lanes .tl-len { flex-basis: 150px; } .tl-lanes .tl-axis { margin-right: 150px; }
#timeline h3 { font-size: 13px; margin: 4px 0; }
table.child-events { font-size: 12px; }
.tl-axis { display: flex; justify-content: space-between; color: #777; margin-left: 220px; margin-right: 90px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin-top: 6px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; white-space: nowrap; }
th { background: #f5f7fa; position: sticky; top: 0; }
tr.fail td { color: var(--bad); font-weight: 600; }
"""

_APP = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("run-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var states = {}; data.states.forEach(function (s) { states[s.id] = s; });
  var scopes = {}; data.scopes.forEach(function (s) { scopes[s.id] = s; });
  var selected = null;

  function el(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function h(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function pretty(value) { return value === undefined ? "" : JSON.stringify(value, null, 2); }

  // -- summary ------------------------------------------------------------------------------
  var run = data.run, header = document.getElementById("summary");
  var title = h("h1", run.workflow + " ");
  var badge = h("span", run.status, "badge " + run.status); title.appendChild(badge);
  header.appendChild(title);
  header.appendChild(h("div", run.executionArn, "meta"));
  header.appendChild(h("div", "Started " + (run.start || "?") + " (virtual) - lasted " + run.durationText +
    " of virtual time", "meta"));
  if (run.error) header.appendChild(h("div", "Error: " + run.error + (run.cause ? ": " + run.cause : ""), "meta"));
  var others = data.lanes.filter(function (lane) { return !lane.self; });
  if (others.length) header.appendChild(h("div", (data.lanes[0].self ? "Set off " + others.length + " run(s): " +
    "the last ended " : "Set off by " + data.lanes[0].workflow + "; the last run ended ") + "+" + run.spanText +
    " after the first one started (see the timeline)", "meta runs-span"));

  var legend = document.getElementById("legend");
  [["succeeded", "succeeded"], ["failed", "failed"], ["caught", "caught"], ["retried", "retried"],
   ["not-reached", "not reached"]].forEach(function (pair) {
    var span = h("span"); var box = h("i", null, pair[0]); span.appendChild(box);
    span.appendChild(document.createTextNode(pair[1])); legend.appendChild(span);
  });

  // -- graph (layout by dagre) ------------------------------------------------------------------
  var canvas = document.createElement("canvas").getContext("2d");
  canvas.font = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  function textWidth(text) { return canvas.measureText(text).width; }
  function startKey(scope) { return scope.id ? scope.id + "/(start)" : "(start)"; }
  function clusterKey(scope) { return "cluster:" + scope.id; }
  function joinKey(stateId) { return stateId + "/(join)"; }

  var g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 38, edgesep: 12, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(function () { return {}; });

  function parentCluster(scopeId) {
    // The cluster a scope's nodes sit in: a Parallel branch has its own, a Map body is its state's.
    if (!scopeId) return null;
    var owner = states[scopes[scopeId].parent];
    return owner.type === "Parallel" ? clusterKey(scopes[scopeId]) : "container:" + owner.id;
  }
  data.scopes.forEach(function (scope) {
    var parent = parentCluster(scope.id);
    g.setNode(startKey(scope), { kind: "start", width: 16, height: 16 });
    g.setNode(scope.end, { kind: "end", width: 20, height: 20 });
    if (parent) { g.setParent(startKey(scope), parent); g.setParent(scope.end, parent); }
  });
  data.states.forEach(function (state) {
    var label = state.name, w = Math.max(70, textWidth(label) + 28), hgt = 34;
    if (state.type === "Choice") { w = w + 36; hgt = 44; }
    g.setNode(state.id, { kind: "state", state: state, width: w, height: hgt });
    var parent = parentCluster(state.scope);
    if (state.children.length) {
      var container = "container:" + state.id;
      g.setNode(container, { kind: "cluster", label: state.name + " (" + state.type + ")" });
      if (parent) g.setParent(container, parent);
      g.setParent(state.id, container);
      g.setNode(joinKey(state.id), { kind: "join", width: 10, height: 10 });
      g.setParent(joinKey(state.id), container);
      state.children.forEach(function (child) {
        var scope = scopes[child];
        if (state.type === "Parallel") {
          g.setNode(clusterKey(scope), { kind: "cluster", label: scope.label });
          g.setParent(clusterKey(scope), container);
        }
        g.setEdge(state.id, startKey(scope), { kind: "inner", taken: state.visits.length > 0 }, "in:" + child);
        g.setEdge(scope.end, joinKey(state.id), { kind: "inner", taken: state.outcome !== "not-reached" &&
          state.outcome !== "failed" }, "out:" + child);
      });
    } else if (parent) {
      g.setParent(state.id, parent);
    }
  });
  data.scopes.forEach(function (scope) {
    var reached = !!(states[scope.startAt] && states[scope.startAt].visits.length);
    g.setEdge(startKey(scope), scope.startAt, { kind: "next", taken: reached }, "start:" + scope.id);
  });
  data.edges.forEach(function (edge, index) {
    var source = states[edge.source] && states[edge.source].children.length ? joinKey(edge.source) : edge.source;
    var label = edge.kind === "next" || edge.kind === "end" ? "" : edge.label;
    var attrs = { kind: edge.kind, taken: edge.taken, label: label };
    if (label) { attrs.width = textWidth(label) * 0.85 + 6; attrs.height = 14; attrs.labelpos = "c"; }
    g.setEdge(source, edge.target, attrs, "e" + index);
  });
  dagre.layout(g);

  var size = g.graph();
  // Fitted to the panel's width, but never below 65 % (a large graph scrolls instead) nor enlarged.
  var svg = el("svg", { id: "graph-svg", viewBox: "0 0 " + Math.ceil(size.width) + " " + Math.ceil(size.height) });
  function zoom(scale) {
    svg.setAttribute("width", Math.ceil(size.width * scale));
    svg.setAttribute("height", Math.ceil(size.height * scale));
  }
  var zoomSelect = document.createElement("select"); zoomSelect.id = "zoom";
  [["fit", "fit width"], ["1", "100%"], ["0.5", "50%"]].forEach(function (pair) {
    var o = h("option", pair[1]); o.value = pair[0]; zoomSelect.appendChild(o);
  });
  function applyZoom() {
    var avail = document.getElementById("graph").clientWidth - 2;
    zoom(zoomSelect.value === "fit" ? Math.max(0.65, Math.min(1, avail / size.width)) : Number(zoomSelect.value));
  }
  zoomSelect.addEventListener("change", applyZoom);
  legend.appendChild(zoomSelect);
  var defs = el("defs", {}, svg);
  [["arrow", "#b0bec5"], ["arrow-taken", "#1565c0"]].forEach(function (pair) {
    var marker = el("marker", { id: pair[0], viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
      markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: pair[1] }, marker);
  });
  var clusters = el("g", { "class": "clusters" }, svg), edgesLayer = el("g", { "class": "edges" }, svg);
  var nodesLayer = el("g", { "class": "nodes" }, svg);
  // Outer clusters first, so inner ones draw on top.
  var clusterIds = g.nodes().filter(function (v) { return g.node(v).kind === "cluster"; });
  function depth(v) { var d = 0, p = g.parent(v); while (p) { d++; p = g.parent(p); } return d; }
  clusterIds.sort(function (a, b) { return depth(a) - depth(b); }).forEach(function (v) {
    var n = g.node(v), group = el("g", { "class": "cluster" }, clusters);
    el("rect", { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 6 }, group);
    el("text", { x: n.x - n.width / 2 + 6, y: n.y - n.height / 2 + 12 }, group).textContent = n.label;
  });
  g.edges().forEach(function (e) {
    var edge = g.edge(e), pts = edge.points, d = "M" + pts[0].x + "," + pts[0].y;
    for (var i = 1; i < pts.length; i++) d += " L" + pts[i].x + "," + pts[i].y;
    var cls = "edge " + edge.kind + (edge.taken ? " taken" : "");
    el("path", { d: d, "class": cls, "marker-end": "url(#" + (edge.taken ? "arrow-taken" : "arrow") + ")",
      "data-source": e.v, "data-target": e.w }, edgesLayer);
    if (edge.label) {
      var t = el("text", { x: edge.x, y: edge.y + 4, "text-anchor": "middle",
        "class": "edge-label" + (edge.taken ? " taken" : "") }, edgesLayer);
      t.textContent = edge.label;
    }
  });
  var reachedEnds = {};
  data.states.forEach(function (s) { if (s.visits.length) reachedEnds[s.scope] = true; });
  g.nodes().forEach(function (v) {
    var n = g.node(v);
    if (n.kind === "start" || n.kind === "end" || n.kind === "join") {
      var reached = data.edges.some(function (e) { return e.target === v && e.taken; }) ||
        (n.kind === "start" && g.outEdges(v).some(function (e) { return g.edge(e).taken; }));
      var group = el("g", { "class": "terminal " + n.kind + (reached ? " reached" : "") }, nodesLayer);
      el("circle", { cx: n.x, cy: n.y, r: n.width / 2 }, group);
      if (n.kind === "end") el("circle", { cx: n.x, cy: n.y, r: n.width / 2 - 4 }, group);
      return;
    }
    if (n.kind !== "state") return;
    var s = n.state;
    var group = el("g", { "class": "state " + s.outcome, "data-state": s.name, "data-id": s.id,
      "data-outcome": s.outcome, id: "state-" + s.id.replace(/[^A-Za-z0-9_-]/g, "_") }, nodesLayer);
    var x0 = n.x - n.width / 2, y0 = n.y - n.height / 2;
    if (s.type === "Choice") {
      el("polygon", { points: [n.x + "," + y0, (x0 + n.width) + "," + n.y, n.x + "," + (y0 + n.height),
        x0 + "," + n.y].join(" ") }, group);
    } else {
      el("rect", { x: x0, y: y0, width: n.width, height: n.height, rx: s.type === "Fail" ||
        s.type === "Succeed" ? n.height / 2 : 4 }, group);
    }
    el("text", { x: n.x, y: n.y + 4, "text-anchor": "middle" }, group).textContent = s.name;
    var tag = s.outcome === "retried" ? "retried x" + s.retries : s.outcome === "caught" ? "caught" :
      s.outcome === "failed" ? "failed" : s.visits.length > 1 ? "x" + s.visits.length : "";
    var kids = s.childExecutions;
    if (kids) tag = (tag && tag !== "x" + s.visits.length ? tag + " " + (kids.counts[s.outcome] || 0) + ", " : "") +
      kids.entered + "/" + kids.total + " children";
    if (tag) el("text", { x: x0 + n.width - 4, y: y0 - 3, "text-anchor": "end", "class": "tag" }, group)
      .textContent = tag;
    var title = el("title", {}, group);
    title.textContent = s.name + " (" + s.type + "): " + s.outcome.replace("-", " ");
    group.addEventListener("click", function () { select(s.id); });
  });
  document.getElementById("graph").appendChild(svg);
  applyZoom();

  // -- details ------------------------------------------------------------------------------------
  function select(stateId) {
    selected = stateId;
    document.querySelectorAll("g.state.selected").forEach(function (n) { n.classList.remove("selected"); });
    var node = document.querySelector('g.state[data-id="' + CSS.escape(stateId) + '"]');
    if (node) node.classList.add("selected");
    var s = states[stateId], panel = document.getElementById("details");
    panel.innerHTML = "";
    var head = h("h2", s.name + " "); head.appendChild(h("span", s.outcome.replace("-", " "), "badge"));
    head.lastChild.style.background = getComputedStyle(document.documentElement)
      .getPropertyValue({ succeeded: "--ok", failed: "--bad", caught: "--caught", retried: "--retried" }[s.outcome]
        || "--idle");
    panel.appendChild(head);
    panel.appendChild(h("div", s.type + " state" + (s.scope ? " in " + s.scope : "") + " - " +
      s.visits.length + " visit(s)" + (s.retries ? ", " + s.retries + " retr" + (s.retries > 1 ? "ies" : "y") : "")));
    if (!s.visits.length) panel.appendChild(h("p", "Not reached by this execution" +
      (s.scope && scopes[s.scope] && states[scopes[s.scope].parent].childRuns ? " nor by its child executions." : "."),
      "hint"));
    if (s.childRuns) {
      panel.appendChild(h("p", "Child executions: " + s.childRuns.total + " (" + Object.keys(s.childRuns.statuses)
        .map(function (k) { return s.childRuns.statuses[k] + " " + k; }).join(", ") + ")", "child-runs"));
    }
    var kids = s.childExecutions;
    if (kids) {
      panel.appendChild(h("p", "Entered by " + kids.entered + " of " + kids.total + " child executions: " +
        Object.keys(kids.counts).map(function (k) { return kids.counts[k] + " " + k; }).join(", "), "child-counts"));
      var rep = kids.representative;
      panel.appendChild(h("p", "Shown: child execution of item " + rep.index + " (" + rep.status +
        (rep.error ? ": " + rep.error : "") + ")", "child-shown"));
    }
    s.visits.forEach(function (visit, i) {
      if (s.visits.length > 1) panel.appendChild(h("h3", "Visit " + (i + 1)));
      visit.errors.forEach(function (err) {
        var box = h("div", null, "error");
        box.appendChild(h("strong", err.error || err.type));
        if (err.cause) box.appendChild(h("div", err.cause));
        box.appendChild(h("div", err.type, "hint"));
        panel.appendChild(box);
      });
      panel.appendChild(h("h4", "Input")); panel.appendChild(h("pre", pretty(visit.input)));
      if (visit.output !== null && visit.output !== undefined) {
        panel.appendChild(h("h4", "Output")); panel.appendChild(h("pre", pretty(visit.output)));
      }
    });
    if (kids) {
      var rows = (data.childRows[kids.representative.rows] || []).filter(function (r) { return r.step === s.name; });
      panel.appendChild(h("h4", "Events of that child execution"));
      var table = h("table", null, "child-events"), body = h("tbody");
      rows.forEach(function (row) {
        var tr = h("tr"); if (/Failed|TimedOut|Aborted/.test(row.type)) tr.className = "fail";
        [row.id, row.type, row.elapsed].forEach(function (v) { tr.appendChild(h("td", v)); });
        body.appendChild(tr);
      });
      table.appendChild(body); panel.appendChild(table);
    }
    // The parent's history holds no event of a child execution: show its Map state's instead.
    var filter = document.getElementById("state-filter");
    filter.value = kids ? kids.mapState : s.name; filterTable();
  }

  // -- history table ------------------------------------------------------------------------------
  var tbody = document.querySelector("#history tbody"), filter = document.getElementById("state-filter");
  var names = [];
  var steps = {}; data.history.forEach(function (row) { steps[row.step] = true; });
  data.states.forEach(function (s) {
    if (s.visits.length && steps[s.name] && names.indexOf(s.name) < 0) names.push(s.name);
  });
  names.forEach(function (name) { var o = h("option", name); o.value = name; filter.appendChild(o); });
  data.history.forEach(function (row) {
    var tr = h("tr"); tr.dataset.step = row.step;
    if (/Failed|TimedOut|Aborted/.test(row.type)) tr.className = "fail";
    [row.id, row.type, row.step, row.resource, row.elapsed, row.timestamp].forEach(function (v) {
      tr.appendChild(h("td", v));
    });
    tbody.appendChild(tr);
  });
  function filterTable() {
    var wanted = filter.value;
    tbody.querySelectorAll("tr").forEach(function (tr) {
      tr.style.display = !wanted || tr.dataset.step === wanted ? "" : "none";
    });
  }
  filter.addEventListener("change", filterTable);

  // -- timeline (virtual time) -----------------------------------------------------------------------
  var timeline = document.getElementById("timeline"), total = run.duration || 0;
  function fmt(seconds) {
    if (seconds < 60) return seconds.toFixed(3).replace(/\.?0+$/, "") + "s";
    var parts = [], units = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]], rest = Math.floor(seconds);
    units.forEach(function (u) { var n = Math.floor(rest / u[0]); rest -= n * u[0];
      if (n || parts.length) parts.push(n + u[1]); });
    while (parts.length > 1 && /^0/.test(parts[parts.length - 1])) parts.pop();
    return parts.join(" ");
  }
  function axisOf(span) {
    var axis = h("div", null, "tl-axis"); axis.appendChild(h("span", "0s"));
    axis.appendChild(h("span", fmt(span / 2))); axis.appendChild(h("span", fmt(span)));
    return axis;
  }
  if (data.lanes.length > 1) {
    // The runs this one set off (or the run that set it off), each from its virtual start.
    var span = run.span || 0, lanesBox = h("div", null, "tl-lanes");
    lanesBox.appendChild(h("h3", "Runs"));
    lanesBox.appendChild(axisOf(span));
    data.lanes.forEach(function (lane) {
      var row = h("div", null, "tl-row tl-lane" + (lane.self ? " self" : ""));
      row.dataset.workflow = lane.workflow; row.dataset.start = lane.start;
      var name = h("div", lane.workflow + (lane.self ? " (this run)" : ""), "tl-name");
      name.title = lane.executionArn + " - " + lane.role;
      var track = h("div", null, "tl-track"), bar = h("div", null, "tl-bar " +
        (lane.status === "SUCCEEDED" ? "succeeded" : lane.status === "RUNNING" ? "retried" : "failed"));
      bar.style.left = (span ? lane.start / span * 100 : 0) + "%";
      bar.style.width = (span ? (lane.end - lane.start) / span * 100 : 0) + "%";
      bar.title = lane.workflow + " " + lane.status + ": starts " + lane.startText + ", lasts " + lane.durationText;
      track.appendChild(bar);
      row.appendChild(name); row.appendChild(track);
      row.appendChild(h("div", lane.startText, "tl-len tl-start"));
      lanesBox.appendChild(row);
    });
    timeline.appendChild(lanesBox);
    timeline.appendChild(h("h3", "States of this run"));
  }
  var bars = [];
  data.states.forEach(function (s) { s.visits.forEach(function (v) { bars.push({ s: s, v: v }); }); });
  // By start; a child execution's visits (their own event ids) after the parent's at the same time.
  bars.sort(function (a, b) { return a.v.start - b.v.start || (a.v.child !== undefined) - (b.v.child !== undefined) ||
    a.v.event - b.v.event; });
  var axis = h("div", null, "tl-axis"); axis.appendChild(h("span", "0s"));
  axis.appendChild(h("span", fmt(total / 2))); axis.appendChild(h("span", fmt(total)));
  timeline.appendChild(axis);
  bars.forEach(function (b) {
    var row = h("div", null, "tl-row"), name = h("div", b.s.name + (b.v.child !== undefined ?
      " (item " + b.v.child + ")" : ""), "tl-name");
    name.title = b.s.id; name.addEventListener("click", function () { select(b.s.id); });
    var track = h("div", null, "tl-track"), bar = h("div", null, "tl-bar " + b.s.outcome);
    var left = total ? b.v.start / total * 100 : 0, width = total ? (b.v.end - b.v.start) / total * 100 : 0;
    bar.style.left = left + "%"; bar.style.width = width + "%";
    bar.title = b.s.name + ": +" + fmt(b.v.start) + " for " + fmt(b.v.end - b.v.start);
    track.appendChild(bar);
    row.appendChild(name); row.appendChild(track); row.appendChild(h("div", fmt(b.v.end - b.v.start), "tl-len"));
    timeline.appendChild(row);
  });
  window.sandboxView = { select: select, data: data };
})();
"""
