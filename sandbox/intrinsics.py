"""Resolve CloudFormation intrinsic functions against the sandbox's resources.

Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If (with Conditions), Fn::Equals/Not/And/Or,
Fn::Select, Fn::Split and Fn::FindInMap (with Mappings).
Anything else is a clear error rather than a silent wrong value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

NO_VALUE = object()
"""`AWS::NoValue`: the property is removed."""

_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class TemplateError(ValueError):
    """The template uses something the sandbox cannot resolve."""


class Resolver:
    """Turns template values into concrete ones.

    `ref(name)` and `get_att(name, attribute)` answer for parameters, pseudo
    parameters and resources; conditions are evaluated on demand.
    """

    def __init__(self, ref: Callable[[str], Any], get_att: Callable[[str, str], Any],
                 conditions: dict[str, Any], mappings: dict[str, Any] | None = None) -> None:
        self._ref = ref
        self._get_att = get_att
        self._conditions = conditions
        self._mappings = mappings or {}
        self._condition_values: dict[str, bool] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            handler = self._FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"intrinsic function {key} is not supported offline")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self._conditions:
                raise TemplateError(f"unknown condition {name}")
            self._condition_values[name] = bool(self.resolve(self._conditions[name]))
        return self._condition_values[name]

    # -- functions -----------------------------------------------------------
    def _fn_ref(self, name: str) -> Any:
        return NO_VALUE if name == "AWS::NoValue" else self._ref(name)

    def _fn_get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        logical_id, attribute = arg
        return self._get_att(logical_id, self.resolve(attribute))

    def _fn_sub(self, arg: Any) -> str:
        template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            return str(self._ref(name))

        resolved = _SUB_VARIABLE.sub(substitute, template)
        return resolved.replace("${!", "${")

    def _fn_join(self, arg: list[Any]) -> str:
        delimiter, items = arg
        return str(delimiter).join(str(i) for i in self.resolve(items))

    def _fn_if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, arg: list[Any]) -> bool:
        left, right = self.resolve(arg)
        return str(left) == str(right)

    def _fn_not(self, arg: list[Any]) -> bool:
        return not self.resolve(arg[0])

    def _fn_and(self, arg: list[Any]) -> bool:
        return all(self.resolve(a) for a in arg)

    def _fn_or(self, arg: list[Any]) -> bool:
        return any(self.resolve(a) for a in arg)

    def _fn_condition(self, name: str) -> bool:
        return self.condition(name)

    def _fn_select(self, arg: list[Any]) -> Any:
        index, items = self.resolve(arg)
        return items[int(index)]

    def _fn_split(self, arg: list[Any]) -> list[str]:
        delimiter, text = self.resolve(arg)
        return str(text).split(delimiter)

    def _fn_find_in_map(self, arg: list[Any]) -> Any:
        name, top, second = (self.resolve(a) for a in arg[:3])
        try:
            return self._mappings[name][top][second]
        except (KeyError, TypeError):
            if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return self.resolve(arg[3]["DefaultValue"])
            raise TemplateError(f"Fn::FindInMap: Mappings has no {name}.{top}.{second}") from None

    _FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
        "Ref": _fn_ref,
        "Fn::GetAtt": _fn_get_att,
        "Fn::Sub": _fn_sub,
        "Fn::Join": _fn_join,
        "Fn::If": _fn_if,
        "Fn::Equals": _fn_equals,
        "Fn::Not": _fn_not,
        "Fn::And": _fn_and,
        "Fn::Or": _fn_or,
        "Condition": _fn_condition,
        "Fn::Select": _fn_select,
        "Fn::Split": _fn_split,
        "Fn::FindInMap": _fn_find_in_map,
    }
