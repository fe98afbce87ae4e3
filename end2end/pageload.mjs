// Page-load benchmark: how long the sign-in page, the devices page and the security console take to paint and to
// become interactive (hydrated), from a cold cache, on a desktop and on a slow-4G phone, in Debian's Chromium.
//   node end2end/pageload.mjs            (scripts/bench.sh pageload starts the server and sets the variables)
//   E2E_SITE=host: the example host site instead (islands mode): its log-in page and its devices page
//   node end2end/pageload.mjs --smoke    one load per row, to check the script works
//   node end2end/pageload.mjs --identity asks for everything uncompressed: the site as it was before it compressed
// Reads BASE_URL, E2E_SERVER_BIN (its CLI grants the console) and SESSIONS_DATABASE_URL / SESSIONS_SECRET_KEY.
// "Slow 4G" is Lighthouse's mobile profile: 150 ms round trips, 1.6 Mbit/s down, 750 kbit/s up, CPU 4x slower.
import { execFileSync } from "node:child_process";
import { chromium } from "@playwright/test";

const smoke = process.argv.includes("--smoke");
const identity = process.argv.includes("--identity");
const runs = smoke ? 1 : 5;
const base = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const profiles = {
  desktop: null,
  "slow 4G": { latency: 150, download: (1.6e6 / 8) | 0, upload: (750e3 / 8) | 0, cpu: 4 },
};
const host = process.env.E2E_SITE === "host";
const pages = host
  ? [
      { name: "host log-in", path: "/login", signedIn: false },
      { name: "host devices", path: "/account/security", signedIn: true },
    ]
  : [
      { name: "sign-in", path: "/signin", signedIn: false },
      { name: "devices", path: "/settings/sessions", signedIn: true },
      { name: "security console", path: "/admin/sessions", signedIn: true },
    ];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});

// One account whose cookies each cold visit starts with: on the demo, a new one made an administrator the way an
// operator would; on the host site, one of its two fixed accounts.
const setup = await browser.newContext();
const form = await setup.newPage();
if (host) {
  await form.goto(`${base}/login`);
  await form.getByLabel("Email").fill("ada@example.com");
  await form.getByLabel("Password").fill("correct horse battery staple");
  await form.getByRole("button", { name: "Log in" }).click();
  await form.waitForURL(/\/account\/security$/);
} else {
  const email = `pageload-${Date.now()}@example.com`;
  await form.goto(`${base}/signup`);
  await form.locator('[data-hydrated="true"]').waitFor({ state: "attached" });
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill("correct horse battery");
  await form.getByRole("button", { name: "Create account" }).click();
  await form.waitForURL(/\/$/);
  execFileSync(process.env.E2E_SERVER_BIN ?? "target/release/server", ["admin", "grant", email], {
    env: { ...process.env, RUST_LOG: "error" },
  });
}
const cookies = await setup.cookies();
await setup.close();

/** One cold load: a fresh context (empty cache), throttled as `profile` says. Milliseconds since navigation start. */
async function load(path, signedIn, profile) {
  const context = await browser.newContext();
  if (signedIn) await context.addCookies(cookies);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  if (identity) {
    await cdp.send("Network.enable");
    await cdp.send("Network.setExtraHTTPHeaders", { headers: { "Accept-Encoding": "identity" } });
  }
  if (profile) {
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: profile.latency,
      downloadThroughput: profile.download,
      uploadThroughput: profile.upload,
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
  }
  let bytes = 0;
  page.on("requestfinished", async (request) => {
    const sizes = await request.sizes().catch(() => null);
    if (sizes) bytes += sizes.responseHeadersSize + sizes.responseBodySize;
  });
  const response = await page.goto(`${base}${path}`, { waitUntil: "commit", timeout: 120_000 });
  if (response?.status() !== 200) throw new Error(`${path}: status ${response?.status()}`);
  // The app root says when hydration finished; the poll reads the clock of the page that saw it.
  const interactive = await page
    .waitForFunction(() => document.querySelector('[data-hydrated="true"]') && performance.now(), null, {
      timeout: 120_000,
      polling: 10,
    })
    .then((handle) => handle.jsonValue());
  const paint = await page.evaluate(
    () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
  );
  await page.waitForLoadState("networkidle");
  await context.close();
  return { paint, interactive, bytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| page | profile | first paint | interactive | transferred |\n|---|---|---|---|---|`);
for (const { name, path, signedIn } of pages) {
  for (const [profileName, profile] of Object.entries(profiles)) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await load(path, signedIn, profile));
    const ms = (x) => `${Math.round(x)} ms`;
    const kb = `${Math.round(median(results.map((r) => r.bytes)) / 1024)} KB`;
    console.log(
      `| ${name} | ${profileName} | ${ms(median(results.map((r) => r.paint)))} | ` +
        `${ms(median(results.map((r) => r.interactive)))} | ${kb} |`,
    );
  }
}
await browser.close();
