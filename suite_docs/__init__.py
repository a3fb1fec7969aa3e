"""This repository's own documentation tooling, apart from the sandbox runtime.

Everything here is derived from the suite's `template.yaml`, its ASL files and sample events:
the diagram and cost blocks of `docs/<slug>.md`, the patterns catalogue (`patterns/<slug>/`) and
the README's workflow table. `python -m suite_docs --write` regenerates them (`make docs`),
`--check` fails on drift. It uses the `sandbox` package; nothing in `sandbox` uses it.
"""
