from __future__ import annotations

import pytest

from specway.errors import ConfigError
from specway.plugins.webhooks.sender import WebhookSender
from specway.plugins.webhooks.ssrf import SSRFGuard, UnsafeURLError


def resolver_for(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.8.9.10/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://172.16.0.1/hook", "private"),
        ("https://192.168.1.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://100.64.0.1/hook", "CGNAT"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://239.255.255.250/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://[::1]/hook", "loopback"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[fc00::1]/hook", "unique-local"),
        ("https://[fd12:3456::1]/hook", "unique-local"),
        ("https://[ff02::1]/hook", "multicast"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://[64:ff9b::a00:1]/hook", "private"),
        ("https://[2002:7f00:1::1]/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://internal.example/hook", "private"),
        ("https://mixed.example/hook", "private"),
    ],
)
async def test_refused_addresses(url: str, reason: str) -> None:
    guard = SSRFGuard(
        resolver=resolver_for(
            {
                "localhost": ["127.0.0.1", "::1"],
                "internal.example": ["10.0.0.7"],
                "mixed.example": ["93.184.216.34", "192.168.0.9"],
            }
        )
    )
    with pytest.raises(UnsafeURLError) as raised:
        await guard.resolve(url)
    assert reason in raised.value.reason


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "must use https"),
        ("javascript:alert(1)", "must use https"),
        ("http://example.com/hook", "must use https"),
        ("https:///nohost", "no host"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("https://example.com/" + "a" * 2100, "longer than 2048"),
        ("https://example.com:99999/hook", "not valid"),
        ("https://nowhere.example/hook", "does not resolve"),
    ],
)
async def test_refused_urls(url: str, reason: str) -> None:
    guard = SSRFGuard(resolver=resolver_for({"example.com": ["93.184.216.34"]}))
    with pytest.raises(UnsafeURLError) as raised:
        await guard.resolve(url)
    assert reason in raised.value.reason


@pytest.mark.anyio
async def test_public_https_passes_and_http_only_when_allowed() -> None:
    table = {"example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]}
    target = await SSRFGuard(resolver=resolver_for(table)).resolve("https://example.com/hook")
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert target.port == 443
    allowing = SSRFGuard(allow_http=True, resolver=resolver_for(table))
    assert (await allowing.resolve("http://example.com:8080/x")).port == 8080


@pytest.mark.anyio
async def test_allowed_networks_are_exempt() -> None:
    guard = SSRFGuard(["127.0.0.1/32", "10.20.0.0/16"], allow_http=True)
    await guard.resolve("http://127.0.0.1:8080/hook")
    await guard.resolve("https://10.20.3.4/hook")
    with pytest.raises(UnsafeURLError):
        await guard.resolve("https://10.21.0.1/hook")
    with pytest.raises(UnsafeURLError):
        await guard.resolve("https://127.0.0.2/hook")


@pytest.mark.anyio
async def test_slow_dns_is_refused() -> None:
    import asyncio

    async def hang(host: str, port: int) -> list[str]:
        await asyncio.Event().wait()
        return []

    guard = SSRFGuard(resolver=hang, resolve_timeout=0.05)
    with pytest.raises(UnsafeURLError, match="in time"):
        await guard.resolve("https://slow.example/hook")


def test_bad_allow_list_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOWED_NETWORKS"):
        SSRFGuard(["not-a-cidr"])


@pytest.mark.anyio
async def test_dns_rebinding_is_refused_at_connect_time(receiver) -> None:  # type: ignore[no-untyped-def]
    """Public when saved, loopback when called: the sender refuses and sends nothing."""
    answers = {"hooks.example": ["93.184.216.34"]}
    guard = SSRFGuard(allow_http=True, resolver=resolver_for(answers))
    url = f"http://hooks.example:{receiver.port}/hooks"
    await guard.resolve(url)  # saving the subscription: fine
    answers["hooks.example"] = ["127.0.0.1"]  # the attacker's DNS now points inside
    sender = WebhookSender(guard, timeout=5)
    try:
        result = await sender.send(url, {}, b"{}")
    finally:
        await sender.aclose()
    assert result.status_code is None
    assert result.error is not None
    assert "refused" in result.error
    assert "loopback" in result.error
    assert receiver.requests == []


@pytest.mark.anyio
async def test_sender_connects_to_the_checked_address_with_the_original_host(  # type: ignore[no-untyped-def]
    receiver,
) -> None:
    guard = SSRFGuard(
        ["127.0.0.1/32"], allow_http=True, resolver=resolver_for({"hooks.example": ["127.0.0.1"]})
    )
    sender = WebhookSender(guard, timeout=5)
    try:
        result = await sender.send(
            f"http://hooks.example:{receiver.port}/hooks", {"X-A": "1"}, b"{}"
        )
    finally:
        await sender.aclose()
    assert result.status_code == 200
    (request,) = receiver.requests
    assert request.headers["host"] == f"hooks.example:{receiver.port}"
    assert request.headers["x-a"] == "1"
