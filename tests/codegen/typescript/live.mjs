// Drives the compiled TypeScript SDK against a live `specway serve` (started by test_live.py).
// argv: <path to dist/index.js> <base URL>. Prints one JSON object with what it saw.
import { createServer } from "node:http";

const [distPath, baseURL] = process.argv.slice(2);
const sdk = await import(distPath);
const { Client, NotFoundError, AuthenticationError, BadRequestError, WebhookVerificationError, verifyWebhook } = sdk;
const out = {};

async function expectError(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

// --- sign up through the SDK, mint an API key, then use it from SPECWAY_API_KEY ---------------
delete process.env.SPECWAY_API_KEY;
const anonymous = new Client({ baseURL });
const email = `sdk-ts-${Date.now()}@example.com`;
const registered = await anonymous.auth.register({ email, password: "correct-horse-battery-staple" });
const session = new Client({ baseURL, apiKey: registered.token });
const minted = await session.apiKeys.create({ name: "sdk-ts", scopes: ["read", "write", "delete", "admin"] });
process.env.SPECWAY_API_KEY = minted.key;
const listCalls = [];
const client = new Client({
  baseURL,
  fetch: (input, init) => {
    const url = new URL(String(input));
    if (init?.method === "GET" && url.pathname === "/v1/projects") listCalls.push(url.search);
    return fetch(input, init);
  },
});
out.keyPrefix = minted.key.slice(0, 8);

// --- CRUD ------------------------------------------------------------------------------------
const created = await client.projects.create({ name: "sdk-ts-crud", description: "first" });
const fetched = await client.projects.get(created.id);
const updated = await client.projects.update(created.id, { description: "second" });
await client.projects.delete(created.id);
const missing = await expectError(client.projects.get(created.id));
out.crud = {
  createdName: created.name,
  fetchedId: fetched.id === created.id,
  updatedDescription: updated.description,
  deleted: missing instanceof NotFoundError,
};
out.notFound = {
  name: missing.name,
  isNotFound: missing instanceof NotFoundError,
  status: missing.status,
  code: missing.code,
  requestId: missing.requestId,
  headerRequestId: missing.headers.get("x-request-id"),
};

// --- pagination across pages ------------------------------------------------------------------
const names = [];
for (let i = 0; i < 7; i++) names.push((await client.projects.create({ name: `sdk-ts-page-${i}` })).name);
listCalls.length = 0;
const seen = [];
const pageOne = await client.projects.list({ per_page: 3, sort: "name", order: "asc" });
for await (const project of pageOne) {
  seen.push(project.name);
}
const requests = listCalls.length;
const firstPage = await client.projects.list({ per_page: 3 });
const secondPage = await firstPage.nextPage();
const lastPage = await client.projects.list({ per_page: 3, page: 3 });
let legacy = 0;
for await (const project of client.projects.listAll({ per_page: 3 })) legacy += project ? 1 : 0;
out.pagination = {
  created: names, seen, requests, total: firstPage.pagination.total, pages: firstPage.pagination.pages,
  firstItems: firstPage.pageItems().length, hasNext: firstPage.hasNextPage(), secondPage: secondPage?.pagination.page,
  lastHasNext: lastPage.hasNextPage(), afterLast: await lastPage.nextPage(), legacy,
};
let emptyId = null;
try {
  client.projects.get("");
} catch (error) {
  emptyId = error instanceof TypeError ? error.message : String(error);
}
out.emptyId = emptyId;

// --- idempotency: the same key twice is one project ---------------------------------------------
const key = `sdk-ts-${Date.now()}`;
const once = await client.projects.create({ name: "sdk-ts-idem" }, { idempotencyKey: key });
const twice = await client.projects.create({ name: "sdk-ts-idem" }, { idempotencyKey: key });
out.idempotency = { sameId: once.id === twice.id };

// --- other errors -------------------------------------------------------------------------------
const bad = await expectError(client.projects.create({ name: "" }));
out.badRequest = { isBadRequest: bad instanceof BadRequestError, status: bad.status, code: bad.code, hasDetails: bad.details !== undefined, requestId: bad.requestId };
const unauth = await expectError(new Client({ baseURL, apiKey: "sk_live_nope" }).projects.list());
out.unauthorized = { isAuth: unauth instanceof AuthenticationError, status: unauth.status, code: unauth.code };

// --- a real webhook delivery, verified -------------------------------------------------------------
let resolveDelivery;
const delivery = new Promise((resolve) => (resolveDelivery = resolve));
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    resolveDelivery({ body: Buffer.concat(chunks), headers: req.headers });
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const hook = await client.webhooks.create({
  url: `http://127.0.0.1:${receiver.address().port}/hooks`,
  events: ["project.created"],
});
const announced = await client.projects.create({ name: "sdk-ts-webhook" });
const timer = setTimeout(() => { console.error("no delivery within 30 s"); process.exit(3); }, 30_000);
const got = await delivery;
clearTimeout(timer);
receiver.close();
const event = await verifyWebhook(got.body, got.headers, hook.secret);
const fromText = await verifyWebhook(got.body.toString("utf8"), new Headers(Object.entries(got.headers)), hook.secret);
const xSignatureOnly = await verifyWebhook(got.body, { "x-signature": got.headers["x-signature"] }, hook.secret);
const tampered = await expectError(verifyWebhook(Buffer.concat([got.body, Buffer.from(" ")]), got.headers, hook.secret));
const wrongSecret = await expectError(verifyWebhook(got.body, got.headers, "whsec_" + Buffer.alloc(32).toString("base64")));
const stale = await expectError(verifyWebhook(got.body, got.headers, hook.secret, { now: Date.now() + 600_000 }));
out.webhook = {
  event: event.event,
  projectId: event.event === "project.created" ? event.data.project.id : null,
  expectedProjectId: announced.id,
  webhookId: got.headers["webhook-id"] === event.id,
  fromText: fromText.id === event.id,
  xSignatureOnly: xSignatureOnly.id === event.id,
  tampered: tampered instanceof WebhookVerificationError,
  wrongSecret: wrongSecret instanceof WebhookVerificationError,
  stale: stale instanceof WebhookVerificationError,
};

// A live 429: login is limited to 10 attempts a minute per client IP and email (policy `login`).
const noRetries = new Client({ baseURL, maxRetries: 0 });
let limited = null;
let attempts = 0;
while (!limited && attempts < 15) {
  attempts += 1;
  try {
    await noRetries.auth.login({ email, password: "not-the-password" });
  } catch (error) {
    if (error instanceof sdk.RateLimitError) limited = error;
  }
}
let retriedLogin = null;
if (limited) {
  // With retries on, the same call waits out Retry-After and then succeeds.
  const retrying = new Client({ baseURL, maxRetries: 3 });
  retriedLogin = await retrying.auth.login({ email, password: "correct-horse-battery-staple" });
}
out.rateLimited = {
  attempts,
  surfaced: limited instanceof sdk.RateLimitError,
  status: limited ? limited.status : null,
  retryAfter: limited ? limited.retryAfter : null,
  requestId: limited ? Boolean(limited.requestId) : false,
  retriedToken: retriedLogin ? typeof retriedLogin.token === "string" : false,
};

console.log(JSON.stringify(out));
