"""Every patch the sandbox makes to moto, listed once, in the order it is installed.

Each entry names a module of `sandbox.moto_fixes` (it exposes an idempotent `install()`) and
the AWS behaviour it restores. A new fix is one more line in `FIXES`; a moto upgrade is
checked against this list. Order matters where two fixes wrap the same method: a later fix
wraps an earlier one (`task_outcome` comes last, so a planned failure passes through every
other `_from_error` untouched).

Nothing is uninstalled: the fixes that need a sandbox (the virtual clock, event delivery,
planned task outcomes) do nothing while none runs, as the sandbox deactivates them when it
stops; the others make moto behave as AWS does in any case. `installed()` says what this
process has patched.
"""

from __future__ import annotations

import importlib
import threading
from typing import Final, NamedTuple

PACKAGE: Final[str] = "sandbox.moto_fixes"


class Fix(NamedTuple):
    module: str
    """Module name under `sandbox.moto_fixes`."""
    restores: str
    """The AWS behaviour it restores, in one line."""
    on_demand: bool = False
    """Installed by the code that needs it, not by `install_all` (lambda_server: when the loopback server starts,
    since importing moto's Lambda responses costs every start ~0.7 s)."""


FIXES: Final[tuple[Fix, ...]] = (
    Fix("lazy_imports", "moto.batch (and moto.ec2) load on first use, not at every start (speed only)."),
    Fix("parse_cache", "A definition is parsed and validated once, as a deployed state machine is (speed only)."),
    Fix("program_cache", "A validated, preprocessed program per definition text, kept on disk (speed only)."),
    Fix("shared_loader", "botocore's data files are read once per process (speed only)."),
    Fix("mock_routes", "moto's mock routes are built once per process, not at every mock start (speed only)."),
    Fix("default_session", "boto3's lazily made default session never replaces the one a sandbox installed."),
    Fix("result_path_cache", "A ResultPath is parsed once, not at every state (speed only)."),
    Fix("json_copy", "State data is copied as JSON, not with copy.deepcopy (speed only)."),
    Fix("json_text", "History events' JSON texts come from encoders built once, not one per text (speed only)."),
    Fix("history_writing", "History events encode a state's input uncopied (speed only)."),
    Fix("state_output", "A state's output is copied once, encoded once for its quota and its history (speed only)."),
    Fix("eval_step", "An evaluation step skips the calls that do nothing (debug logging off) (speed only)."),
    Fix("thread_list", "moto's list of started threads keeps no ended thread (memory only)."),
    Fix("execution_index", "Executions are found by ARN and name at once, not by a scan of them all (speed only)."),
    Fix("preprocessor_scope", "Definitions read at once (JSONata and JSONPath alike) never share parser state."),
    Fix("dispatch_cache", "moto's request dispatch stops recomputing what never changes (speed only)."),
    Fix("serializer_cache", "Response members' candidate names are found once per shape, not per value (speed only)."),
    Fix("serializer_timestamps", "Timestamps held as ISO or HTTP-date text are written without dateutil (speed only)."),
    Fix("request_environ", "moto's request object is written from botocore's, not by a test client (speed only)."),
    Fix("map_pool", "A Map's workers take any number of items in a loop (moto recursed once per item)."),
    Fix("virtual_time", "Waits, Retry back-off, timeouts and history timestamps run on the sandbox's clock, in UTC."),
    Fix("heartbeat", "A missed heartbeat is States.HeartbeatTimeout, its window counted from the last beat."),
    Fix("bucket_policy", "Bucket policy Conditions are evaluated (TLS SDK calls pass a deny-unless-TLS policy)."),
    Fix("errors", "States.* error names survive Parallel, Map and Fail states; ErrorEquals takes any States.* name."),
    Fix("json_strings", "Strings in a definition are JSON strings: their escapes are decoded, as AWS reads them."),
    Fix("intrinsic_escapes", "Escapes in intrinsic functions' string literals are read as AWS reads them."),
    Fix("assign_scope", "A state's Assign takes effect when it ends: its own OutputPath/Output see earlier values."),
    Fix("map_items", "Map's 'items must be an array' cause prints the JSON value, as AWS does."),
    Fix("choice_variable", "A Choice rule's missing variable is noted without writing the input out (speed only)."),
    Fix("choice", "A Choice with no matching rule and no Default fails with States.NoChoiceMatched."),
    Fix("sdk_errors", "aws-sdk task errors are named <ServiceName>.<ErrorName>Exception."),
    Fix("sdk_results", "aws-sdk task results have AWS's JSON shapes (S3 Body text, ISO timestamps)."),
    Fix("jsonpath", "JSONPath results have Jayway's shapes (definite: the value; indefinite: a list)."),
    Fix("payload_quota", "The 256 KiB payload quota is measured on compact UTF-8 JSON and is inclusive."),
    Fix("api", "StartExecution names, input limit, SendTaskFailure/StopExecution causes; cached clients."),
    Fix("execution_record", "An ended execution's record is complete when its status says so; RedriveCount is 0."),
    Fix("dynamodb_atomic", "DynamoDB item writes are atomic, their ReturnValues those of the write itself."),
    Fix("dynamodb_expressions", "DynamoDB expressions are parsed once per text, checked without rework (speed only)."),
    Fix("history_timestamps", "History event timestamps are formatted without strftime (speed only)."),
    Fix("dynamodb_item_size", "A new DynamoDB item's size limit is checked with a running total (speed only)."),
    Fix("dynamodb_responses", "DynamoDB's answers are written by a writer made once per shape (speed only)."),
    Fix("dynamodb_old_image", "UpdateItem copies the old item only for a table's stream, its one reader (speed only)."),
    Fix("dynamodb_put_checks", "A PutItem's empty-set check reads the table's key attributes once (speed only)."),
    Fix("random_strings", "moto's random strings (request ids) are drawn one call per character (speed only)."),
    Fix("sync_execution", "StartSyncExecution runs an Express execution and answers when it ends."),
    Fix("execution_worker", "An execution whose interpreter crashes FAILS with States.Runtime; a stop never raises."),
    Fix("concurrent_end", "A Parallel branch ending after a sibling stopped the program ends quietly."),
    Fix("http_task", "The HTTP Task (arn:aws:states:::http:invoke) is answered by a registered responder or a mock."),
    Fix("unimplemented", "A call moto cannot answer fails its Task with a cause naming the action and the way out."),
    Fix("service_names", "A Task's service action and member names are put in snake_case once each (speed only)."),
    Fix("sfl_history", "TaskScheduled records AWS's resource fields (Step Functions Local's shape on request)."),
    Fix("jsonata", "JSONata is evaluated, with the Step Functions functions and errors."),
    Fix("distributed_map", "Distributed Maps run child executions over every ItemReader page, with tolerances."),
    Fix("item_batcher", "Distributed Map's ItemBatcher hands each child {Items, BatchInput} within its limits."),
    Fix("item_reader", "ItemReader reads JSONL and CSV with its delimiter, as AWS documents."),
    Fix("eventbridge_delivery", "EventBridge delivers to state machine and Lambda targets; S3 to the default bus."),
    Fix("task_outcome", "A FaultPlan or MockConfigFile answer replaces a Task's service call (Step Functions Local)."),
    Fix("lambda_server", "Invoke through moto's server (Node.js handlers' SDK) reaches the sandbox's functions.",
        on_demand=True),
)

_installed: list[Fix] = []
_lock = threading.Lock()


def install_all() -> None:
    """Install every fix in `FIXES` order; safe to call more than once."""
    with _lock:
        for fix in FIXES:
            if not fix.on_demand and fix not in _installed:
                importlib.import_module(f"{PACKAGE}.{fix.module}").install()
                _installed.append(fix)


def installed() -> tuple[Fix, ...]:
    """The fixes this process has installed, in order."""
    with _lock:
        return tuple(_installed)
