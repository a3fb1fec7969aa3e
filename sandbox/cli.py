"""`sandbox`: run the template's workflows offline from the command line.

Exit codes: 0 the execution succeeded, 1 it failed (FAILED, TIMED_OUT, ABORTED),
2 bad usage or unreadable input, 141 the reader of the output went away (`sandbox list | head`,
as a tool killed by SIGPIPE). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import ClientError

from sandbox import samples, serve_command
from sandbox.history import format_duration, format_table, json_default, virtual_duration
from sandbox.progress import ProgressLine
from sandbox.samples import MOCK_CONFIG_FILE, SEED_FILE, callback_answer, sample_events
from sandbox.teststate import command as test_state_command

if TYPE_CHECKING:
    from sandbox.core import Run, Sandbox

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13
"""What a shell reports for a command killed by SIGPIPE."""
STALL_SECONDS = 60.0
"""Without --timeout, a run is given up only when nothing moved (no state, Map item or virtual time) this long."""
LISTED_TRIGGERED = 20
"""More executions set off by one run than this are summed up by outcome rather than listed one by one."""
KEPT_RUNS = 101
"""Runs kept for `sandbox view` at most: the run and its first 100 (thousands would fill the disk)."""
RUNS_DIR = Path(".sandbox") / "runs"
"""The runs of the last `run`, `demo` or `cost`, relative to the template's folder (`sandbox view` reads them)."""


class UsageError(Exception):
    """Bad arguments or unreadable input: exit 2 with a one-line reason."""


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line on stderr (`--help` shows the usage), as for every other usage error."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("sandbox").strip()
        raise UsageError(f"{command + ': ' if command else ''}{message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--template", default="template.yaml", help="SAM template (default: template.yaml)")
    parser.add_argument("--stand-in", action="append", default=[], metavar="FUNCTION=FILE.py:NAME",
                        help="answer a function's invocations with a Python function (e.g. one whose runtime the "
                             "sandbox cannot run); repeatable")
    parser.add_argument("--parameter-overrides", action="append", metavar="OVERRIDES", default=[],
                        help="template parameters, as SAM CLI takes them: 'Key=Value Key2=Value2' or "
                             "'ParameterKey=Key,ParameterValue=Value' (default: parameter_overrides of "
                             "samconfig.toml beside the template)")
    parser.add_argument("--stack-name", help="the stack name resource names derive from (default: stack_name of "
                                             "samconfig.toml beside the template, else sfn-suite)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the state machines of the template and how each starts")
    commands.add_parser("check", help="list every Task of every state machine and whether the sandbox answers it "
                                      "(exit 1 if some need a mock)")
    run = commands.add_parser("run", help="run one workflow with one event")
    run.add_argument("workflow", help="workflow slug or logical ID, e.g. document-processing")
    run.add_argument("--event", required=True, help="event JSON file, or - for stdin")
    run.add_argument("--seed", help="S3 objects to create first (default: objects.json beside the event)")
    run.add_argument("--output", choices=("table", "json"), default="table")
    run.add_argument("--html", metavar="PATH", help="also write the execution's page (graph, history, timeline)")
    _answer_options(run)
    demo = commands.add_parser("demo", help="run every workflow with every event in events/<slug>/")
    demo.add_argument("--events-dir", default="events")
    view = commands.add_parser("view", help="write the pages of the runs of the last `run`, `demo` or `cost`")
    view.add_argument("--out", metavar="DIR", help=f"where to write them (default: {RUNS_DIR})")
    serve_command.add_parser(commands)
    test_state_command.add_parser(commands)
    cost = commands.add_parser("cost", help="run one workflow with one event and estimate its cost in USD")
    cost.add_argument("workflow", help="workflow slug or logical ID, e.g. document-processing")
    cost.add_argument("--event", required=True, help="event JSON file, or - for stdin")
    cost.add_argument("--seed", help="S3 objects to create first (default: objects.json beside the event)")
    cost.add_argument("--executions", type=int, default=1_000_000, metavar="N",
                      help="executions per month for the monthly estimate (default: 1000000)")
    _answer_options(cost)
    return parser


def _answer_options(command: argparse.ArgumentParser) -> None:
    """How the execution starts and how its callback tasks are answered (`run` and `cost`)."""
    command.add_argument("--test-case", metavar="NAME",
                         help="start as <state machine ARN>#NAME: that Step Functions Local MockConfigFile test "
                              f"case answers its Task states (default: the one named like the event file in "
                              f"{MOCK_CONFIG_FILE} beside it, if any)")
    command.add_argument("--mock-config", metavar="FILE",
                         help=f"the MockConfigFile for --test-case (default: {MOCK_CONFIG_FILE} beside the event, "
                              "else $SFN_MOCK_CONFIG, as Step Functions Local)")
    command.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                         help="give up after SECONDS of wall time (default: only once nothing has moved for "
                              f"{STALL_SECONDS:g} s; a long run shows its progress on stderr)")
    answer = command.add_mutually_exclusive_group()
    answer.add_argument("--approve", nargs="?", const="{}", metavar="JSON",
                        help="answer every callback task with SendTaskSuccess (output JSON, default {})")
    answer.add_argument("--reject", nargs="?", const="Rejected", metavar="ERROR",
                        help="answer every callback task with SendTaskFailure (error name, default Rejected)")


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`sandbox list | head`): stop quietly. Later writes, and the interpreter's
        # flush at exit, go to /dev/null instead of raising again.
        with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a file (captured in tests)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _main(argv: list[str] | None) -> int:
    from sandbox.intrinsics import TemplateError

    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exit_:  # --help
            return EXIT_USAGE if exit_.code else EXIT_OK
        logging.getLogger("moto").setLevel(logging.CRITICAL)
        return _COMMANDS[args.command](args)
    except (UsageError, TemplateError) as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return EXIT_USAGE


def entry() -> NoReturn:
    """The `sandbox` command: `main`, then the process ends without tearing its objects down.

    A run leaves a few million objects behind (moto's models, service models, ASL programs):
    freeing them one by one at interpreter exit costs about half a second and changes nothing.
    The output is flushed, logging shut down, and the process exits with `main`'s code.
    The garbage collector is off until a sandbox runs (it turns it on, see
    `engine.freeze_provisioned`): what the imports and the start allocate lives to the end, and
    collecting it again and again cost a fifth of a short run.
    """
    gc.disable()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`sandbox run ... | head`): as `main` reports it
        code = EXIT_BROKEN_PIPE
    logging.shutdown()
    os._exit(code)


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return seconds


def _patience(args: argparse.Namespace, progress: ProgressLine) -> dict[str, Any]:
    """How long the sandbox's waits go on (see Sandbox.settle): --timeout, else until nothing moves."""
    timeout = getattr(args, "timeout", None)
    return {"wall_timeout": timeout, "stall_timeout": None if timeout else STALL_SECONDS,
            "on_progress": progress.update}


def register_stand_ins(sb: Sandbox, specs: list[str]) -> None:
    """`--stand-in FUNCTION=FILE.py:NAME` options: each Python function answers that function's invocations."""
    from sandbox.core import SandboxError

    for spec in specs:
        logical_id, handler = _stand_in(spec)
        try:
            sb.register_function(logical_id, handler)
        except SandboxError as error:
            raise UsageError(f"--stand-in {spec}: {error}") from None


def _stand_in(spec: str) -> tuple[str, Callable[[Any, Any], Any]]:
    """`LogicalId=path/to/file.py:function` -> (LogicalId, the function)."""
    import importlib.util

    logical_id, _, target = spec.partition("=")
    file, _, name = target.rpartition(":")
    if not logical_id or not file or not name:
        raise UsageError(f"--stand-in {spec}: expected FUNCTION=FILE.py:NAME, e.g. MyJavaFn=stand_ins.py:handler")
    module_spec = importlib.util.spec_from_file_location(f"_sandbox_stand_in_{logical_id}", file)
    if not Path(file).is_file() or module_spec is None or module_spec.loader is None:
        raise UsageError(f"--stand-in {spec}: no Python file {file}")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        raise UsageError(f"--stand-in {spec}: {file} does not import: {type(error).__name__}: {error}") from None
    handler = getattr(module, name, None)
    if not callable(handler):
        raise UsageError(f"--stand-in {spec}: {file} has no function {name}")
    return logical_id, handler


def _template(args: argparse.Namespace) -> Path:
    """The template file; a CDK project (no template, a cdk.json) is told how to get one."""
    from sandbox.stack import CDK_PROJECT

    template = Path(args.template)
    if template.is_file():
        return template
    folder = template.parent if template.parent.is_dir() else Path()
    if (folder / "cdk.json").is_file() or (template.is_dir() and (template / "cdk.json").is_file()):
        raise UsageError(f"template not found: {template}; {CDK_PROJECT}")
    raise UsageError(f"template not found: {template}")


def sandbox_options(args: argparse.Namespace) -> dict[str, Any]:
    """The stack name and parameter overrides the top-level options give (None/empty: samconfig.toml's)."""
    from sandbox.stack import parse_parameter_overrides

    parameters: dict[str, str] = {}
    for overrides in getattr(args, "parameter_overrides", None) or []:
        parameters.update(parse_parameter_overrides(overrides))
    return {"stack_name": getattr(args, "stack_name", None), "parameters": parameters}


@contextmanager
def _sandbox(args: argparse.Namespace) -> Iterator[Any]:
    """The template's sandbox, started; one warning line names what it did not create."""
    from sandbox.core import Sandbox

    sb = Sandbox.from_template(_template(args), **sandbox_options(args))
    register_stand_ins(sb, getattr(args, "stand_in", []))
    with sb:
        if sb.skipped:
            print(f"sandbox: warning: not created offline (type not supported): {', '.join(sb.skipped)}",
                  file=sys.stderr)
        yield sb


def _check(args: argparse.Namespace) -> int:
    """Who answers each Task (sandbox/check.py), read from the template without running anything."""
    from sandbox import check
    from sandbox.stack import Stack

    checks = check.check(Stack.from_file(_template(args).resolve(), **sandbox_options(args)))
    print(check.format_checks(checks))
    return EXIT_OK if all(c.answered for c in checks) else EXIT_FAILED


def _list(args: argparse.Namespace) -> int:
    """The template's state machines: the name `run` takes, type, logical ID, physical name and how each starts."""
    from sandbox import workflows
    from sandbox.provision import state_machine_definitions

    path = _template(args)
    stack, found = workflows.load(path, **sandbox_options(args))
    # What `run` would refuse (a parameter without value, an unreadable or invalid ASL), `list` refuses too.
    state_machine_definitions(stack)
    if not found:
        print(f"{path}: no state machine (AWS::Serverless::StateMachine or AWS::StepFunctions::StateMachine)")
        return EXIT_OK
    rows = [("WORKFLOW", "TYPE", "LOGICAL ID", "NAME", "STARTS")]
    rows += [(w.slug, w.type, w.logical_id, w.name, "; ".join(s.describe() for s in workflows.starts(stack, w)))
             for w in found]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return EXIT_OK


def _read_event(source: str) -> Any:
    return read_json(source, "event")


def read_json(source: str, what: str) -> Any:
    """The JSON document of a file (or stdin for -); UsageError naming `what` if it is not one."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as error:
        raise UsageError(f"cannot read {what} {source}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what} {source} is not UTF-8 text") from None
    return parse_json(text, f"{what} {source}")


def parse_json(text: str, what: str) -> Any:
    """`text` as JSON; UsageError naming `what` if it is not JSON (or nested beyond what Python reads)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{what} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        raise UsageError(f"{what} is not valid JSON: nested too deeply") from None


def _seed(sb: Sandbox, path: Path) -> None:
    """`sb.seed(path)`, with a file that is not a seed file (objects.json format) as a usage error."""
    if not isinstance(read_json(str(path), "seed file"), dict):
        raise UsageError(f"seed file {path} must hold a JSON object (bucket or table -> objects)")
    from sandbox.core import SandboxError

    try:
        sb.seed(path)
    except SandboxError as error:
        raise UsageError(str(error)) from None
    except (KeyError, AttributeError, TypeError, ClientError) as error:
        raise UsageError(f"seed file {path} does not fit the template: {type(error).__name__}: {error}") from None


def _seed_file(args: argparse.Namespace) -> Path | None:
    if args.seed:
        if not Path(args.seed).is_file():
            raise UsageError(f"seed file not found: {args.seed}")
        return Path(args.seed)
    if args.event != "-":
        beside = Path(args.event).parent / SEED_FILE
        if beside.is_file():
            return beside
    return None


@contextmanager
def _sandbox_for_event(args: argparse.Namespace) -> Iterator[tuple[Sandbox, Any]]:
    """The sandbox with the event read, the workflow checked and the seed objects in place."""
    event = _read_event(args.event)
    seed = _seed_file(args)
    from sandbox.core import SandboxError

    with _sandbox(args) as sb:
        try:
            args.workflow = sb.workflow(args.workflow).slug
        except SandboxError as error:
            raise UsageError(str(error)) from None
        if seed:
            _seed(sb, seed)
        yield sb, event


def _run(args: argparse.Namespace) -> int:
    from sandbox.core import SandboxError

    _resolve_test_case(args)
    if args.html and Path(args.html).is_dir():
        raise UsageError(f"--html {args.html} is a folder: give the page's file name, "
                         f"e.g. {Path(args.html) / 'run.html'}")

    with _sandbox_for_event(args) as (sb, event):
        started = time.perf_counter()
        progress = ProgressLine()
        try:
            run = _run_to_the_end(sb, args, event, progress)
            # What the run set in motion: executions started by its events, service timers due later.
            triggered = [r for r in sb.settle(**_patience(args, progress)) if r.execution_arn != run.execution_arn]
        except SandboxError as error:
            progress.close()
            print(f"sandbox: {error}", file=sys.stderr)
            return EXIT_FAILED
        progress.close()
        story = _Story(run, triggered, sb.all_notifications(), _business_events(sb), time.perf_counter() - started,
                       [failure.describe() for failure in sb.failed_invocations])
        _print_story(story, args.output)
        if args.test_case and args.output == "table":
            assert sb.faults is not None  # a started sandbox has its fault plan
            mocked = [f"{i.state} (attempt {i.attempt + 1})" for i in sb.faults.injected
                      if i.execution_arn == run.execution_arn]
            print(f"Mocked: {', '.join(mocked) or 'nothing'}, by test case {args.test_case} of {args.mock_config}")
        _keep_runs(args, sb, [run, *triggered], {run.execution_arn: triggered})
        if args.html:
            from sandbox import view

            try:
                page = view.write(run, sb.workflow(run.workflow).definition, args.html, triggered=triggered)
            except OSError as error:
                raise UsageError(f"cannot write --html {args.html}: {error.strerror}") from None
            print(f"Page:   {page}", file=sys.stderr if args.output == "json" else sys.stdout)
    return EXIT_OK if run.succeeded else EXIT_FAILED


def _keep_runs(args: argparse.Namespace, sb: Sandbox, runs: list[Run],
               set_off: dict[str, list[Run]] | None = None) -> None:
    """Save the runs of this invocation for `sandbox view` (the previous invocation's are replaced).

    `set_off`: the runs each run set off, by its execution ARN (their pages show each other on the timeline).
    """
    from sandbox import view

    set_off = set_off or {}
    if len(runs) > KEPT_RUNS:
        print(f"sandbox: {KEPT_RUNS:,} of {len(runs):,} runs kept for `sandbox view`", file=sys.stderr)
        runs = runs[:KEPT_RUNS]
    kept = {run.execution_arn: run for run in runs}
    set_off_by = {other.execution_arn: kept[arn] for arn, others in set_off.items() if arn in kept for other in others}
    records = [view.raw_record(r, sb.workflow(r.workflow).definition, triggered=set_off.get(r.execution_arn, ()),
                               set_off_by=set_off_by.get(r.execution_arn))
               for r in runs if r.workflow in sb.state_machines]
    try:
        view.save_runs(records, Path(args.template).parent / RUNS_DIR)
    except OSError as error:  # a read-only checkout still runs workflows
        print(f"sandbox: runs not kept for `sandbox view`: {error.strerror}", file=sys.stderr)


def _view(args: argparse.Namespace) -> int:
    from sandbox import view

    runs_dir = Path(args.template).parent / RUNS_DIR
    saved = view.saved_runs(runs_dir)
    if not saved:
        raise UsageError(f"no runs kept in {runs_dir}: run `sandbox run`, `sandbox demo` or `sandbox cost` first")
    out = Path(args.out) if args.out else runs_dir
    for path in saved:
        data = json.loads(path.read_text())
        page = view.write(data, data["definition"], out / f"{path.stem}.html")
        print(f"{page}  {data['workflow']} {data['status']}")
    return EXIT_OK


def _resolve_test_case(args: argparse.Namespace) -> None:
    """--test-case and --mock-config, defaulting to the sample's own (samples.sample_test_case)."""
    if args.mock_config and not Path(args.mock_config).is_file():
        raise UsageError(f"MockConfigFile not found: {args.mock_config}")
    if args.event == "-":
        return
    beside = Path(args.event).parent / MOCK_CONFIG_FILE
    if not args.test_case:
        args.test_case = samples.sample_test_case(Path(args.event), args.workflow)
    if not args.mock_config and beside.is_file():
        args.mock_config = str(beside)


def _run_to_the_end(sb: Sandbox, args: argparse.Namespace, event: Any, progress: ProgressLine) -> Run:
    """Start the execution (as its test case, if any) and answer its callbacks as the options say."""
    approve = _approval(args)  # bad JSON is refused before anything starts
    if args.mock_config:
        assert sb.faults is not None  # a started sandbox has its fault plan
        sb.faults.mock_config = args.mock_config
    try:
        arn = sb.start(args.workflow, json.dumps(event), test_case=args.test_case)
    except ClientError as error:  # an unknown test case: InvalidName, as Step Functions Local says
        raise UsageError(error.response["Error"]["Message"]) from None
    return sb.answer_callbacks(arn, approve=approve,
                               reject=(args.reject, "Rejected from the sandbox CLI") if args.reject else None,
                               **_patience(args, progress))


def _cost(args: argparse.Namespace) -> int:
    from sandbox import cost
    from sandbox.core import SandboxError

    if args.executions < 0:
        raise UsageError("--executions must be 0 or more")
    _resolve_test_case(args)
    with _sandbox_for_event(args) as (sb, event):
        progress = ProgressLine()
        with cost.LambdaMeter(sb) as meter:
            try:
                run = _run_to_the_end(sb, args, event, progress)
            except SandboxError as error:
                progress.close()
                print(f"sandbox: {error}", file=sys.stderr)
                return EXIT_FAILED
            progress.close()
        usage = cost.usage(run, sb, meter.billed_ms())
        _keep_runs(args, sb, [run])
    print(cost.format_estimate(usage, cost.load_prices(), args.executions))
    return EXIT_OK


def _approval(args: argparse.Namespace) -> Any:
    if args.approve is None:
        return None
    try:
        return json.loads(args.approve)
    except json.JSONDecodeError as error:
        raise UsageError(f"--approve takes JSON: {error.msg}") from None


@dataclass
class _Story:
    """One CLI run: the execution, what it triggered, and what it told the world."""

    run: Run
    triggered: list[Run]
    notifications: dict[str, list[dict[str, Any]]]
    events: list[dict[str, Any]]
    wall_seconds: float
    lost: list[str] = field(default_factory=list)
    """Asynchronous Lambda invocations that failed after Lambda's retries."""


def _business_events(sb: Sandbox) -> list[dict[str, Any]]:
    """Events put on the template's own buses (S3's events on the default bus are inputs, not results)."""
    return [event for event in sb.published() if event.get("source") != "aws.s3"]


def _print_story(story: _Story, output: str) -> None:
    run = story.run
    if output == "json":
        print(indented_json({
            "status": run.status, "output": run.output, "error": run.error, "cause": run.cause,
            "path": run.path, "history": run.history,
            "triggered": [{"workflow": r.workflow, "status": r.status, "path": r.path, "output": r.output,
                           "error": r.error} for r in story.triggered],
            "notifications": story.notifications, "events": story.events, "lost": story.lost,
        }))
        return
    print(format_table(run.history))
    print()
    print(f"Path:   {' -> '.join(run.path)}")
    print(f"Status: {run.status}")
    if run.error:
        print(f"Error:  {run.error}: {run.cause}")
    else:
        print(f"Output: {json.dumps(run.output)}")
    if len(story.triggered) <= LISTED_TRIGGERED:
        for other in story.triggered:
            print(f"Then:   {other.workflow} {other.status} at +{format_duration(_offset(run, other))} "
                  f"({' -> '.join(other.path)})")
    else:  # thousands of executions (one per restored object...): one line per kind of outcome
        outcomes: dict[tuple[str, str, tuple[str, ...]], list[float]] = {}
        for other in story.triggered:
            outcomes.setdefault((other.workflow, other.status, tuple(other.path)), []).append(_offset(run, other))
        for (workflow, status, path), offsets in outcomes.items():
            print(f"Then:   {len(offsets):,} x {workflow} {status} from +{format_duration(min(offsets))} "
                  f"to +{format_duration(max(offsets))} ({' -> '.join(path)})")
    for event in story.events:
        print(f"Event:  {event['detail-type']} from {event['source']}")
    for topic, messages in story.notifications.items():
        for message in messages:
            print(f"Notify: {topic}: {message['subject'] or ''} {message['message'][:160]}".rstrip())
    for failure in story.lost:
        print(f"Lost:   {failure}")
    last = max([run, *story.triggered], key=lambda r: r.stop_date or r.start_date)
    virtual = virtual_duration(run.history) if last is run else _offset(run, last, end=True)
    print(f"Time:   {format_duration(virtual)} virtual, {story.wall_seconds:.2f} s wall")


def indented_json(value: Any) -> str:
    """`json.dumps(jsonable(value), indent=2)`'s text, without `jsonable`'s encode and decode of the whole story
    first (seconds for ten thousand triggered runs): what JSON has no type for is written as `jsonable` writes it."""
    return json.dumps(value, indent=2, default=json_default)


def _offset(first: Run, other: Run, end: bool = False) -> float:
    """Virtual seconds from `first`'s start to `other`'s start (or end)."""
    reference = first.history[0]["timestamp"]
    moment = other.history[-1 if end else 0]["timestamp"]
    return (moment - reference).total_seconds()


def _demo(args: argparse.Namespace) -> int:
    events_dir = Path(args.events_dir)
    if not events_dir.is_dir():
        raise UsageError(f"events folder not found: {events_dir} (it holds one folder of sample events per workflow)")
    runs: list[Run] = []
    set_off: dict[str, list[Run]] = {}
    with _sandbox(args) as sb:
        for slug in sorted(sb.state_machines):
            folder = events_dir / slug
            cases = sample_events(folder)
            if not cases:
                print(f"\n== {slug}: no sample events (started by another workflow's events) ==")
                continue
            if (folder / SEED_FILE).is_file():
                _seed(sb, folder / SEED_FILE)
            answer = callback_answer(folder)
            print(f"\n== {slug} ({len(cases)} events) ==")
            for case in cases:
                known = {r.execution_arn for r in sb.executions()}
                lost_before = len(sb.failed_invocations)
                progress = ProgressLine()
                run = sb.answer_callbacks(samples.start(sb, slug, case), approve=answer, **_patience(args, progress))
                triggered = [r for r in sb.settle(**_patience(args, progress))
                             if r.execution_arn not in known | {run.execution_arn}]
                progress.close()
                runs.extend([run, *triggered])
                set_off[run.execution_arn] = triggered
                outcome = run.status if run.succeeded else f"{run.status} ({run.error})"
                print(f"  {case.stem:26} {outcome}\n  {'':26} {' -> '.join(run.path)}")
                for other in triggered:
                    print(f"  {'':26} then {other.workflow}: {other.status}")
                for failure in sb.failed_invocations[lost_before:]:
                    print(f"  {'':26} lost: {failure.describe()}")
        _keep_runs(args, sb, runs, set_off)
    return EXIT_OK


_COMMANDS = {"list": _list, "check": _check, "run": _run, "demo": _demo, "view": _view, "cost": _cost,
             "serve": serve_command.main, "test-state": test_state_command.main}

if __name__ == "__main__":
    entry()
