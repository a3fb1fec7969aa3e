"""Run the suite's Step Functions workflows offline, from the same template that deploys.

`Sandbox.from_template("template.yaml")` builds the template's resources in moto,
runs Lambda handlers in-process, drives Wait/Retry/timeouts on a virtual clock and
routes events along the template's rules.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers see the real classes; at run time they load on first use
    from sandbox.core import Run, Sandbox, SandboxError

from sandbox.moto_fixes import lazy_imports

# Before anything imports moto's interpreter: it would pull in moto.ec2 through moto.batch.
lazy_imports.install()

__all__ = ["Run", "Sandbox", "SandboxError"]


def __getattr__(name: str) -> Any:
    # Lazy: importing moto takes a second or two; `sandbox list` and the helpers need none of it.
    if name in __all__:
        from sandbox import core

        return getattr(core, name)
    raise AttributeError(name)
