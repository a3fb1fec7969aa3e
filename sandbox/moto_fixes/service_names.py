"""A Task's service action and parameter names are put in snake_case once per name (speed only).

moto finds the SDK method of an aws-sdk or optimized integration (`headObject` → `head_object`),
and the parameter and response members it normalises, by rewriting camelCase names with a regular
expression at every Task. The names come from the definition and the services' models: a few
hundred in all, each rewritten the same way every time, so each is rewritten once per process.
"""

from __future__ import annotations

import functools

_installed = False


def install() -> None:
    """Cache moto's camelCase → snake_case rewriting where Tasks use it (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    state_task_service.camel_to_snake_case = functools.lru_cache(maxsize=4096)(state_task_service.camel_to_snake_case)
    _installed = True
