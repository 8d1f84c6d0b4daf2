"""The Admin item of the top navigation (and its dashboard tile): only for people holding the
Mailer.Admin app role."""
from __future__ import annotations

import re

from api.api_support import ADELE, ADMIN

ADMIN_LINK = re.compile(r'<a class="nav-link[^"]*"[^>]*href="/admin/"[^>]*>.*?Admin</a>', re.S)


def test_admins_see_the_admin_item_and_others_do_not(live_app, live_sign_in):
    admin = live_sign_in(ADMIN)
    for path in ("/", "/profile", "/admin/keys"):
        page = admin.get(live_app.url + path, timeout=30)
        assert page.status_code == 200 and ADMIN_LINK.search(page.text), path
    adele = live_sign_in(ADELE)
    for path in ("/", "/profile"):
        page = adele.get(live_app.url + path, timeout=30)
        assert page.status_code == 200 and 'href="/admin/' not in page.text, path
    signed_out = live_app.session().get(f"{live_app.url}/", timeout=30)
    assert 'href="/admin/' not in signed_out.text
