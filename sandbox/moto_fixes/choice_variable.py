"""A Choice rule on a variable the input lacks notes it without writing the whole input out (speed only).

moto evaluates a Choice rule's `Variable` and, when the path finds nothing (`IsPresent: false`
is the usual reason to ask), keeps a `NoSuchVariable` whose text names the path and the error,
and the error's text is the whole input as JSON: an encoding of the state's input at every such
rule, for a text nothing reads (the comparison only asks whether the value is a `NoSuchVariable`).
Here the same marker is kept, its text written only if something asks for it.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Replace `Variable._eval_body` by the same evaluation with a lazily written marker (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.choice.comparison import variable

    class _MissingVariable(variable.NoSuchVariable):
        """moto's marker, its `path` text ("<path>, <error>") written on first read."""

        def __init__(self, literal: str, error: Exception) -> None:  # moto's __init__ would write the text now
            self._literal, self._error = literal, error

        @property  # type: ignore[misc]  # moto declares `path` a Final attribute
        def path(self) -> str:
            return f"{self._literal}, {self._error}"

    def _eval_body(self: Any, env: Any) -> None:
        try:
            self.string_sampler.eval(env=env)
            value = env.stack.pop()
        except Exception as ex:
            value = _MissingVariable(self.string_sampler.literal_value, ex)
        env.stack.append(value)

    variable.Variable._eval_body = _eval_body
    _installed = True
