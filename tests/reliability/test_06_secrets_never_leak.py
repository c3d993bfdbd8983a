"""Secrets never leak: every secret the scenarios used is absent from everything they captured.

Runs last. Its own flow adds the secrets a user of the reference API hands over (password,
session token, API key, an encrypted variable's value, a webhook secret) and provokes the places
a careless gateway would echo them (a wrong password, a revoked/garbled key, an invalid variable
update, audit rows, webhook payloads); then every log line of every component this session
started, every captured error body, every audit row and every webhook payload is searched for
every secret of the session.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
from fault_components import LOG_FILES, Gateway, specway_env
from fault_harness import Report, SecretLedger, query, register
from webhooks_support import Receiver


def test_no_secret_in_any_log_error_body_audit_row_or_webhook_payload(
    pg_database: str, tmp_path: Path, report: Report, ledger: SecretLedger
) -> None:
    with report.scenario(
        "Secrets never leak",
        load="every scenario of the session + a secret-handling flow",
        fault="wrong passwords, garbled keys, invalid updates of secret variables",
    ) as row:
        receiver = Receiver()
        receiver.start()
        gateway = Gateway(tmp_path, specway_env(pg_database, webhook_worker="true"))
        gateway.start()
        assert gateway.child is not None
        try:
            who = register(gateway.url, ledger)
            value = f"variable-value-{secrets.token_urlsafe(16)}"
            ledger.add(value)
            with httpx.Client(base_url=gateway.url, timeout=30, headers=who.headers) as client:
                hook = client.post("/v1/webhooks", json={"url": receiver.url, "events": ["*"]})
                assert hook.status_code == 201, hook.text
                ledger.add(hook.json()["secret"])
                project = client.post("/v1/projects", json={"name": "secretive"}).json()
                env = client.post(
                    "/v1/environments", json={"name": "prod", "project": project["id"]}
                )
                assert env.status_code == 201, env.text
                variable = client.post(
                    "/v1/variables",
                    json={"key": "DB_PASSWORD", "value": value, "environment": env.json()["id"]},
                )
                assert variable.status_code == 201, variable.text
                provoked = [
                    client.post("/v1/auth/login", json={"email": who.email, "password": value}),
                    client.post(
                        "/v1/auth/login",
                        json={"email": who.email, "password": who.password + "x"},
                    ),
                    client.get("/v1/projects", headers={"Authorization": f"Bearer {who.key}x"}),
                    client.get("/v1/projects", headers={"Authorization": f"Token {who.token}0"}),
                    client.patch(
                        f"/v1/variables/{variable.json()['id']}",
                        json={"value": value, "key": "1 invalid key"},
                    ),
                    client.post(
                        "/v1/variables",
                        json={"key": "K", "value": value * 2000, "environment": "env_missing"},
                    ),
                ]
                for reply in provoked:
                    assert 400 <= reply.status_code < 500, reply.text
                    ledger.capture("provoked error body", reply.text)
            receiver.wait_for(2, 30)  # project.created, environment/variable events
        finally:
            gateway.child.stop()
            receiver.stop()
        payloads = [("webhook payload", r.body.decode()) for r in receiver.requests]
        payloads += [("webhook headers", str(r.headers)) for r in receiver.requests]
        audit = [("audit row", repr(r)) for r in query(pg_database, "SELECT * FROM audit_logs")]
        logs = [(f"log {p.name}", p.read_text(errors="replace")) for p in LOG_FILES if p.exists()]
        hits = ledger.hits([*payloads, *audit, *logs])
        assert ledger.hits([("planted", f"...{value}...")]), "the search cannot find a secret"
        row.figures.update(
            secrets_checked=len(ledger.secrets),
            texts_searched=len(ledger.texts) + len(payloads) + len(audit) + len(logs),
            log_lines=sum(text.count("\n") for _, text in logs),
            audit_rows=len(audit),
            webhook_payloads=len(receiver.requests),
            hits=len(hits),
        )
        assert not hits, hits[:10]
