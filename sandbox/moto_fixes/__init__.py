"""Fixes to moto's ASL interpreter so offline executions behave as on AWS.

One module per deviation; each exposes an idempotent `install()`. The deployed
ASL never carries workarounds for moto: the interpreter is corrected instead.
"""
