"""moto's random strings (request ids, among others) are drawn with one call per character (speed only).

Every answer moto gives carries a request id of 52 random characters (`gen_amzn_requestid_long`), drawn
by `MotoRandom.get_random_string` as 52 `choice` calls, each going through `_randbelow` to
`getrandbits`. Here each character is drawn with `getrandbits` directly, by the same rejection rule
`Random._randbelow_with_getrandbits` applies (the fewest bits that hold the pool's size, drawn again
while the number is past the pool): the same characters from the same generator state, which a seeded
run relies on. A generator that draws another way (its own `choice` or `_randbelow`) keeps moto's method.
"""

from __future__ import annotations

import random
import string
from typing import Any

_installed = False
moto_get_random_string: Any = None
"""moto's own `MotoRandom.get_random_string` (what the tests compare the replacement with)."""
_CHOICE = random.Random.choice
_RANDBELOW = random.Random._randbelow_with_getrandbits  # type: ignore[attr-defined]


def install() -> None:
    """Draw moto's random strings one call per character (idempotent)."""
    global _installed, moto_get_random_string
    if _installed:
        return
    from moto.moto_api._internal.moto_random import MotoRandom

    original = moto_get_random_string = MotoRandom.get_random_string

    def get_random_string(self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
        kind = type(self)
        if kind.choice is not _CHOICE or kind._randbelow is not _RANDBELOW or "choice" in vars(self) or (
                "_randbelow" in vars(self)):
            return str(original(self, length, include_digits, lower_case))
        pool = string.ascii_letters + string.digits if include_digits else string.ascii_letters
        size = len(pool)
        bits = size.bit_length()
        getrandbits = self.getrandbits
        drawn = []
        for _ in range(length):
            number = getrandbits(bits)
            while number >= size:
                number = getrandbits(bits)
            drawn.append(pool[number])
        text = "".join(drawn)
        return text.lower() if lower_case else text

    MotoRandom.get_random_string = get_random_string
    _installed = True
