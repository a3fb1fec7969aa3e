"""Conformance suite: one small ASL definition per documented Step Functions behaviour.

Cases live in `cases/<chapter>.json`; `runner` runs them on the sandbox or on plain moto;
`python -m tests.conformance` prints the side-by-side table (`--write` puts it in the README).
"""
