"""axe-core (from the npm registry: package.json, installed by env.sh's install_frontend) run in
a page of the app by the browser tests. The page's CSP allows scripts of its own origin only, so
axe is served at an address of that origin by Playwright itself (the app never serves it)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PATH = "/__axe-core__.js"
SERIOUS = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}));
}"""


def serious_violations(page) -> list[dict]:
    """The serious and critical accessibility violations axe finds on the page as it is."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run the tests with ./env.sh test, which installs it")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    if not getattr(page, "_axe_routed", False):
        source = AXE.read_text(encoding="utf-8")
        page.context.route(f"**{PATH}", lambda route: route.fulfill(
            body=source, content_type="application/javascript"))
        page._axe_routed = True
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=origin + PATH)
    return [v for v in page.evaluate(RUN) if v["impact"] in SERIOUS]
