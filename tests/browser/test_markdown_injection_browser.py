"""A crafted link in Chromium (issue 23): text in the URL is shown as text, makes no image, link
or frame, and the page sends no request to the address the payload names. Also: Streamlit's
agent API (``_stcore/agent/...``) is off on this server, as ``.streamlit/config.toml`` says.
"""

import json
import tomllib
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.browser.conftest import ROOT, assert_no_exception, screenshot, wait_idle
from ui.text import JOINER

pytestmark = pytest.mark.browser

TARGET = "127.0.0.1:9"
HOSTILE = (
    "<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold</b> "
    f"[j](javascript:alert(3)) ![t](http://{TARGET}/t.png) it "
    f"[a link](http://{TARGET}/l) <http://{TARGET}/x> "
    rf"$\href{{http://{TARGET}/y}}{{x}}$ &lt;b&gt;"
)
# Elements the payload would make if it were markup (the pages have their own images and LaTeX).
MADE = (
    f"img[src*='{TARGET}'], img[src='x'], a[href*='{TARGET}'], a[href^='javascript'], iframe, "
    "[data-testid='stAlertContainer'] b"
)


def test_injection_crafted_link_makes_no_element_and_no_request(page, server):
    base, _ = server
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if TARGET in r.url else None)
    page.on("requestfailed", lambda r: asked.append(r.url) if TARGET in r.url else None)
    links = [  # (page, link parameters, the error box's words, the value as shown): two pages
        ("dqn", {"env": HOSTILE}, "There is no environment called", HOSTILE),
        (
            "basics",
            {"preset": "tiny", "hidden": f"![t](http://{TARGET}/b.png) <b>x"},
            "got '",
            f"![t](http://{TARGET}/b.png) <b>x",
        ),
    ]
    for path, params, words, shown in links:
        page.goto(f"{base}/{path}?{urllib.parse.urlencode(params)}")
        wait_idle(page)
        assert_no_exception(page)
        alert = page.locator('[data-testid="stAlertContainer"]').filter(has_text=words)
        alert.first.wait_for()
        screenshot(page, f"injection-{path}")
        assert asked == []  # no tracking pixel: the payload's address is never asked
        made = page.locator(MADE)
        assert made.count() == 0, made.first.evaluate("e => e.outerHTML")
        text = alert.first.inner_text().replace(JOINER, "")
        assert shown in text, text  # the visitor's characters, as characters


def test_agent_api_is_off_for_a_public_demo(server):
    """The agent API would let a program without a browser drive pages and start training,
    past any limit the app keeps per browser session; a public demo keeps it off."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableAgentApi"] is False
    base, _ = server
    with urllib.request.urlopen(f"{base}/_stcore/agent/openapi.json", timeout=30) as r:
        doc = json.load(r)
    assert doc["info"]["x-streamlit-agent-api"] == "disabled"
    for path, body in [
        ("interact", {"page": "transfer_learning"}),
        ("mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    ]:
        req = urllib.request.Request(
            f"{base}/_stcore/agent/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=30)
        assert refused.value.code in (400, 403)
        assert "not_available" in refused.value.read().decode()
