"""msgraph-sdk (kiota) against the emulator, authenticated by azure-identity.

The same recipe as tests/emulator/test_sdk_msgraph.py (facts §10, §11): the SDK and
azure-identity read SSL_CERT_FILE / REQUESTS_CA_BUNDLE, so ``trust`` points them at the system
roots plus the emulator's CA. The parse oracle is ``helpers.sdk_models.leftovers``.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from azure.identity.aio import ClientSecretCredential
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.graph_request_adapter import options as SDK_OPTIONS
from msgraph_core import GraphClientFactory
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

SYSTEM_ROOTS = Path("/etc/ssl/certs/ca-certificates.crt")


def trust(emu, tmp_path, monkeypatch) -> Path:
    bundle = tmp_path / "bundle.pem"
    roots = SYSTEM_ROOTS.read_text() if SYSTEM_ROOTS.exists() else ""
    bundle.write_text(roots + "\n" + Path(emu.ca_file).read_text())
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(bundle))
    return bundle


def run_async(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API may own this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def sdk_client(emu, client_id: str, secret: str, tenant_id: str):
    """(GraphServiceClient on the emulator, what to close after) with client credentials."""
    host = urlsplit(emu.api_url)
    credential = ClientSecretCredential(tenant_id, client_id, secret, authority=host.netloc,
                                        disable_instance_discovery=True)
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=[host.hostname])
    # msgraph-core wraps the client's transport in one whose aclose() does not close it, so the
    # connections would be left to the garbage collector (ResourceWarning): we keep and close it.
    transport = httpx.AsyncHTTPTransport(http2=True)
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(transport=transport, timeout=30), options=SDK_OPTIONS)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{emu.api_url}/v1.0"
    return GraphServiceClient(request_adapter=adapter), _Closing(credential, http, transport)


class _Closing:
    """The credential and the SDK's connections, closed together."""

    def __init__(self, credential, http, transport) -> None:
        self.credential, self.http, self.transport = credential, http, transport

    async def close(self) -> None:
        await self.credential.close()
        await self.http.aclose()
        await self.transport.aclose()
