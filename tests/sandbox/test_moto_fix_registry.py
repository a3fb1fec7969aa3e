"""Every patch of moto is listed once, in `sandbox.moto_fixes.registry`, with the AWS behaviour it restores."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import sandbox
from sandbox import moto_fixes
from sandbox.moto_fixes import registry

HELPERS = {"registry", "rebind", "subclasses", "program_tree", "inline_task"}
"""Modules of moto_fixes that patch nothing themselves: the list, and tools the fixes share."""

SANDBOX = Path(sandbox.__file__).resolve().parent


def _fix_modules() -> set[str]:
    return {info.name for info in pkgutil.iter_modules(moto_fixes.__path__)} - HELPERS


def test_every_module_that_patches_moto_is_listed_once() -> None:
    listed = [fix.module for fix in registry.FIXES]
    assert len(listed) == len(set(listed)), "a fix is listed twice"
    assert set(listed) == _fix_modules()


def test_each_fix_says_the_aws_behaviour_it_restores_in_one_line() -> None:
    for fix in registry.FIXES:
        assert fix.restores.strip() and "\n" not in fix.restores, fix.module


def test_each_fix_installs_itself_and_helpers_patch_nothing() -> None:
    for name in _fix_modules():
        assert callable(getattr(importlib.import_module(f"sandbox.moto_fixes.{name}"), "install", None)), name
    for name in HELPERS:
        assert not hasattr(importlib.import_module(f"sandbox.moto_fixes.{name}"), "install"), name


def test_install_all_installs_the_list_in_order_once() -> None:
    registry.install_all()
    registry.install_all()
    assert registry.installed() == tuple(fix for fix in registry.FIXES if not fix.on_demand)


def test_fault_injection_and_event_routing_leave_moto_to_the_fixes() -> None:
    """faults.py plans outcomes and routing.py routes events; the seams in moto are moto_fixes'."""
    for module in ("faults.py", "routing.py"):
        tree = ast.parse((SANDBOX / module).read_text(encoding="utf-8"))
        functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert "install" not in functions, module
    faults = ast.parse((SANDBOX / "faults.py").read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(faults) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.startswith("moto")]
