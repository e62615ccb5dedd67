"""Money on the wire (decimal strings in USD) and inside (integer micro-dollars)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS_PER_DOLLAR = 1_000_000
MAX_FRACTION_DIGITS = 6


def parse_amount_micros(value: object) -> int:
    """Parse a non-negative USD amount given as a decimal string into micro-dollars.

    Integers are accepted too; floats are refused because they cannot carry cents exactly.
    Raises ``ValueError`` with a message fit for the caller.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("must be a decimal string such as \"0.05\"")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("must be a decimal string such as \"0.05\"") from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if amount < 0:
        raise ValueError("must not be negative")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
        raise ValueError(f"must have at most {MAX_FRACTION_DIGITS} fractional digits")
    if amount.adjusted() > 12:  # beyond a trillion dollars; also keeps "1e999999999" from overflowing
        raise ValueError("is too large")
    micros = int(amount * MICROS_PER_DOLLAR)
    if micros > 10**15:
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
