// Touches every resource of the generated SDK; `tsc --strict --noEmit` must accept it, and each
// `@ts-expect-error` line proves a mistake the types catch (tsc fails if one stops erroring).
import {
  APIError,
  Client,
  NotFoundError,
  RateLimitError,
  verifyWebhook,
  type Project,
  type ProjectsListParams,
  type WebhookEvent,
} from "specway-client";

export async function tour(client: Client, secret: string, body: string, headers: Headers): Promise<void> {
  const health = await client.system.getHealth();
  await client.system.getApiIndex();

  const page = await client.projects.list({ per_page: 50, sort: "name", order: "asc", status: "active" });
  const first: Project | undefined = page.data[0];
  const created = await client.projects.create({ name: "demo", description: "d" }, { timeout: 5_000 });
  await client.projects.update(created.id, { description: "e" }, { maxRetries: 0 });
  await client.projects.get(created.id, { signal: AbortSignal.timeout(1_000) });
  const nothing: void = await client.projects.delete(created.id);
  for await (const project of await client.projects.list({ status: "archived" })) project.name.toUpperCase();

  const registered = await client.auth.register({ email: "a@example.com", password: "correct-horse" });
  await client.auth.login({ email: "a@example.com", password: "correct-horse" });
  await client.auth.getProfile();
  await client.auth.logout();

  const orgs = await client.organizations.list();
  await client.organizations.listMembers(orgs.data[0]?.id ?? "org_x");
  const key = await client.apiKeys.create({ name: "ci", scopes: ["read", "write"], expires_at: null });
  await client.apiKeys.revoke(key.id);
  for await (const k of await client.apiKeys.list()) k.prefix.length;

  const hook = await client.webhooks.create({ url: "https://example.com/hooks", events: ["project.created"] });
  await client.webhooks.rotateSecret(hook.id);
  for await (const d of await client.webhooks.listDeliveries(hook.id, { status: "failed" })) d.event_id.length;
  for await (const entry of await client.auditLogs.list({ limit: 10 })) entry.id.length;

  const ws = await client.workspaces.create({ name: "w" });
  await client.workspaces.get(ws.id);
  const env = await client.environments.create({ name: "staging", project: created.id, environment_type: "staging" });
  const dotenv: string = await client.environments.export(env.id);
  await client.environments.import(env.id, { file: new Blob([dotenv]) });
  await client.variables.create({ environment: env.id, key: "API_URL", value: "https://x" });
  for await (const v of await client.variables.list(env.id)) v.key.length;

  const dep = await client.deployments.create(created.id, { version: "1.2.3" });
  await client.deployments.rollback(created.id, dep.id);
  for await (const d of await client.deployments.list(created.id)) d.status satisfies string;
  await client.configuration.getConfig(created.id);
  await client.configuration.updateConfig(created.id, {});
  await client.monitoring.getMetrics(created.id);
  for await (const line of await client.monitoring.getLogs(created.id, { level: "error" })) line.message.length;
  const stream = client.monitoring.streamLogs(created.id, { level: "error" });
  for await (const line of stream) {
    line.message satisfies string;
    break;
  }
  stream.close();
  const allowlist = await client.security.getIpAllowlist();
  await client.security.updateIpAllowlist({ allowed_ips: [...allowlist.allowed_ips, "10.0.0.0/8"] });
  await client.batch.execute({ operations: [{ method: "GET", path: "/v1/projects" }] });

  const event: WebhookEvent = await verifyWebhook(body, headers, secret);
  if (event.event === "project.created") event.data.project.id.length;

  try {
    await client.projects.get("prj_missing");
  } catch (error) {
    if (error instanceof NotFoundError) error.requestId?.length;
    if (error instanceof RateLimitError) error.retryAfter?.toFixed();
    if (error instanceof APIError) error.status?.toFixed();
  }

  // @ts-expect-error status is "active" | "archived"
  await client.projects.list({ status: "deleted" });
  // @ts-expect-error name is required
  await client.projects.create({ description: "no name" });
  // @ts-expect-error exactOptionalPropertyTypes: an optional field is not `undefined`
  const loose: ProjectsListParams = { page: undefined };
  // @ts-expect-error description is not nullable
  await client.projects.update("prj_1", { description: null });
  // @ts-expect-error a Project has no `title`
  first?.title;
  void [health, nothing, registered, loose];
}
