"""TestState offline: AWS's unit-testing API for one state, answered by the sandbox.

```python
with Sandbox.from_template("template.yaml") as sb:
    response = sb.sfn.test_state(definition=json.dumps(state), input='{"n": 1}', inspectionLevel="DEBUG")
    assert response["status"] == "SUCCEEDED"
```

The request and response are AWS's (`TestState` in the Step Functions API reference); the same
test code runs against AWS with credentials. `Sandbox.test_state` is the shorthand for a state of
one of the template's workflows.
"""

from sandbox.teststate.service import install, test_state

__all__ = ["install", "test_state"]
