"""Run the suite's Step Functions workflows offline, from the same template that deploys.

`Sandbox.from_template("template.yaml")` builds the template's resources in moto,
runs Lambda handlers in-process, drives Wait/Retry/timeouts on a virtual clock and
routes events along the template's rules.
"""
