"""One HTTP attempt of a delivery, over httpx, behind the SSRF guard.

The sender resolves the URL's host itself, checks every address, then connects to the checked
address (``Host`` header and TLS SNI/certificate checks keep the original name), so the address
that was checked is the address that is called. Redirects are never followed, proxies from the
environment are ignored, the whole attempt is bounded by the timeout and at most
``max_response_bytes`` of the response body are read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from specway.plugins.webhooks.ssrf import SSRFGuard, UnsafeURLError

logger = logging.getLogger("specway.webhooks")

USER_AGENT = "specway-webhooks/1"
MAX_RESPONSE_BYTES = 4096


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one HTTP attempt gave: status (``None`` if no response), timing, capped body."""

    status_code: int | None
    duration_ms: int
    response_body: str = ""
    error: str | None = None
    retry_after: str | None = None

    @property
    def success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    """POSTs signed bodies to subscriber URLs; one pooled ``httpx.AsyncClient``."""

    def __init__(
        self,
        guard: SSRFGuard,
        *,
        timeout: float = 15.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.guard = guard
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
        )

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
        """Make one attempt; never raises for network or HTTP failures (they are results)."""
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            target = await self.guard.resolve(url)
        except UnsafeURLError as exc:
            return AttemptResult(None, elapsed(), error=f"refused: {exc.reason}"[:300])
        original = httpx.URL(url)
        request_url = original.copy_with(host=target.addresses[0])
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request_headers = {
            **headers,
            "Host": original.netloc.decode("ascii"),
            "Content-Type": "application/json",
        }
        try:
            async with asyncio.timeout(self.timeout):
                return await self._post(request_url, request_headers, body, extensions, elapsed)
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(None, elapsed(), error=f"timed out after {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return AttemptResult(None, elapsed(), error=_describe(exc))

    async def _post(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        body: bytes,
        extensions: dict[str, str],
        elapsed: Callable[[], int],
    ) -> AttemptResult:
        async with self.client.stream(
            "POST", url, content=body, headers=headers, extensions=extensions
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= self.max_response_bytes:
                    break
            text = b"".join(chunks)[: self.max_response_bytes].decode("utf-8", errors="replace")
            return AttemptResult(
                response.status_code,
                elapsed(),
                response_body=text,
                retry_after=response.headers.get("retry-after"),
            )

    async def aclose(self) -> None:
        await self.client.aclose()


_KINDS: dict[type[httpx.HTTPError], str] = {
    httpx.ConnectError: "connection failed",
    httpx.RemoteProtocolError: "protocol error",
    httpx.ReadError: "read error",
    httpx.WriteError: "write error",
}


def _describe(exc: httpx.HTTPError) -> str:
    kind = _KINDS.get(type(exc), type(exc).__name__)
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{kind}: {detail}"[:300] if detail else kind
