"""A state's `Assign` takes effect when the state ends, as on AWS.

AWS evaluates every field of a state with the variables as they were when the state
was entered; `Assign` writes values that the *next* states read. moto writes them at
once, before it evaluates the state's `OutputPath` (JSONPath) or `Output` (JSONata), so
`"Assign": {"answer": 7}, "OutputPath": "$answer"` gave the new 7 where AWS gives the
value assigned earlier. Here the values are kept aside and written as the state
chooses its next state (before its StateExited event, which lists them).

A JSONPath Choice rule may carry its own `Assign` (applied when the rule matches); moto's
parser drops it, so the variables were never set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_installed = False
_PENDING = "_sandbox_pending_assignments"
"""Attribute of a VariableStore: the values the running state assigned, not yet visible."""


def _eval_assign(self: Any, env: Any) -> None:
    """Replacement for `AssignDecl._eval_body`: evaluate every binding, write nothing yet."""
    declarations: dict[str, Any] = {}
    for binding in self.declaration_bindings:
        binding.eval(env=env)
        declarations.update(env.stack.pop())
    store = env.variable_store
    pending = getattr(store, _PENDING, None) or {}
    pending.update(declarations)
    setattr(store, _PENDING, pending)


def write_pending_assignments(env: Any) -> None:
    """Make the values the state assigned visible (its next state reads them)."""
    store = env.variable_store
    pending = getattr(store, _PENDING, None)
    if not pending:
        return
    setattr(store, _PENDING, None)
    for identifier, value in pending.items():
        store.set(variable_identifier=identifier, variable_value=value)


def _assigning_on_exit(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def set_next(self: Any, env: Any) -> None:
        write_pending_assignments(env)
        original(self, env)

    return set_next


def _keeping_rule_assign(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser

    def visit_choice_rule(self: Any, ctx: Any) -> Any:
        rule = original(self, ctx)
        if rule.assign is None:
            for child in ctx.children or ():
                # The grammar wraps each field of a rule in a Comparison_variable_stmt.
                for inner in getattr(child, "children", None) or ():
                    if isinstance(inner, ASLParser.Assign_declContext):
                        rule.assign = self.visit(inner)
        return rule

    return visit_choice_rule


def install() -> None:
    """Defer Assign to the end of its state; keep a JSONPath Choice rule's Assign (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
    from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    AssignDecl._eval_body = _eval_assign
    CommonStateField._set_next = _assigning_on_exit(CommonStateField._set_next)  # type: ignore[assignment]
    StateChoice._set_next = _assigning_on_exit(StateChoice._set_next)  # type: ignore[assignment]
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    Preprocessor.visitChoice_rule_comparison_variable = _keeping_rule_assign(  # type: ignore[assignment]
        Preprocessor.visitChoice_rule_comparison_variable)
    _installed = True
