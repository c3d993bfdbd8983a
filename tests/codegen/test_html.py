"""The HTML reference: self-contained, escaped, and working in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from specway.codegen import build_ir, load_ir
from specway.codegen.docs import generate_docs
from specway.spec import build_model, load_spec_document
from tests.codegen.browser import Browser, find_chromium
from tests.codegen.conftest import FIXTURES, ROOT

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not found (apt-get install chromium; .ci/run installs it)"
)


def test_page_has_no_external_assets() -> None:
    html = generate_docs(load_ir(FIXTURES / "errors-flat" / "openapi.yaml"))["index.html"]
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "@import" not in html
    assert "url(" not in html
    assert "<!DOCTYPE html>" in html.splitlines()[1]


def test_spec_text_is_escaped(tmp_path: Path) -> None:
    document = load_spec_document(FIXTURES / "minimal" / "openapi.yaml")
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    document["info"]["description"] = hostile
    document["paths"]["/ping"]["get"]["summary"] = hostile
    document["paths"]["/ping"]["get"]["description"] = f"`{hostile}`"
    model, _ = build_model(document)
    html = generate_docs(build_ir(model))["index.html"]
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # ours


@needs_chromium
@pytest.mark.parametrize(
    "spec",
    [ROOT / "openapi.yaml", FIXTURES / "errors-flat" / "openapi.yaml"],
    ids=["reference", "flat"],
)
def test_renders_in_chromium(spec: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    ir = load_ir(spec)
    page = tmp_path / "index.html"
    page.write_text(generate_docs(ir)["index.html"], encoding="utf-8")
    browser = Browser(CHROMIUM, tmp_path / "profile")
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable")
        browser.call("Page.navigate", url=page.as_uri())
        browser.wait_for("Page.loadEventFired")
        ids: list[str] = browser.evaluate(
            "Array.from(document.querySelectorAll('[id]'), e => e.id)"
        )
        missing = [op.anchor for op in ir.operations if op.anchor not in ids]
        assert not missing, f"operations without an anchor: {missing}"
        assert len(ids) == len(set(ids)), "duplicate ids"
        broken: list[str] = browser.evaluate(
            "Array.from(document.querySelectorAll('a[href^=\"#\"]'))"
            ".map(a => a.getAttribute('href').slice(1))"
            ".filter(id => !document.getElementById(id))"
        )
        assert not broken, f"links to missing anchors: {broken}"
        first = ir.operations[0].anchor
        # Clicking a tab shows that language everywhere and hides the others.
        state: dict[str, Any] = browser.evaluate(
            f"(() => {{ document.querySelector('#{first} button[data-lang=python]').click();"
            f" const panels = document.querySelectorAll('#{first} .tabpanel');"
            " return {python: !document.querySelector"
            f"('#{first} .tabpanel[data-lang=python]').hidden,"
            " visible: Array.from(panels).filter(p => !p.hidden).length,"
            " everywhere: Array.from(document.querySelectorAll("
            "'.operation .tabpanel[data-lang=python]')).every(p => !p.hidden)}; })()"
        )
        assert state == {"python": True, "visible": 1, "everywhere": True}
        browser.evaluate(f"location.hash = '#{first}'")
        shot = tmp_path / "reference.png"
        browser.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 10_000
        assert browser.requests() == [page.as_uri()], "the page must load nothing else"
        assert browser.problems() == []
    finally:
        browser.close()
