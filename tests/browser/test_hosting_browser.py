"""Hosting: what .streamlit/config.toml switches off on a real server, and the reverse-proxy
example's security headers (docs/hosting/nginx.conf) do not break the app in Chromium."""

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    assert_no_exception,
    wait_idle,
)
from tests.timeouts import UI_S, ceiling_ms

pytestmark = pytest.mark.browser
NGINX = ROOT / "docs" / "hosting" / "nginx.conf"


def proxy_headers() -> dict[str, str]:
    """The ``add_header NAME "VALUE" always;`` lines of the shipped nginx example."""
    found = re.findall(r'add_header\s+([\w-]+)\s+"([^"]*)"\s+always;', NGINX.read_text())
    return dict(found)


def test_proxy_example_sets_the_headers_and_blocks_metrics():
    headers = proxy_headers()
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    text = NGINX.read_text()
    assert re.search(r"location = /_stcore/metrics \{\s*return 404;", text)
    assert "proxy_set_header Upgrade $http_upgrade;" in text and "ip_hash;" in text


def test_config_switches_off_the_agent_api(server):
    base, _ = server
    json_type = {"Content-Type": "application/json"}
    request = urllib.request.Request(
        f"{base}/_stcore/agent/interact", data=b"{}", method="POST", headers=json_type
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 403
    assert json.loads(err.value.read())["error"]["code"] == "not_available"


_ENCODING = {"content-encoding", "content-length", "transfer-encoding"}
_CSP_SPY = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def public_browser(playwright):
    """Chromium that lets a page whose responses the test rewrote (Chromium then treats it
    as public) open the WebSocket to 127.0.0.1, as a page served through a proxy would."""
    args = [*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    yield browser
    browser.close()


@pytest.mark.parametrize("path", ["", "basics", "attention"])
def test_app_works_under_the_proxy_headers(public_browser, server, path):
    """Each response gets the proxy's headers (as nginx would add them); no CSP violation."""
    base, _ = server
    headers = proxy_headers()
    context = public_browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(_CSP_SPY)

    def with_headers(route):
        try:
            response = route.fetch()  # its body comes decoded: drop the encoding headers
            kept = {k: v for k, v in response.headers.items() if k not in _ENCODING}
            route.fulfill(response=response, headers=kept | headers)
        except PlaywrightError as err:
            # The page gave up the request meanwhile (Streamlit's frontend cancels its other
            # server probes once one answers; closing the context ends the rest): nothing
            # is left to answer. Any other failure still fails the test.
            if "disposed" not in str(err) and "closed" not in str(err):
                raise

    context.route(f"{base}/**", with_headers)
    page = context.new_page()
    page.set_default_timeout(ceiling_ms(UI_S))
    refused = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    try:
        page.goto(f"{base}/{path}")
        wait_idle(page)
        assert_no_exception(page)
        assert page.evaluate("window.__csp") == [] and refused == []
        assert page.locator("h1").count() >= 1
    finally:
        context.close()
