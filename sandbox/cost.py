"""What an execution would cost on AWS, from its history: Standard and Express, in USD.

    with cost.LambdaMeter(sb) as meter:
        run = sb.run("document-processing", event)
    found = cost.usage(run, sb, meter.billed_ms())
    print(cost.format_estimate(found, cost.load_prices(), executions=1_000_000))

What is counted, per execution:

* state transitions (Standard's unit): every state entered, Map/Parallel inner states
  included, plus one per retry (AWS bills each retry as a transition);
* Express: one request, and the duration (virtual time from the first to the last event,
  rounded up to 100 ms) times the memory, estimated as AWS documents it (50 MB + definition
  size + execution data size x Parallel/Map steps, in 64-MB chunks). An execution longer than
  Express's 5-minute limit gets no Express figure;
* Distributed Map child executions (`sandbox.map_children`, shared with the coverage and view):
  each child is an execution of its own on AWS. Express children (`ProcessorConfig.ExecutionType`
  EXPRESS): one request each plus their duration x memory; Standard children: their state
  transitions. Their service requests and Lambda calls are added to the execution's;
* Lambda: invocations (from `LambdaMeter`, else the history's `lambda:invoke` tasks) and
  billed duration, rounded up to 1 ms per invocation, times the function's memory and
  architecture from the template. `LambdaMeter` measures *warm* invocations: the first call of
  a function imports its module (Powertools, X-Ray SDK, boto3 clients: 0.5-2 s in this process),
  which AWS bills once per execution environment (INIT), not per invocation; at a monthly volume
  nearly every invocation is warm, so the import is timed apart (`init_ms`) and not billed;
* requests to other services: one per `TaskScheduled` (retries included), keyed
  `<service>:<action>` (`events:putEvents`, `aws-sdk:rekognition` `detectLabels` ->
  `rekognition:detectLabels`), priced from `sandbox/data/prices.json` where a price is known.

Prices live in `sandbox/data/prices.json`: us-east-1 list prices, each with the page it was
read on and the date. A service without a known price is listed and left out of the total.
Free tiers are not subtracted; Express duration uses its monthly GB-hour tiers in the monthly
estimate.

`sandbox cost` prints its measured figure and, on its last lines, the same run priced with an
assumed Lambda duration (`DOCS_LAMBDA_MS`), which does not change from run to run: the figure a
generated docs page shows for the same event (`with_assumed_lambda`).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.core import Run, Sandbox

PRICES = Path(__file__).resolve().parent / "data" / "prices.json"
DOCS_LAMBDA_MS = 100
"""Billed duration assumed per Lambda invocation in the docs' figures (in-process timings vary)."""


@cache
def load_prices(path: Path = PRICES) -> dict[str, Any]:
    return json.loads(path.read_text())


# -- usage ---------------------------------------------------------------------------------------


@dataclass
class LambdaUsage:
    function: str
    memory_mb: int
    architecture: str
    invocations: int = 0
    billed_ms: int = 0

    @property
    def gb_seconds(self) -> float:
        return self.memory_mb / 1024 * self.billed_ms / 1000


@dataclass
class Usage:
    """What one execution used (see the module docstring for how each figure is counted)."""

    workflow: str
    type: str
    status: str
    state_transitions: int
    duration_seconds: float
    express_memory_mb: int
    lambdas: list[LambdaUsage] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    children: list[ChildUsage] = field(default_factory=list)
    """Distributed Map child executions, billed as executions of their own."""
    lambda_init_ms: int | None = None
    """Module imports of the functions' first calls, measured and not billed (`LambdaMeter`)."""


class BilledMs(dict[str, list[int]]):
    """`LambdaMeter.billed_ms()`: billed ms of each invocation by function, and the imports left out."""

    init_ms: int = 0


@dataclass
class ChildUsage:
    """One Distributed Map child execution (one item)."""

    map_state: str
    type: str
    """`EXPRESS` or `STANDARD` (the Map's `ItemProcessor.ProcessorConfig.ExecutionType`)."""
    state_transitions: int
    duration_seconds: float
    express_memory_mb: int


class LambdaMeter:
    """Times every in-process Lambda invocation of a sandbox while in the `with` block: warm duration.

    A function's first call imports its handler module; that import (the INIT phase of a cold
    start on AWS, once per execution environment) is done before the clock starts and kept in
    `init_seconds`, so every invocation is billed as a warm one.
    """

    def __init__(self, sb: Sandbox) -> None:
        self.functions = dict(sb.lambdas.functions) if sb.lambdas is not None else {}
        self.durations: dict[str, list[float]] = {}
        self.init_seconds: dict[str, float] = {}

    def __enter__(self) -> LambdaMeter:
        for logical_id, function in self.functions.items():
            function.invoke = self._timed(logical_id, function.invoke)  # type: ignore[method-assign]  # per instance
        return self

    def __exit__(self, *exc: object) -> None:
        for function in self.functions.values():
            function.__dict__.pop("invoke", None)

    def _timed(self, logical_id: str, invoke: Any) -> Any:
        function = self.functions[logical_id]

        def timed(event: Any) -> Any:
            if not getattr(function, "initialised", True):
                self._initialise(logical_id, function)
            started = time.perf_counter()
            try:
                return invoke(event)
            finally:
                self.durations.setdefault(logical_id, []).append(time.perf_counter() - started)

        return timed

    def _initialise(self, logical_id: str, function: Any) -> None:
        """Import the handler module outside the timed call."""
        started = time.perf_counter()
        # A module that fails to import: the invocation itself raises it again, as Lambda reports it.
        with contextlib.suppress(Exception):
            function.initialise()
        self.init_seconds[logical_id] = self.init_seconds.get(logical_id, 0.0) + time.perf_counter() - started

    def init_ms(self) -> int:
        """Milliseconds spent importing handler modules (not billed per invocation)."""
        return math.ceil(sum(self.init_seconds.values()) * 1000)

    def billed_ms(self) -> BilledMs:
        """Billed milliseconds of each (warm) invocation, by function logical ID (rounded up to 1 ms)."""
        billed = BilledMs({fn: [max(1, math.ceil(seconds * 1000)) for seconds in times]
                           for fn, times in self.durations.items()})
        billed.init_ms = self.init_ms()
        return billed


def requests_of(history: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Service requests made by the execution's tasks, `<service>:<action>` -> count (retries included)."""
    counts: Counter[str] = Counter()
    for event in history:
        details = event.get("taskScheduledEventDetails")
        if details:
            counts[request_key(details.get("resourceType", ""), details.get("resource", ""))] += 1
    return dict(counts)


def request_key(resource_type: str, resource: str) -> str:
    service = resource_type.removeprefix("aws-sdk:")
    action = resource.split(".")[0]  # putEvents.waitForTaskToken -> putEvents
    return f"{service}:{action}"


def state_transitions(history: Sequence[Mapping[str, Any]]) -> int:
    from sandbox.coverage import retries

    entered = sum(1 for event in history if "stateEnteredEventDetails" in event)
    return entered + sum(retries(history).values())


def express_memory_mb(definition: Mapping[str, Any], history: Sequence[Mapping[str, Any]], prices: Mapping[str, Any]
                      ) -> int:
    """AWS's documented estimate: 50 MB + definition size + execution data size x Parallel/Map steps."""
    express = prices["stepfunctions"]["express"]
    definition_bytes = len(json.dumps(definition).encode())
    payloads = [len((d.get("input") or d.get("output") or "").encode())
                for e in history for d in (e.get("stateEnteredEventDetails"), e.get("stateExitedEventDetails")) if d]
    steps = sum(1 for e in history if e["type"] in ("MapIterationStarted", "ParallelStateStarted")) or 1
    used_mb = express["memory_base_mb"] + (definition_bytes + max(payloads, default=0) * steps) / (1024 * 1024)
    chunk = express["memory_increment_mb"]
    return int(math.ceil(used_mb / chunk) * chunk)


def usage(run: Run, sb: Sandbox, billed_ms: Mapping[str, list[int]] | None = None, *,
          assumed_lambda_ms: int | None = None) -> Usage:
    """The usage of one execution of `sb`. Lambda durations: measured (`billed_ms`), or assumed."""
    machine = sb.workflow(run.workflow)
    history = run.history
    duration = _span(history)
    requests = Counter(requests_of(history))
    lambda_calls = Counter(_lambda_calls(history, sb))
    children = []
    for child, processor, execution_type in _children_of(run, machine.definition):
        child_history = child.history
        requests.update(requests_of(child_history))
        lambda_calls.update(_lambda_calls(child_history, sb))
        children.append(ChildUsage(child.map_state, execution_type, state_transitions(child_history),
                                   _span(child_history), express_memory_mb(processor, child_history, load_prices())))
    lambdas = []
    for logical_id, function in sorted((sb.lambdas.functions if sb.lambdas else {}).items()):
        measured = (billed_ms or {}).get(logical_id, [])
        calls = len(measured) if measured else lambda_calls.get(logical_id, 0)
        if not calls:
            continue
        total_ms = sum(measured) if measured and assumed_lambda_ms is None else calls * (assumed_lambda_ms or 1)
        lambdas.append(LambdaUsage(logical_id, function.memory_mb, _architecture(sb, logical_id), calls, total_ms))
    requests.pop("lambda:invoke", None)  # priced as Lambda requests
    return Usage(workflow=run.workflow, type=machine.type, status=run.status,
                 state_transitions=state_transitions(history), duration_seconds=duration,
                 express_memory_mb=express_memory_mb(machine.definition, history, load_prices()),
                 lambdas=lambdas, requests=dict(requests), children=children,
                 lambda_init_ms=getattr(billed_ms, "init_ms", None) if assumed_lambda_ms is None else None)


def with_assumed_lambda(found: Usage, assumed_ms: int) -> Usage:
    """The same usage with every Lambda invocation billed `assumed_ms` (what the docs pages show)."""
    return replace(found, lambdas=[replace(fn, billed_ms=fn.invocations * assumed_ms) for fn in found.lambdas])


def _span(history: Sequence[Mapping[str, Any]]) -> float:
    return (history[-1]["timestamp"] - history[0]["timestamp"]).total_seconds() if history else 0.0


def _children_of(run: Any, definition: Mapping[str, Any]) -> list[tuple[Any, Mapping[str, Any], str]]:
    """(child, item processor definition, execution type) of every Distributed Map child of `run`.

    The same Map bodies and children the ASL coverage and the execution page use (`sandbox.map_children`).
    """
    from sandbox.map_children import map_children

    if not getattr(run, "execution_arn", None):
        return []
    found: list[tuple[Any, Mapping[str, Any], str]] = []
    for body, children in map_children(definition, [run.execution_arn]):
        execution_type = str((body.processor.get("ProcessorConfig") or {}).get("ExecutionType", "STANDARD")).upper()
        found.extend((child, body.processor, execution_type) for child in children)
    return found


def _lambda_calls(history: Sequence[Mapping[str, Any]], sb: Sandbox) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for event in history:
        details = event.get("taskScheduledEventDetails") or event.get("lambdaFunctionScheduledEventDetails")
        if not details:
            continue
        if event["type"] == "LambdaFunctionScheduled":
            name = details.get("resource", "")
        elif details.get("resourceType") == "lambda":
            name = json.loads(details.get("parameters") or "{}").get("FunctionName", "")
        else:
            continue
        function = sb.lambdas.find(name) if sb.lambdas else None
        if function is not None:
            counts[function.logical_id] += 1
    return dict(counts)


def _architecture(sb: Sandbox, logical_id: str) -> str:
    template = sb.stack.template
    props = template.get("Resources", {}).get(logical_id, {}).get("Properties", {})
    defaults = template.get("Globals", {}).get("Function", {})
    architectures = props.get("Architectures", defaults.get("Architectures", ["x86_64"]))
    return architectures[0] if isinstance(architectures, list) and architectures else "x86_64"


# -- prices -------------------------------------------------------------------------------------


@dataclass
class Line:
    item: str
    quantity: str
    usd: float | None
    """Per execution; None when no price is known."""
    billed_per: str | None = None
    """Set when the service bills these calls by something else than requests (e.g. `hour`)."""
    month: float | None = None
    """For `executions` executions when not `usd` x executions (Express duration tiers)."""

    def for_executions(self, executions: int) -> float | None:
        if self.usd is None:
            return None
        return self.month if self.month is not None else self.usd * executions


def request_price(key: str, prices: Mapping[str, Any]) -> dict[str, Any] | None:
    table = prices["requests"]
    return table.get(key) or table.get(key.split(":")[0] + ":*")


def lambda_lines(found: Usage, prices: Mapping[str, Any]) -> list[Line]:
    lines = []
    for fn in found.lambdas:
        rate = prices["lambda"][fn.architecture]
        usd = fn.invocations * rate["per_request"] + fn.gb_seconds * rate["per_gb_second"]
        lines.append(Line(f"Lambda {fn.function} ({fn.architecture}, {fn.memory_mb} MB)",
                          f"{fn.invocations} x, {fn.billed_ms} ms", usd))
    return lines


def request_lines(found: Usage, prices: Mapping[str, Any]) -> list[Line]:
    lines = []
    for key, count in sorted(found.requests.items()):
        price = request_price(key, prices) or {}
        per = price.get("per_request")
        lines.append(Line(key, f"{count} request{'s' if count > 1 else ''}", None if per is None else per * count,
                          price.get("billed_per")))
    return lines


def standard_usd(found: Usage, prices: Mapping[str, Any]) -> float:
    return found.state_transitions * prices["stepfunctions"]["standard"]["per_state_transition"]


def express_billed_seconds(found: Usage, prices: Mapping[str, Any]) -> float:
    increment = prices["stepfunctions"]["express"]["duration_increment_ms"]
    return max(1, math.ceil(round(found.duration_seconds * 1000, 3) / increment)) * increment / 1000


def express_fits(found: Usage, prices: Mapping[str, Any]) -> bool:
    return found.duration_seconds <= prices["stepfunctions"]["express"]["max_duration_seconds"]


def express_gb_seconds(found: Usage, prices: Mapping[str, Any]) -> float:
    return express_billed_seconds(found, prices) * found.express_memory_mb / 1024


def express_usd(found: Usage, prices: Mapping[str, Any], executions: int = 1) -> float | None:
    """Express requests and duration for `executions` executions (duration GB-hour tiers applied), or None."""
    if not express_fits(found, prices):
        return None
    return _express_priced(1, express_gb_seconds(found, prices), prices, executions)


def _express_priced(requests: int, gb_seconds: float, prices: Mapping[str, Any], executions: int) -> float:
    """`requests` Express requests and `gb_seconds` of duration per execution, for `executions` executions."""
    express = prices["stepfunctions"]["express"]
    gb_hours = gb_seconds * executions / 3600
    duration = 0.0
    for size, per_gb_hour in express["duration_tiers_per_gb_hour"]:
        used = gb_hours if size is None else min(gb_hours, size)
        duration += used * per_gb_hour
        gb_hours -= used
        if gb_hours <= 0:
            break
    return executions * requests * express["per_request"] + duration


def child_lines(found: Usage, prices: Mapping[str, Any], executions: int = 1) -> list[Line]:
    """Distributed Map children, one line per Map state and execution type."""
    lines = []
    groups: dict[tuple[str, str], list[ChildUsage]] = {}
    for child in found.children:
        groups.setdefault((child.map_state, child.type), []).append(child)
    increment = prices["stepfunctions"]["express"]["duration_increment_ms"]
    for (map_state, kind), children in sorted(groups.items()):
        count = len(children)
        if kind == "EXPRESS":
            seconds = [max(1, math.ceil(round(c.duration_seconds * 1000, 3) / increment)) * increment / 1000
                       for c in children]
            gb_seconds = sum(s * c.express_memory_mb / 1024 for s, c in zip(seconds, children, strict=True))
            memory = sorted({c.express_memory_mb for c in children})
            quantity = (f"{count} request{'s' if count > 1 else ''}, {sum(seconds):g} s x "
                        f"{'/'.join(str(m) for m in memory)} MB")
            lines.append(Line(f"Express child executions of {map_state}", quantity,
                              _express_priced(count, gb_seconds, prices, 1),
                              month=_express_priced(count, gb_seconds, prices, executions)))
        else:
            transitions = sum(c.state_transitions for c in children)
            lines.append(Line(f"Standard child executions of {map_state}",
                              f"{count} x, {transitions} state transitions",
                              transitions * prices["stepfunctions"]["standard"]["per_state_transition"]))
    return lines


@dataclass
class Estimate:
    executions: int
    standard: float
    express: float | None
    others: float
    """Lambda and the priced service requests (the same under both workflow types)."""
    unpriced: list[str]

    @property
    def standard_total(self) -> float:
        return self.standard + self.others

    @property
    def express_total(self) -> float | None:
        return None if self.express is None else self.express + self.others


def estimate(found: Usage, prices: Mapping[str, Any], executions: int = 1) -> Estimate:
    lines = child_lines(found, prices, executions) + lambda_lines(found, prices) + request_lines(found, prices)
    others = sum(line.for_executions(executions) or 0.0 for line in lines)
    unpriced = [line.item for line in lines if line.usd is None and not line.billed_per]
    return Estimate(executions, standard_usd(found, prices) * executions, express_usd(found, prices, executions),
                    others, unpriced)


# -- text ---------------------------------------------------------------------------------------


def usd(value: float | None) -> str:
    """Dollars with two decimals, or three significant digits under a dollar: `$0.000201`."""
    if value is None:
        return "n/a"
    if value == 0:
        return "$0"
    if value >= 1:
        return f"${value:,.2f}"
    decimals = max(2, 2 - math.floor(math.log10(value)))
    return f"${value:.{decimals}f}"


def format_estimate(found: Usage, prices: Mapping[str, Any], executions: int) -> str:
    """The `sandbox cost` table: per execution, then per month for `executions` executions."""
    one, month = estimate(found, prices, 1), estimate(found, prices, executions)
    rows: list[tuple[str, str, str, str]] = [("Item", "Quantity / execution", "USD / execution",
                                              f"USD / month ({executions:,} executions)")]
    rows.append((f"Step Functions Standard{' (this workflow)' if found.type == 'STANDARD' else ''}",
                 f"{found.state_transitions} state transitions", usd(one.standard), usd(month.standard)))
    express_quantity = (f"1 request, {express_billed_seconds(found, prices):g} s x {found.express_memory_mb} MB"
                        if express_fits(found, prices) else
                        f"{_duration(found.duration_seconds)}: over Express's 5-minute limit")
    rows.append((f"Step Functions Express{' (this workflow)' if found.type == 'EXPRESS' else ''}",
                 express_quantity, usd(one.express), usd(month.express)))
    for line in child_lines(found, prices, executions) + lambda_lines(found, prices) + request_lines(found, prices):
        missing = "not per request" if line.billed_per else "no price"
        rows.append((line.item, line.quantity, usd(line.usd) if line.usd is not None else missing,
                     usd(line.for_executions(executions)) if line.usd is not None else missing))
    rows.append(("Total as Standard", "", usd(one.standard_total), usd(month.standard_total)))
    rows.append(("Total as Express", "", usd(one.express_total), usd(month.express_total)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    text = ["  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row))
            for row in rows]
    text.insert(1, "  ".join("-" * w for w in widths))
    text.insert(len(text) - 2, "  ".join("-" * w for w in widths))
    text.append("")
    text.append(f"{found.workflow} ({found.type}) {found.status}, {_duration(found.duration_seconds)} virtual time. "
                f"us-east-1 list prices of {prices['checked']} (sandbox/data/prices.json), before free tiers.")
    if one.unpriced:
        text.append(f"Not in the totals (no price found): {', '.join(one.unpriced)}.")
    otherwise = [f"{line.item} (billed per {line.billed_per})" for line in request_lines(found, prices)
                 if line.billed_per]
    if otherwise:
        text.append(f"Not in the totals, billed by something else than requests: {', '.join(otherwise)} "
                    "(see sandbox/data/prices.json).")
    if found.lambdas:
        text.extend(_lambda_explained(found, prices, executions, found.lambda_init_ms))
    return "\n".join(text)


def _lambda_explained(found: Usage, prices: Mapping[str, Any], executions: int, init_ms: int | None) -> list[str]:
    """How Lambda was billed, and the run priced with the assumed Lambda duration (as generated docs price it)."""
    imported = f" ({init_ms:,} ms of imports in this run)" if init_ms else ""
    docs = estimate(with_assumed_lambda(found, DOCS_LAMBDA_MS), prices, executions)
    return [
        "Lambda billed per invocation with its warm duration measured in-process, rounded up to 1 ms: the module "
        f"import of each function's first call{imported} is a cold start's INIT, once per execution environment, "
        "so it is not billed per invocation. In-process timings are not AWS's.",
        f"The same run as a figure that does not change from run to run (for docs), Lambda assumed {DOCS_LAMBDA_MS} "
        "ms per invocation: "
        f"Total as Standard {usd(docs.standard_total)}, Total as Express {usd(docs.express_total)} "
        f"per month ({executions:,} executions).",
    ]


def _duration(seconds: float) -> str:
    from sandbox.history import format_duration

    return format_duration(seconds)
