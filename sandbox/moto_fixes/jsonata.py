"""Give moto's ASL interpreter a JSONata evaluator, as AWS Step Functions has one.

moto 5.2.5 (derived from LocalStack) ships the plumbing for ``"QueryLanguage": "JSONata"`` but no
evaluator: ``asl/jsonata/jsonata.py`` calls a ``None`` function pointer, so every ``{% ... %}`` field
fails with ``'NoneType' object is not callable``. Its design also splices the whole of ``$states``
and every variable into the expression as JSON text, which breaks on strings holding quotes or
backslashes and re-parses the full state input on every field.

This module evaluates with ``jsonata-python`` instead and passes ``$states``, the workflow
variables and the Step Functions functions as real bindings:

* ``$partition``, ``$range``, ``$hash``, ``$random`` (optional seed), ``$uuid`` and ``$parse`` as AWS
  defines them; ``$eval`` is unbound, as on AWS (use ``$parse``).
* A result that is undefined fails the state with ``States.QueryEvaluationError`` (catchable), as does
  a JSONata runtime error or a function-valued result.

``install()`` patches moto in place and is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, NoReturn

from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.variable_store import VariableStore
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from sandbox.moto_fixes.subclasses import with_subclasses

if TYPE_CHECKING:
    from jsonata import Jsonata
# jsonata-python itself loads at the first JSONata expression (imports below): most definitions are JSONPath.

__all__ = ["JSONataEvaluationError", "evaluate", "install"]

_INSTALL_LOCK: Final = threading.Lock()
_installed: bool = False

_HASH_ALGORITHMS: Final[dict[str, str]] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}

# java.util.Random's linear congruential generator: AWS computes ``$random(seed)`` with it, so
# ``$random(42)`` is 0.7275636800328681 there and must be here too.
_JAVA_RANDOM_MULTIPLIER: Final[int] = 0x5DEECE66D
_JAVA_RANDOM_ADDEND: Final[int] = 0xB
_JAVA_RANDOM_MASK: Final[int] = (1 << 48) - 1


class JSONataEvaluationError(Exception):
    """A JSONata expression failed; ``cause`` is worded for the ``States.QueryEvaluationError``."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


# ---------------------------------------------------------------------------------------------------
# The Step Functions JSONata functions
# ---------------------------------------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    """Raise a JSONata error from inside a function, so it surfaces as States.QueryEvaluationError."""
    from jsonata import JException

    raise JException("D3137", 0, message)


def _as_int(value: Any, function: str, argument: str) -> int:
    """Accept integral numbers only: AWS rejects fractional sizes, bounds and seeds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        _fail(f"{function}: {argument} must be an integer")
    return int(value)


def sfn_partition(array: Any, chunk_size: Any) -> list[list[Any]]:
    """``$partition(array, chunkSize)``: consecutive chunks, the last one possibly shorter."""
    if not isinstance(array, list):
        _fail("$partition: the first argument must be an array")
    size = _as_int(chunk_size, "$partition", "chunk size")
    if size <= 0:
        _fail("$partition: chunk size must be greater than 0")
    items = list(array)
    return [items[i : i + size] for i in range(0, len(items), size)]


def sfn_range(start: Any, end: Any, step: Any) -> list[int] | int:
    """``$range(start, end, step)``: like States.ArrayRange, ``end`` is included when a step lands on it.

    A range of one number is that number: AWS returns it as a JSONata sequence, and a sequence
    of one item is the item (``$range(1, 9, 9)`` is ``1``).
    """
    first = _as_int(start, "$range", "start")
    last = _as_int(end, "$range", "end")
    stride = _as_int(step, "$range", "step")
    if stride == 0:
        _fail("$range: step must not be 0")
    numbers = list(range(first, last + (1 if stride > 0 else -1), stride))
    return numbers[0] if len(numbers) == 1 else numbers


def sfn_hash(data: Any, algorithm: Any) -> str:
    """``$hash(data, algorithm)``: lowercase hex digest of the UTF-8 string with MD5/SHA-1/SHA-2."""
    if not isinstance(data, str):
        _fail("$hash: the first argument must be a string")
    name = _HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        _fail(f"$hash: algorithm must be one of {', '.join(_HASH_ALGORITHMS)}")
    # An unpaired surrogate (a "\ud800" escape in the input) is hashed as "?", as Java encodes it to UTF-8,
    # rather than failing the state with UnicodeEncodeError.
    return hashlib.new(name, data.encode("utf-8", errors="replace")).hexdigest()


def _java_random_next(state: int, bits: int) -> tuple[int, int]:
    """One step of java.util.Random.next(bits): returns (new state, bits)."""
    state = (state * _JAVA_RANDOM_MULTIPLIER + _JAVA_RANDOM_ADDEND) & _JAVA_RANDOM_MASK
    return state, state >> (48 - bits)


def java_random_next_double(seed: int) -> float:
    """``new java.util.Random(seed).nextDouble()``, bit for bit."""
    state = (seed ^ _JAVA_RANDOM_MULTIPLIER) & _JAVA_RANDOM_MASK
    state, high = _java_random_next(state, 26)
    _, low = _java_random_next(state, 27)
    return ((high << 27) + low) * (1.0 / (1 << 53))


def sfn_random(seed: Any = None) -> float:
    """``$random([seed])``: 0 <= n < 1; with a seed, the same number on every call (as on AWS)."""
    if seed is None:
        # bandit B311: JSONata's $random, not a security value (as on AWS)
        return random.random()  # nosec B311
    return java_random_next_double(_as_int(seed, "$random", "seed"))


def sfn_uuid() -> str:
    """``$uuid()``: a version 4 UUID string."""
    return str(uuid.uuid4())


def sfn_parse(text: Any) -> Any:
    """``$parse(jsonString)``: the JSON value of a string (AWS's replacement for ``$eval``)."""
    if not isinstance(text, str):
        _fail("$parse: the argument must be a string")
    try:
        value = json.loads(text)
    except ValueError as error:
        _fail(f"$parse: the argument is not valid JSON ({error})")
    return to_jsonata(value)


# name -> (implementation, JSONata signature). The signature makes jsonata-python check types and
# arity the same way it does for its own functions.
SFN_FUNCTIONS: Final[dict[str, tuple[Callable[..., Any], str]]] = {
    "partition": (sfn_partition, "<an:a>"),
    "range": (sfn_range, "<nnn:x>"),
    "hash": (sfn_hash, "<ss:s>"),
    "random": (sfn_random, "<n?:n>"),
    "uuid": (sfn_uuid, "<:s>"),
    "parse": (sfn_parse, "<s:x>"),
}


def _bind_sfn_functions(expression: Jsonata) -> None:
    """Bind the Step Functions dialect on the expression's own frame.

    It sits between jsonata's built-ins (so ``$random`` gains its seed) and the per-evaluation
    bindings (so a workflow variable of the same name wins, as moto's design intends). ``$eval``
    is bound to nothing because AWS does not offer it: calling it fails with T1006.
    """
    from jsonata import Jsonata

    for name, (implementation, signature) in SFN_FUNCTIONS.items():
        expression.register_function(name, Jsonata.JFunction(Jsonata.JLambda(implementation), signature))
    expression.register_function("eval", None)


# ---------------------------------------------------------------------------------------------------
# Value conversion between moto (json.loads values) and jsonata-python
# ---------------------------------------------------------------------------------------------------


def to_jsonata(value: Any) -> Any:
    """Copy a JSON value for jsonata-python: JSON null becomes its NULL_VALUE.

    jsonata-python reads a Python ``None`` as *undefined*; a variable or field that holds JSON null
    must stay null (``$exists`` is true, ``$type`` is "null"). Copying also keeps moto's state data
    safe from any in-place change during evaluation.
    """
    from jsonata import Utils

    if value is None:
        return Utils.NULL_VALUE
    if isinstance(value, Mapping):
        return {key: to_jsonata(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_jsonata(item) for item in value]
    return value


class _Unsupported(Exception):
    """The result holds a function, which JSON cannot represent."""


def from_jsonata(value: Any) -> Any:
    """Turn a jsonata-python result into plain JSON values (None for null, lists, dicts).

    An undefined (``None``) left inside a container is serialised the way JSON.stringify does it:
    dropped from an object, null in an array.
    """
    from jsonata import Utils

    if value is None or value is Utils.NULL_VALUE:
        return None
    if isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, Mapping):
        return {key: from_jsonata(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [from_jsonata(item) for item in value]
    raise _Unsupported(type(value).__name__)


# ---------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------


def _expression_in(expression: str, field: str | None) -> str:
    """How AWS names the failed expression: with the field it was written in when known."""
    named = f"The JSONata expression '{expression}'"
    return f"{named} specified for the field '{field}'" if field else named


def evaluate(
    expression: str, bindings: Mapping[str, Any], *, allow_undefined: bool = False, field: str | None = None
) -> Any:
    """Evaluate one JSONata expression with ``bindings`` (names without ``$``) as its variables.

    Returns plain JSON values. Raises JSONataEvaluationError for a syntax or runtime error, an
    unsupported (function) result, or an undefined result unless ``allow_undefined``. ``field``
    (``Output/result``) names where the expression was written, as AWS's causes do.
    """
    from jsonata import JException, Jsonata

    named = _expression_in(expression, field)
    try:
        compiled = Jsonata(expression)
        _bind_sfn_functions(compiled)
        compiled.set_output_convert_nulls(False)
        raw = compiled.evaluate(None, {name: to_jsonata(value) for name, value in bindings.items()})
    except JException as error:
        raise JSONataEvaluationError(
            f"{named} threw an error during evaluation. {error.get_error()}: {error}"
        ) from error
    except RecursionError as error:
        raise JSONataEvaluationError(f"{named} exceeded the maximum recursion depth.") from error
    except (ValueError, TypeError, ArithmeticError, KeyError, IndexError) as error:
        # jsonata-python lets a few built-ins fail with Python errors (``$number('x')`` raises
        # ValueError) where jsonata-js throws a coded error; on AWS both fail the state.
        raise JSONataEvaluationError(
            f"{named} threw an error during evaluation. {type(error).__name__}: {error}"
        ) from error
    if raw is None:
        if allow_undefined:
            return None
        raise JSONataEvaluationError(f"{named} returned nothing (undefined).")
    try:
        return from_jsonata(raw)
    except _Unsupported as error:
        raise JSONataEvaluationError(f"{named} returned an unsupported result type.") from error


# ---------------------------------------------------------------------------------------------------
# Where each expression was written (for the causes)
# ---------------------------------------------------------------------------------------------------

FIELD_ATTRIBUTE: Final[str] = "sandbox_field"
"""Attribute of a StringJSONata: the field it was written in (``Output/a/b[0]``), when known."""
_NESTED_SCOPES: Final[frozenset[str]] = frozenset({"States", "Branches", "ItemProcessor", "Iterator", "Type"})


def _expressions_in(value: Any, location: str, found: dict[str, str]) -> None:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{%") and text.endswith("%}"):
            found.setdefault(text[2:-2].strip(), location)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _expressions_in(item, f"{location}/{key}" if location else str(key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _expressions_in(item, f"{location}[{index}]", found)


def field_locations(definition: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(state name, expression) -> the field the expression is written in, for every state."""
    from sandbox.moto_fixes.distributed_map import all_states

    locations: dict[tuple[str, str], str] = {}
    for name, state in all_states(dict(definition)):
        found: dict[str, str] = {}
        for key, value in state.items():
            if key not in _NESTED_SCOPES:
                _expressions_in(value, key, found)
        locations.update({(name, expression): field for expression, field in found.items()})
    return locations


def _mark_fields(program: Any, locations: dict[tuple[str, str], str]) -> None:
    """Give each StringJSONata of the program the field it was written in."""
    from sandbox.moto_fixes.program_tree import components

    for node, state in components(program):
        if isinstance(node, string_expression.StringJSONata) and state is not None:
            field = locations.get((state, node.expression))
            if field is not None:
                setattr(node, FIELD_ATTRIBUTE, field)


def _expression_locations(definition: str) -> tuple[str, dict[tuple[str, str], str]]:
    """The definition as it is, and where each of its JSONata expressions is written."""
    if "{%" not in definition:
        return definition, {}
    try:
        return definition, field_locations(json.loads(definition))
    except (ValueError, AttributeError, TypeError):
        return definition, {}


def _states_binding(env: Environment) -> dict[str, Any]:
    """``$states`` as AWS exposes it: input, context, and result/errorOutput once they exist."""
    return dict(env.states._states_data)


def _variables_binding(env: Environment) -> dict[str, Any]:
    """Workflow variables visible to the state: the outer scope shadowed by the inner one."""
    store = env.variable_store
    return {**store._outer_scope, **store._inner_scope}


def _raise_query_evaluation_error(env: Environment, cause: str) -> None:
    """Fail the state with States.QueryEvaluationError and an EvaluationFailed event, as AWS does."""
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    failure = FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(
                evaluationFailedEventDetails=EvaluationFailedEventDetails(
                    error=error_name.error_name, cause=cause
                )
            ),
        )
    )
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.EvaluationFailed,
        event_details=EventDetails(
            evaluationFailedEventDetails=failure.get_evaluation_failed_event_details()
        ),
    )
    raise failure


def _eval_string_jsonata(self: Any, env: Environment) -> None:
    """Replacement for ``StringJSONata._eval_body``: a ``{% ... %}`` field of a JSONata state."""
    bindings = _variables_binding(env)
    bindings["states"] = _states_binding(env)
    try:
        result = evaluate(self.expression, bindings, field=getattr(self, FIELD_ATTRIBUTE, None))
    except JSONataEvaluationError as error:
        _raise_query_evaluation_error(env, error.cause)
    env.stack.append(result)


def _eval_string_variable_sample(self: Any, env: Environment) -> None:
    """Replacement for ``StringVariableSample._eval_body``: a ``$variable`` reference.

    JSONPath states read variables this way too (``"name.$": "$customerName"``), so it must work
    without ``$states``. An undefined result stays ``None``, which is what moto did before.
    """
    bindings = _variables_binding(env)
    if self.query_language_mode == QueryLanguageMode.JSONata:
        bindings["states"] = _states_binding(env)
    try:
        result = evaluate(self.expression, bindings, allow_undefined=True)
    except JSONataEvaluationError as error:
        _raise_query_evaluation_error(env, error.cause)
    env.stack.append(result)


def _eval_composed_expression(expression: str) -> Any:
    """Fallback for moto's text-composed ``eval_jsonata_expression`` callers (none left after the
    patches above, but a moto code path we did not patch must not hit a ``None`` pointer)."""
    try:
        return evaluate(expression, {}, allow_undefined=True)
    except JSONataEvaluationError as error:
        raise moto_jsonata.JSONataException("UNKNOWN", error.cause) from error


def _assigned_variables_as_json(self: VariableStore) -> dict[str, str]:
    """Replacement for ``VariableStore.get_assigned_variables``.

    The ``assignedVariables`` of a StateExited event hold each value as JSON text. moto wraps
    strings in quotes without escaping them, so ``a"b`` came out as the invalid ``"a"b"``.
    """
    return {name: to_json_str(self.get(name), separators=(",", ":")) for name in self._declaration_tracing}


_QUERY_EVALUATION_ERROR: Final[str] = StatesErrorNameType.StatesQueryEvaluationError.to_name()
_PATCHED_MARK: Final[str] = "_sandbox_jsonata_keeps_query_evaluation_errors"


def _keeps_query_evaluation_errors(from_error: Callable[..., FailureEvent]) -> Callable[..., FailureEvent]:
    """Wrap a state's ``_from_error`` so a States.QueryEvaluationError reaches Retry/Catch unchanged.

    Several moto service tasks (dynamodb, sns, aws-sdk, ...) turn *any* non-ClientError into their
    own service error, so a failed ``Arguments`` expression surfaced as e.g.
    ``DynamoDB.AmazonDynamoDBException``. On AWS it is States.QueryEvaluationError.
    """

    def _from_error(self: Any, env: Environment, ex: Exception) -> FailureEvent:
        if (isinstance(ex, FailureEventException) and ex.failure_event.error_name is not None
                and ex.failure_event.error_name.error_name == _QUERY_EVALUATION_ERROR):
            return ex.failure_event
        return from_error(self, env, ex)

    setattr(_from_error, _PATCHED_MARK, True)
    return _from_error


def _patch_error_mapping() -> None:
    """Apply ``_keeps_query_evaluation_errors`` to every state class that defines ``_from_error``."""
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state

    for cls in with_subclasses(execute_state.ExecutionState):
        own = cls.__dict__.get("_from_error")
        if own is not None and not getattr(own, _PATCHED_MARK, False):
            cls._from_error = _keeps_query_evaluation_errors(own)


def install() -> None:
    """Patch moto's interpreter to evaluate JSONata with jsonata-python. Safe to call repeatedly."""
    global _installed
    with _INSTALL_LOCK:
        if _installed:
            return
        string_expression.StringJSONata._eval_body = _eval_string_jsonata
        string_expression.StringVariableSample._eval_body = _eval_string_variable_sample
        moto_jsonata._eval_jsonata = _eval_composed_expression
        VariableStore.get_assigned_variables = _assigned_variables_as_json
        _patch_error_mapping()
        from sandbox.moto_fixes.program_tree import on_parse

        on_parse(_expression_locations, _mark_fields)
        _installed = True
