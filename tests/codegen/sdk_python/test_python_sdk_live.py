"""The generated Python SDK against a live ``specway serve`` (uvicorn, real SQLite)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from specway_client import AsyncClient, Client, NotFoundError, verify_webhook
from specway_client.models import Project

from tests.codegen.sdk_python.conftest import LiveServer
from tests.plugins.webhooks.webhooks_support import Receiver


def client_for(live: LiveServer, **kwargs: object) -> Client:
    return Client(api_key=live.api_key, base_url=live.base_url, **kwargs)  # type: ignore[arg-type]


def test_crud_across_tags(live: LiveServer) -> None:
    with client_for(live) as client:
        project = client.projects.create(name=f"sdk-{uuid.uuid4().hex[:8]}", description="d")
        assert isinstance(project, Project)
        assert project.status == "active"
        assert project.created_at.tzinfo is not None
        assert client.projects.get(project.id) == project
        renamed = client.projects.update(project.id, description="changed")
        assert renamed.description == "changed"
        assert renamed.name == project.name

        env = client.environments.create(name="staging", project=project.id)
        assert env.project == project.id
        variable = client.variables.create(key="API_URL", value="https://x", environment=env.id)
        assert variable.key == "API_URL"
        listed = client.variables.list(env.id)
        assert [v.id for v in listed.data] == [variable.id]
        exported = client.environments.export(env.id)
        assert "API_URL=" in exported

        workspace = client.workspaces.create(name=f"ws-{uuid.uuid4().hex[:6]}")
        assert client.workspaces.get(workspace.id).name == workspace.name
        client.workspaces.delete(workspace.id)
        client.projects.delete(project.id)
        with pytest.raises(NotFoundError):
            client.projects.get(project.id)


def test_an_empty_path_id_raises_before_anything_is_sent(live: LiveServer) -> None:
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    with Client(api_key=live.api_key, base_url=live.base_url, http_client=http) as client:
        with pytest.raises(ValueError, match="project_id must not be empty"):
            client.projects.get("")
        with pytest.raises(ValueError, match="environment_id must not be empty"):
            client.variables.list("")
    assert sent == []
    http.close()


def test_pagination_across_several_pages(live: LiveServer) -> None:
    tag = uuid.uuid4().hex[:8]
    with client_for(live) as client:
        made = {client.projects.create(name=f"page-{tag}-{i}").id for i in range(5)}
        first = client.projects.list(search=f"page-{tag}", per_page=2)
        assert len(first.data) == 2
        assert [p.id for p in first.items] == [p.id for p in first.data]
        assert first.pagination.pages == 3
        assert first.has_next_page()
        second = first.next_page()
        assert second is not None
        assert second.pagination.page == 2
        found = [p.id for p in first]  # every page from the first on
        assert sorted(found) == sorted(made)
        last = client.projects.list(search=f"page-{tag}", per_page=2, page=3)
        assert not last.has_next_page()
        assert last.next_page() is None
        with pytest.deprecated_call():
            legacy = [p.id for p in client.projects.list_all(search=f"page-{tag}", per_page=2)]
        assert sorted(legacy) == sorted(made)

    async def collect() -> list[str]:
        async with AsyncClient(api_key=live.api_key, base_url=live.base_url) as aclient:
            page = await aclient.projects.list(search=f"page-{tag}", per_page=2)
            assert page.has_next_page()
            return [p.id async for p in page]

    assert sorted(asyncio.run(collect())) == sorted(made)


def test_not_found_carries_the_servers_request_id(live: LiveServer) -> None:
    seen: list[httpx.Response] = []
    http = httpx.Client(event_hooks={"response": [seen.append]})
    client = Client(api_key=live.api_key, base_url=live.base_url, http_client=http)
    with pytest.raises(NotFoundError) as caught:
        client.projects.get("proj_doesnotexist0")
    error = caught.value
    assert error.status == 404
    assert not hasattr(error, "status_code")  # one status attribute
    assert error.code == "not_found"
    assert error.request_id
    assert error.request_id == seen[-1].headers["X-Request-ID"]
    http.close()


class DropFirstResponse(httpx.BaseTransport):
    """Forwards every request, but loses the response of the first POST (after the server
    handled it), as a dropped connection would."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.posts: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.posts.append(request.headers.get("Idempotency-Key"))
            if len(self.posts) == 1:
                response.read()
                response.close()
                raise httpx.RemoteProtocolError("connection dropped", request=request)
        return response


def test_idempotent_post_after_a_dropped_connection_creates_one_row(live: LiveServer) -> None:
    transport = DropFirstResponse()
    name = f"once-{uuid.uuid4().hex[:8]}"
    slept: list[float] = []
    with client_for(live, transport=transport, sleep=slept.append) as client:
        project = client.projects.create(name=name)
        assert len(transport.posts) == 2
        assert transport.posts[0] == transport.posts[1] is not None
        assert len(slept) == 1
        same = client.projects.list(search=name)
    assert [p.id for p in same.data] == [project.id]


def test_webhook_delivery_verifies(live: LiveServer, receiver: Receiver) -> None:
    with client_for(live) as client:
        hook = client.webhooks.create(url=receiver.url, events=["*"])
        assert hook.secret.startswith("whsec_")
        client.webhooks.test(hook.id)
        got = receiver.wait_for(1)[0]
    event = verify_webhook(got.body, got.headers, hook.secret)
    assert event.event == "webhook.test"
    assert event.id == got.headers["webhook-id"]
    only_body = {"X-Signature": got.headers["x-signature"]}
    assert verify_webhook(got.body, only_body, hook.secret).id == event.id


def test_rate_limited_login_is_retried_then_surfaced(live: LiveServer) -> None:
    """The login policy (10/min per ip+email, GCRA) answers 429 on the 11th attempt."""
    from specway_client import RateLimitError

    email = f"rl-{uuid.uuid4().hex[:8]}@example.com"
    password = "correct horse battery staple"
    with Client(base_url=live.base_url, api_key="") as anonymous:
        anonymous.auth.register(email=email, password=password)
    waited: list[float] = []
    strict = Client(base_url=live.base_url, api_key="", max_retries=0)
    for _ in range(10):
        strict.auth.login(email=email, password=password)
    with pytest.raises(RateLimitError) as caught:
        strict.auth.login(email=email, password=password)
    assert caught.value.status == 429
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 60
    assert caught.value.rate_limit.limit is not None
    assert caught.value.request_id

    def sleep(seconds: float) -> None:  # really wait: the server's clock must move on
        waited.append(seconds)
        time.sleep(seconds)

    with Client(base_url=live.base_url, api_key="", sleep=sleep) as patient:
        logged_in = patient.auth.login(email=email, password=password)
    assert logged_in.token
    assert len(waited) == 1
    assert waited[0] <= caught.value.retry_after
    strict.close()
