// Retry behaviour of the compiled SDK against a tiny local HTTP server that scripts its answers.
// argv: <path to dist/index.js>. Prints one JSON object with what it saw.
import { createServer } from "node:http";

const [distPath] = process.argv.slice(2);
const { Client, RateLimitError, NotFoundError, APIConnectionError, APITimeoutError, InternalServerError } =
  await import(distPath);

const requests = [];
let script = [];
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
    const step = script.shift() ?? { status: 200, body: {} };
    if (step.drop) return req.socket.destroy();
    if (step.hang) return; // never answers
    const body = JSON.stringify(step.body ?? {});
    res.writeHead(step.status, { "content-type": "application/json", ...(step.headers ?? {}) }).end(body);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const baseURL = `http://127.0.0.1:${server.address().port}`;

const limited = (headers) => ({
  status: 429,
  headers,
  body: { error: { code: "rate_limited", message: "Rate limit exceeded", request_id: "req_limited", details: { policy: "burst" } } },
});
const project = { id: "prj_1", name: "p" };

function client(options = {}) {
  const sleeps = [];
  const c = new Client({ baseURL, apiKey: "sk_test_x", sleep: async (ms) => void sleeps.push(ms), ...options });
  return { c, sleeps };
}

async function run(steps, call, options) {
  script = steps;
  requests.length = 0;
  const { c, sleeps } = client(options);
  let result, error;
  try {
    result = await call(c);
  } catch (e) {
    error = e;
  }
  return { result, error, sleeps, requests: requests.map((r) => ({ ...r })) };
}

const out = {};

let r = await run([limited({ "retry-after": "2" }), { status: 201, body: project }], (c) => c.projects.create({ name: "p" }));
out.retryAfter = {
  id: r.result?.id,
  attempts: r.requests.length,
  sleeps: r.sleeps,
  keys: r.requests.map((q) => q.headers["idempotency-key"]),
  auth: r.requests[0].headers.authorization,
  body: JSON.parse(r.requests[1].body),
};

r = await run([limited({ "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3" }), { status: 200, body: { data: [] } }], (c) => c.projects.list());
out.rateLimitHeaders = { attempts: r.requests.length, sleeps: r.sleeps, getHasKey: "idempotency-key" in r.requests[0].headers };

r = await run([limited({ ratelimit: '"burst";r=0;t=4', "ratelimit-policy": '"burst";q=100;w=60' }), { status: 200, body: { data: [] } }], (c) => c.projects.list());
out.ietfHeaders = { attempts: r.requests.length, sleeps: r.sleeps };

r = await run([limited({ "retry-after": "7", "x-ratelimit-remaining": "0" })], (c) => c.projects.create({ name: "p" }), { maxRetries: 0 });
out.surfaced = {
  isRateLimit: r.error instanceof RateLimitError,
  status: r.error?.status,
  code: r.error?.code,
  requestId: r.error?.requestId,
  retryAfter: r.error?.retryAfter,
  remaining: r.error?.rateLimit.remaining,
  details: r.error?.details,
  attempts: r.requests.length,
};

r = await run([{ status: 503 }, { status: 502 }, { status: 200, body: project }], (c) => c.projects.get("prj_1"));
out.backoff = { id: r.result?.id, attempts: r.requests.length, sleeps: r.sleeps };

r = await run([{ status: 500 }, { status: 500 }, { status: 500 }], (c) => c.projects.get("prj_1"));
out.exhausted = { isServer: r.error instanceof InternalServerError, attempts: r.requests.length };

r = await run([{ status: 404, headers: { "x-request-id": "req_from_header" }, body: { error: { code: "not_found", message: "nope" } } }], (c) => c.projects.get("prj_1"));
out.noRetry404 = { isNotFound: r.error instanceof NotFoundError, attempts: r.requests.length, requestId: r.error?.requestId };

r = await run([{ drop: true }, { status: 201, body: project }], (c) => c.projects.create({ name: "p" }));
out.dropped = { id: r.result?.id, attempts: r.requests.length, sameKey: r.requests.length === 2 && r.requests[0].headers["idempotency-key"] === r.requests[1].headers["idempotency-key"] };

r = await run([{ drop: true }], (c) => c.projects.get("prj_1"), { maxRetries: 0 });
out.connection = { isConnection: r.error instanceof APIConnectionError, isTimeout: r.error instanceof APITimeoutError };

r = await run([{ hang: true }], (c) => c.projects.get("prj_1", { timeout: 50, maxRetries: 0 }));
out.timeout = { isTimeout: r.error instanceof APITimeoutError, isConnection: r.error instanceof APIConnectionError };

const controller = new AbortController();
controller.abort(new Error("caller gave up"));
r = await run([{ status: 200, body: project }], (c) => c.projects.get("prj_1", { signal: controller.signal }));
out.aborted = { message: r.error?.message, attempts: r.sleeps.length };

r = await run([{ status: 201, body: project }], (c) => c.projects.create({ name: "p" }, { idempotencyKey: "mine", headers: { "x-extra": "1" } }));
out.explicitKey = { key: r.requests[0].headers["idempotency-key"], extra: r.requests[0].headers["x-extra"] };

server.close();
console.log(JSON.stringify(out));
