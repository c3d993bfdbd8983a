// The compiled TypeScript SDK's event streams against a live `specway serve`
// (started by test_sdk_stream.py). argv: <path to dist/index.js> <base URL>.
// Prints one JSON object with what it saw.
const [distPath, baseURL] = process.argv.slice(2);
const { Client, NotFoundError } = await import(distPath);
const out = {};

const anonymous = new Client({ baseURL, apiKey: "" });
const email = `sdk-ts-stream-${Date.now()}@example.com`;
const registered = await anonymous.auth.register({ email, password: "correct-horse-battery-staple" });
const session = new Client({ baseURL, apiKey: registered.token });
const minted = await session.apiKeys.create({ name: "sdk-ts-stream", scopes: ["read", "write"] });

const setup = new Client({ baseURL, apiKey: minted.key });
const project = await setup.projects.create({ name: `sdk-ts-stream-${Date.now()}` });
for (let i = 0; i < 3; i++) await setup.projects.get(project.id);

// The first stream response is cut right after its first event, as a dropped connection is.
const streamRequests = [];
const slept = [];
function cutAfterFirstEvent(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const body = new ReadableStream({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      seen += decoder.decode(value, { stream: true });
      const data = seen.indexOf("data: ");
      const end = data < 0 ? -1 : seen.indexOf("\n\n", data);
      if (end < 0) return;
      // Everything up to the end of the first event, then the connection "drops".
      controller.enqueue(new TextEncoder().encode(seen.slice(0, end + 2)));
      await reader.cancel();
      controller.error(new TypeError("connection dropped"));
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}
const client = new Client({
  baseURL,
  apiKey: minted.key,
  sleep: async (ms) => void slept.push(ms),
  fetch: async (input, init) => {
    const url = new URL(String(input));
    const response = await fetch(input, init);
    if (!url.pathname.endsWith("/logs/stream")) return response;
    streamRequests.push({
      lastEventId: init.headers["Last-Event-ID"] ?? null,
      accept: init.headers["accept"],
    });
    return streamRequests.length === 1 ? cutAfterFirstEvent(response) : response;
  },
});

const gets = `GET /v1/projects/${project.id} 200`;
const lines = [];
const ids = []; // each event's id: two lines may share a millisecond and a message, never an id
const stream = client.monitoring.streamLogs(project.id, { "Last-Event-ID": "0" });
for await (const line of stream) {
  lines.push(line);
  ids.push(stream.lastEvent?.id);
  if (lines.filter((l) => l.message.startsWith(gets)).length === 3) break;
}
out.resume = {
  streamRequests: [...streamRequests],
  slept: [...slept],
  gets: lines.filter((l) => l.message.startsWith(gets)).length,
  repeated: ids.length !== new Set(ids).size || ids.includes(undefined),
  lastEventId: stream.lastEventId,
  lastEventName: stream.lastEvent?.event ?? null,
};

// A line caused while the stream is open arrives on it.
const live = client.monitoring.streamLogs(project.id, { component: "api" });
const causing = setInterval(() => void setup.projects.get(project.id), 200);
let caused = null;
for await (const line of live) {
  if (line.message.startsWith(gets)) {
    caused = line.component;
    break;
  }
}
clearInterval(causing);
out.live = { component: caused };

// An unknown project: the first iteration throws NotFoundError.
try {
  for await (const line of client.monitoring.streamLogs("proj_missing")) void line;
  out.missing = "no error";
} catch (error) {
  out.missing = error instanceof NotFoundError ? "NotFoundError" : String(error);
}

console.log(JSON.stringify(out));
