"""Spreadsheet-safe CSV cells, for every CSV a person may open (statements, payouts, the portal).

A cell starting like a formula (``=``, ``+``, ``-``, ``@``, or a tab or carriage return) is run
by Excel, LibreOffice and Google Sheets ("CSV injection"): ``=HYPERLINK(...)`` in a job name
would become a live link. Such text gets a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations


def csv_safe(value: object) -> object:
    """A cell a spreadsheet will not run: text starting like a formula (after any spaces) gets a
    leading quote. Numbers and ``None`` pass through unchanged (a negative amount is a number
    the caller formats itself, not text a requester chose)."""
    if isinstance(value, str) and (value[:1] in ("\t", "\r") or value.lstrip()[:1] in ("=", "+", "-", "@")):
        return "'" + value
    return value
