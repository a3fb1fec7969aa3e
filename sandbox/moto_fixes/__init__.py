"""Fixes to moto so offline executions behave as on AWS.

One module per deviation; each exposes an idempotent `install()` and is listed once, with the
AWS behaviour it restores, in `registry.FIXES` (installed from there). The deployed ASL never
carries workarounds for moto: the interpreter is corrected instead.
"""
