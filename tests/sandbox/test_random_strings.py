"""moto's random strings drawn one call per character (`sandbox.moto_fixes.random_strings`) are the strings moto
draws from the same generator state, and leave the generator where moto's draw leaves it."""

from __future__ import annotations

from typing import Any

import pytest
from moto.moto_api._internal.moto_random import MotoRandom

from sandbox.moto_fixes import random_strings


def _draws(draw: Any, seed: int, **options: Any) -> tuple[list[str], float]:
    generator = MotoRandom(seed)
    return [draw(generator, **options) for _ in range(50)], generator.random()


@pytest.mark.parametrize("options", [{}, {"length": 52}, {"length": 0}, {"length": 8, "include_digits": False},
                                     {"length": 30, "lower_case": True}],
                         ids=["default", "request id", "empty", "letters only", "lower case"])
def test_the_same_strings_from_the_same_state(options: dict[str, Any]) -> None:
    random_strings.install()
    assert MotoRandom.get_random_string is not random_strings.moto_get_random_string
    for seed in (0, 1, 12345):
        assert _draws(MotoRandom.get_random_string, seed, **options) == _draws(
            random_strings.moto_get_random_string, seed, **options)


def test_a_generator_that_chooses_its_own_way_keeps_moto_s_method() -> None:
    random_strings.install()

    class Loaded(MotoRandom):
        def choice(self, seq: Any) -> Any:
            return seq[0]

    assert Loaded(1).get_random_string(length=5) == "aaaaa"
