"""The fixtures themselves: a server on the test database, a browser signed in."""

from __future__ import annotations

import pytest

from .conftest import screenshot, sign_in


@pytest.mark.django_db(transaction=True)
def test_a_worker_signs_in_and_sees_home(console_server, console_page, console_worker):
    # when
    sign_in(console_page, console_worker)

    # then
    assert console_page.locator("[data-username]").inner_text() == console_worker.username
    console_page.wait_for_selector("[data-field=earnings]:not(:text('…'))")
    screenshot(console_page, "home")
    assert console_page.console_errors == []
