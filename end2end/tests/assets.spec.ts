import { CDPSession } from "@playwright/test";
import { expect, hydrated, test } from "./helpers";

// What a browser downloads: the page compressed and never stored, the bundle compressed under content-hashed names
// and kept for a year, so a second visit fetches no WASM at all. Runs against the demo and the example host site.
// (Chromium offers brotli to secure origins, and a loopback address counts as one.)

const host = process.env.E2E_SITE === "host";
const entry = host ? "/login" : "/signin";
const bundle = host ? "host" : "sessions";

/** URLs this page's requests were answered with from the browser's cache. */
async function cacheHits(cdp: CDPSession): Promise<Set<string>> {
  const urls = new Map<string, string>();
  const hits = new Set<string>();
  await cdp.send("Network.enable");
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.requestServedFromCache", (e) => hits.add(urls.get(e.requestId) ?? ""));
  cdp.on("Network.responseReceived", (e) => {
    if (e.response.fromDiskCache || e.response.fromPrefetchCache) hits.add(e.response.url);
  });
  return hits;
}

test("the bundle comes compressed, and a second visit takes it from the browser's cache", async ({ browser }) => {
  const context = await browser.newContext();
  const first = await context.newPage();
  const wasm = first.waitForResponse((r) => r.url().endsWith(".wasm"));
  const page = await first.goto(entry);
  expect(page?.headers()["content-encoding"]).toBe("br");
  // The demo keeps every page out of caches; the host site only those showing the library's section (host.spec.ts).
  if (!host) expect(page?.headers()["cache-control"]).toBe("no-store");
  await hydrated(first);
  const bundleResponse = await wasm;
  expect(bundleResponse.url()).toMatch(new RegExp(`/pkg/${bundle}\\.[0-9a-f]{16}\\.wasm$`));
  const headers = await bundleResponse.allHeaders();
  expect(headers["content-encoding"]).toBe("br");
  expect(headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(headers["vary"]?.toLowerCase()).toContain("accept-encoding");

  const second = await context.newPage();
  const hits = await cacheHits(await context.newCDPSession(second));
  await second.goto(entry);
  await hydrated(second);
  expect([...hits].filter((u) => u.endsWith(".wasm"))).toEqual([bundleResponse.url()]);
  await context.close();
});
