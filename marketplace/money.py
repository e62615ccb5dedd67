"""Money on the wire (decimal strings in USD) and inside (integer micro-dollars).

One grammar for every amount the service reads (API fields, operator commands, the admin,
the portal, settings): ``AMOUNT`` below, documented in docs/api.md "Money". Anything else is
refused rather than guessed at, so ``"1_000"``, ``"١٠"``, ``"-0"``, ``"+0.10"``, ``" 0.10 "``,
``".5"``, ``"5."`` and ``"1e-2"`` never become amounts.
"""

from __future__ import annotations

import re

MICROS_PER_DOLLAR = 1_000_000
MAX_FRACTION_DIGITS = 6
MAX_AMOUNT_MICROS = 10**15  # a billion dollars: beyond any single amount this service moves

# ASCII digits only; no sign, spaces, exponent or separators; a single leading zero only
# before the point ("0.05", not "00.05" or "05"); a point needs digits on both sides.
AMOUNT = re.compile(rf"(0|[1-9][0-9]*)(?:\.([0-9]{{1,{MAX_FRACTION_DIGITS}}}))?", re.ASCII)
_TOO_PRECISE = re.compile(rf"(0|[1-9][0-9]*)\.[0-9]{{{MAX_FRACTION_DIGITS + 1},}}", re.ASCII)
_SHAPE = 'must be a decimal string such as "0.05"'


def parse_amount_micros(value: object) -> int:
    """Parse a non-negative USD amount, a string matching ``AMOUNT``, into micro-dollars.

    A JSON integer is read as its decimal string (``3`` as ``"3"``, whole dollars); floats are
    refused because they cannot carry cents exactly. Raises ``ValueError`` with a message fit
    for the caller.
    """
    if type(value) is int:  # a JSON integer (``bool`` is not one)
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(_SHAPE)
    found = AMOUNT.fullmatch(value)
    if found is None:
        if re.fullmatch(r"-[0-9.]+", value, re.ASCII):
            raise ValueError("must not be negative")
        if _TOO_PRECISE.fullmatch(value):
            raise ValueError(f"must have at most {MAX_FRACTION_DIGITS} fractional digits")
        raise ValueError(_SHAPE)
    dollars, fraction = found.group(1), found.group(2) or ""
    if len(dollars) > 10:  # decided before int(): no huge conversions
        raise ValueError("is too large")
    micros = int(dollars) * MICROS_PER_DOLLAR + int(fraction.ljust(MAX_FRACTION_DIGITS, "0"))
    if micros > MAX_AMOUNT_MICROS:
        raise ValueError("is too large")
    return micros


def format_micros(micros: int) -> str:
    """Render micro-dollars as a decimal string: trailing zeros removed past the cents.

    ``50_000`` → ``"0.05"``, ``36_000`` → ``"0.036"``, ``12_500_000`` → ``"12.50"``.
    """
    sign = "-" if micros < 0 else ""
    dollars, fraction = divmod(abs(micros), MICROS_PER_DOLLAR)
    digits = f"{fraction:06d}".rstrip("0")
    digits = digits.ljust(2, "0")
    return f"{sign}{dollars}.{digits}"
