"""Fixtures of the browser tests: the router's test setup (Node subgraphs, routers with their
plugins) and headless Chromium from Debian driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.router_traffic.conftest import make_router, subgraphs, supergraph_file  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is open,
    which the asyncio tests that follow must not find running."""
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is missing: apt-get install -y chromium (.ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()
