"""Browser pages at the two sizes the web app is checked at (Debian chromium, tests/support/browser)."""

import pytest

from tests.support.browser import new_page


@pytest.fixture
def desktop(browser):
    context, page = new_page(browser, 1280, 900)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context, page = new_page(browser, 375, 812)
    yield page
    context.close()
