"""Asynchronous Lambda invocations (an EventBridge target, `InvocationType=Event`), as Lambda runs them.

Lambda queues the event and answers at once. A function that fails is tried twice more, one minute
then two minutes later (on the virtual clock), within the function's `EventInvokeConfig`
(`MaximumRetryAttempts` 0-2, `MaximumEventAgeInSeconds`). An event that still fails goes to the
function's on-failure destination (`EventInvokeConfig.DestinationConfig.OnFailure`: an SQS queue, SNS
topic, function or event bus, which receives Lambda's invocation record) and to its dead-letter queue
(`DeadLetterQueue` / `DeadLetterConfig`: the event itself, with RequestID/ErrorCode/ErrorMessage
attributes). Either way it is kept in `failures`, so a run shows what was lost instead of dropping it.
A success goes to the `OnSuccess` destination, if any.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RETRY_DELAYS_SECONDS = (60, 120)
"""Lambda waits about a minute before the second attempt and two before the third."""
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 6 * 60 * 60


_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AsyncConfig:
    """How Lambda handles one function's asynchronous invocations."""

    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter: str | None = None


@dataclass
class FailedInvocation:
    """An event Lambda gave up on: what failed, how often, and where it was sent."""

    function: str
    """The function's name."""
    event: Any
    condition: str
    """RetriesExhausted or EventAgeExceeded, as the invocation record says."""
    attempts: int
    error_type: str
    error_message: str
    sent_to: list[str] = field(default_factory=list)
    """ARNs of the destination / dead-letter queue that received it (empty: it is only recorded here)."""

    def describe(self) -> str:
        where = ", ".join(self.sent_to) if self.sent_to else "no on-failure destination or dead-letter queue"
        return (f"{self.function} failed {self.attempts} time(s) ({self.condition}): {self.error_type}: "
                f"{self.error_message} -> {where}")


@dataclass
class _Pending:
    function_name: str
    event: Any
    request_id: str
    queued_at: float
    attempts: int = 0


def configs_of(stack: Any) -> dict[str, AsyncConfig]:
    """Each function's asynchronous settings, by function name, from the template."""
    configs: dict[str, dict[str, Any]] = {}
    names = {}
    for resource in stack.of_type("AWS::Serverless::Function", "AWS::Lambda::Function"):
        names[resource.ref] = resource.name
        names[resource.attributes.get("Arn", "")] = resource.name
        props = stack.resolve(resource.properties)
        config = configs.setdefault(resource.name, {})
        dead_letter = props.get("DeadLetterQueue") or props.get("DeadLetterConfig") or {}
        if dead_letter.get("TargetArn"):
            config["dead_letter"] = dead_letter["TargetArn"]
        config.update(_invoke_config(props.get("EventInvokeConfig") or {}))
    for resource in stack.of_type("AWS::Lambda::EventInvokeConfig"):
        props = stack.resolve(resource.properties)
        name = names.get(props.get("FunctionName"), str(props.get("FunctionName", "")).split(":")[-1])
        configs.setdefault(name, {}).update(_invoke_config(props))
    return {name: AsyncConfig(**config) for name, config in configs.items()}


def _invoke_config(props: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if "MaximumRetryAttempts" in props:
        config["maximum_retry_attempts"] = int(props["MaximumRetryAttempts"])
    if "MaximumEventAgeInSeconds" in props:
        config["maximum_event_age_seconds"] = int(props["MaximumEventAgeInSeconds"])
    destinations = props.get("DestinationConfig") or {}
    for key, attribute in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
        destination = (destinations.get(key) or {}).get("Destination")
        if destination:
            config[attribute] = destination
    return config


class AsyncInvocations:
    """Runs queued events through `invoke(function_name, event) -> (status, payload, function_error)`."""

    def __init__(self, invoke: Callable[[str, Any], tuple[int, Any, str | None]], clock: Any,
                 arn_of: Callable[[str], str], name_of: Callable[[str], str | None],
                 client_for: Callable[[str], Any]) -> None:
        self._invoke = invoke
        self.clock = clock
        self._arn_of = arn_of
        self._name_of = name_of
        self._client_for = client_for
        self.configs: dict[str, AsyncConfig] = {}
        self.failures: list[FailedInvocation] = []
        self._lock = threading.Lock()
        self._running: set[threading.Thread] = set()
        self._stopped = False

    def submit(self, function_name: str, event: Any) -> None:
        """Queue one event for a known function (the caller checked it exists); returns at once.

        Once stopped, nothing new starts: the sandbox that owned these invocations is going away.
        """
        pending = _Pending(function_name, event, str(uuid.uuid4()), self.clock.time())
        with self._lock:
            if self._stopped:
                _log.warning("sandbox stopped: asynchronous invocation of %s dropped", function_name)
                return
            # The hold bridges the thread's start: the clock must not jump past the first attempt.
            self.clock.reserve()
            thread = threading.Thread(target=self._first_attempt, args=(pending,),
                                      name=f"sandbox-lambda-{function_name}", daemon=True)
            self._running.add(thread)
        thread.start()

    def stop(self, wall_timeout: float = 5.0) -> None:
        """Start no more invocations and wait (wall time) for the ones still running on their threads."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        deadline = time.monotonic() + wall_timeout
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = sorted(thread.name for thread in running if thread.is_alive())
        if stuck:
            _log.warning("Lambda invocations still running after the sandbox stopped: %s", ", ".join(stuck))

    def _first_attempt(self, pending: _Pending) -> None:
        try:
            with self.clock.adopted():
                self._attempt(pending)
        finally:
            with self._lock:
                self._running.discard(threading.current_thread())

    def _attempt(self, pending: _Pending) -> None:
        if self._stopped:
            return  # a retry due after the sandbox stopped: nobody is there to receive it
        pending.attempts += 1
        _status, payload, function_error = self._invoke(pending.function_name, pending.event)
        name = self._name_of(pending.function_name) or pending.function_name
        config = self.configs.get(name, AsyncConfig())
        if not function_error:
            if config.on_success:
                self._send_record(config.on_success, pending, "Success", payload, None)
            return
        retries_done = pending.attempts - 1
        if retries_done < min(config.maximum_retry_attempts, len(RETRY_DELAYS_SECONDS)):
            delay = RETRY_DELAYS_SECONDS[retries_done]
            if self.clock.time() + delay - pending.queued_at <= config.maximum_event_age_seconds:
                self.clock.call_later(delay, lambda: self._attempt(pending))
                return
            condition = "EventAgeExceeded"
        else:
            condition = "RetriesExhausted"
        self._give_up(pending, name, config, condition, payload, function_error)

    def _give_up(self, pending: _Pending, name: str, config: AsyncConfig, condition: str, payload: Any,
                 function_error: str) -> None:
        error = payload if isinstance(payload, dict) else {}
        failure = FailedInvocation(name, pending.event, condition, pending.attempts,
                                   str(error.get("errorType", function_error)), str(error.get("errorMessage", "")))
        sends = [(config.on_failure, lambda arn: self._send_record(arn, pending, condition, payload, function_error)),
                 (config.dead_letter, lambda arn: self._send_dead_letter(arn, pending, failure))]
        for target, send in sends:
            if not target:
                continue
            try:
                send(target)
                failure.sent_to.append(target)
            except Exception as error:  # a destination the template names but the sandbox lacks: say so, go on
                failure.sent_to.append(f"{target} (not delivered: {error})")
        with self._lock:
            self.failures.append(failure)

    # -- where failed events go -------------------------------------------------------
    def _send_record(self, destination: str, pending: _Pending, condition: str, payload: Any,
                     function_error: str | None) -> None:
        """Lambda's invocation record, to an SQS queue, SNS topic, function or event bus."""
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if function_error:
            response_context["functionError"] = function_error
        record = {
            "version": "1.0",
            "timestamp": datetime.fromtimestamp(self.clock.time(), UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "requestContext": {"requestId": pending.request_id,
                               "functionArn": f"{self._arn_of(pending.function_name)}:$LATEST",
                               "condition": condition, "approximateInvokeCount": pending.attempts},
            "requestPayload": pending.event,
            "responseContext": response_context,
            "responsePayload": payload,
        }
        service = destination.split(":")[2]
        if service == "events":
            outcome = "Success" if condition == "Success" else "Failure"
            self._client_for("events").put_events(Entries=[{
                "Source": "lambda", "DetailType": f"Lambda Function Invocation Result - {outcome}",
                "Detail": json.dumps(record), "EventBusName": destination,
                "Resources": [destination, self._arn_of(pending.function_name)]}])
        else:
            self._deliver(destination, json.dumps(record), {})

    def _send_dead_letter(self, target: str, pending: _Pending, failure: FailedInvocation) -> None:
        """The event itself, with the attributes Lambda adds to a dead-letter message."""
        attributes = {"RequestID": pending.request_id, "ErrorCode": "200", "ErrorMessage": failure.error_message[:1024]}
        self._deliver(target, json.dumps(pending.event), attributes)

    def _deliver(self, target: str, body: str, attributes: dict[str, str]) -> None:
        service = target.split(":")[2]
        typed = {name: {"DataType": "Number" if name == "ErrorCode" else "String", "StringValue": value}
                 for name, value in attributes.items()}
        if service == "sqs":
            sqs = self._client_for("sqs")
            url = sqs.get_queue_url(QueueName=target.split(":")[5], QueueOwnerAWSAccountId=target.split(":")[4])
            sqs.send_message(QueueUrl=url["QueueUrl"], MessageBody=body, MessageAttributes=typed)
        elif service == "sns":
            self._client_for("sns").publish(TopicArn=target, Message=body, MessageAttributes=typed)
        elif service == "lambda":
            self._client_for("lambda").invoke(FunctionName=target, InvocationType="Event", Payload=body.encode())
