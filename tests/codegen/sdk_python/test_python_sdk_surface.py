"""The reference SDK's surface the seeds' snippets rely on, over MockTransport: ``async with
Client(...)`` gives the asyncio twin, models have their resource's ``update``, bodies of one
required field come by position, models are importable from the package."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import specway_client
from specway_client import AsyncClient, Client, Project

from tests.codegen.sdk_python.test_python_sdk_retries import PROJECT


def recording() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content) if request.content else {}
        return httpx.Response(200, json={**PROJECT, **body})

    return httpx.MockTransport(handle), seen


def test_async_with_client_gives_the_async_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPECWAY_API_KEY", raising=False)
    client = Client(api_key="sk_twin", base_url="http://api.test/v1", max_retries=5)

    async def enter() -> bool:
        async with client as twin:
            assert isinstance(twin, AsyncClient)
            assert (twin._config.api_key, twin.base_url) == ("sk_twin", "http://api.test/v1")
            assert twin._config.max_retries == 5
            inner = twin._http
        return inner.is_closed

    assert asyncio.run(enter()), "the twin's connections are closed when the block ends"
    assert client._http.is_closed


def test_a_client_with_a_blocking_transport_has_no_twin() -> None:
    transport, _ = recording()
    client = Client(api_key="k", base_url="http://api.test", transport=transport)

    async def enter() -> None:
        async with client:
            pass

    with pytest.raises(TypeError, match="no asyncio twin"):
        asyncio.run(enter())


def test_a_returned_model_updates_itself_by_id() -> None:
    transport, seen = recording()
    client = Client(api_key="k", base_url="http://api.test", transport=transport)
    project = client.projects.get("proj_1")

    updated = project.update(description="second")

    assert (seen[-1].method, seen[-1].url.path) == ("PATCH", "/v1/projects/proj_1")
    assert json.loads(seen[-1].content) == {"description": "second"}
    assert (updated.description, project.description) == ("second", "")
    assert updated.update(name="b").name == "b", "an updated model is bound too"
    with pytest.raises(TypeError, match="not returned by a Client"):
        Project.from_dict(PROJECT).update(name="x")


def test_a_body_of_one_required_field_comes_by_position() -> None:
    transport, seen = recording()
    client = Client(api_key="k", base_url="http://api.test", transport=transport)
    client.projects.create("by position")
    assert json.loads(seen[-1].content) == {"name": "by position"}


def test_models_are_importable_from_the_package() -> None:
    assert specway_client.Project is specway_client.models.Project
    assert "Project" in specway_client.__all__
