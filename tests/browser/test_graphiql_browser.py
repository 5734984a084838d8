"""GraphiQL in a real browser: the router's page loads its own bundles, runs a query typed in
the editor against the router and shows the result; the headers editor carries a token."""

from __future__ import annotations

import json

import httpx


def test_graphiql_runs_a_query_and_shows_the_result(make_router, browser):
    r = make_router("telemetry:\n  access_log: { enabled: false }\n  metrics: { enabled: true }\n")
    page = browser.new_page()
    external: list[str] = []
    page.on("request", lambda req: None if req.url.startswith(r.base) else external.append(req.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    seen: list[dict] = []

    def record(req) -> None:
        if req.url == r.url and req.method == "POST":
            seen.append({"body": json.loads(req.post_data or "{}"), "headers": req.headers})

    page.on("request", record)
    page.goto(r.base + "/?query=" + "%7B%20reviews%20%7B%20id%20body%20%7D%20%7D")  # prefilled editor
    page.wait_for_selector(".graphiql-container", timeout=20_000)
    page.wait_for_selector(".graphiql-execute-button", timeout=20_000)
    # the headers editor is open with the token placeholder; put a token in it
    headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor").last
    headers_editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('{"Authorization": "Bearer t0ken"}')
    page.click(".graphiql-execute-button")
    page.wait_for_function(
        "() => { const r = document.querySelector('.result-window'); return r && r.innerText.includes('r6'); }",
        timeout=20_000)
    result = page.locator(".result-window").inner_text()
    assert '"reviews"' in result and '"id": "r1"' in result
    assert not external, external  # everything came from the router itself
    assert not errors, errors
    run = [s for s in seen if "reviews" in s["body"].get("query", "")]
    assert run and run[-1]["headers"].get("authorization") == "Bearer t0ken"
    page.close()


def test_graphiql_shows_a_deferred_result_merged(make_router, browser):
    """A deferred query typed in GraphiQL: its fetcher asks for multipart, the router streams
    the parts, and the result window ends with the deferred fields merged in."""
    r = make_router()
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    answers: list[str] = []
    page.on("response", lambda resp: answers.append(resp.headers.get("content-type", ""))
            if resp.url == r.url and resp.request.method == "POST" else None)
    query = '{ products(first: 2) { upc ... @defer(label: "rev") { reviews { body } } } }'
    from urllib.parse import quote

    page.goto(r.base + "/?query=" + quote(query))
    page.wait_for_selector(".graphiql-execute-button", timeout=20_000)
    page.click(".graphiql-execute-button")
    expected = httpx.post(r.url, json={"query": query.replace('@defer(label: "rev")', "")}).json()
    last_body = expected["data"]["products"][-1]["reviews"][-1]["body"]
    page.wait_for_function(
        "(b) => { const r = document.querySelector('.result-window'); return r && r.innerText.includes(b); }",
        arg=last_body, timeout=20_000)
    result = page.locator(".result-window").inner_text()
    assert '"upc"' in result and '"reviews"' in result
    assert any(c.startswith("multipart/mixed") and "deferSpec=20220824" in c for c in answers), answers
    assert not errors, errors
    page.close()
