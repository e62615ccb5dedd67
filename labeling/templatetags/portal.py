"""Template filters for portal pages, over ``labeling.portal.words``:
``{{ job.status|word }}``, ``{{ n|count:"object" }}``, ``{{ share|percent }}``."""

from __future__ import annotations

from django import template

from labeling.portal import figures, words

register = template.Library()


@register.filter
def word(identifier: object) -> str:
    return words.word(identifier)


@register.filter
def count(value: int | float, noun: str) -> str:
    return words.count_noun(value, noun)


@register.filter
def percent(value: float | None) -> str:
    """A percentage already in percent (``33.5`` → "33.5 %")."""
    return words.percent(value)


@register.filter
def share_percent(value: float | None) -> str:
    """A fraction of 1 as a percentage (``0.335`` → "33.5 %")."""
    return words.percent(value, share=True)


@register.simple_tag
def definition(name: str) -> str:
    """What figure ``name`` measures, in words (``labeling.portal.figures.DEFINITIONS``)."""
    return figures.definition(name)


@register.filter
def noun(value: int | float, singular: str) -> str:
    """``singular`` in the number ``value`` asks for, without the count (for a card whose
    number stands above its label): ``1|noun:"member"`` → "member", ``2|noun:"member"`` → "members"."""
    return words.count_noun(value, singular).split(" ", 1)[1]
