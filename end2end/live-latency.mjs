// Live push latency: from a revocation to the revoked tab showing the sign-in page, with nobody touching that tab.
//   node live-latency.mjs same [N]        the revocation and the tab on one instance (a logout from another device)
//   node live-latency.mjs cli [N]         the `server revoke-all` CLI, another process on the same SQLite file
//   node live-latency.mjs instances [N]   the logout on instance A, the tab open on instance B (BASE_URL_B; PostgreSQL)
// scripts/bench.sh live starts the servers and sets BASE_URL, BASE_URL_B and E2E_SERVER_BIN. Each sample: a fresh
// browser signs in, opens its devices page and waits for its live stream; then it is revoked. "Revoked" is when the
// revoking call returned (the browser's fetch resolved, or the CLI process exited); "shown" is when the sign-in
// page's DOMContentLoaded ended in the revoked tab, on the same clock (both read epoch milliseconds).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { chromium } from "@playwright/test";

const mode = process.argv[2] ?? "same";
const samples = Number(process.argv[3] ?? 50);
const A = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const B = mode === "instances" ? process.env.BASE_URL_B : A;
if (!B) throw new Error("instances needs BASE_URL_B (E2E_BACKEND=postgres)");
const PASSWORD = "correct horse battery";
const email = `latency-${Date.now()}@example.com`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});

async function signedIn(base, signUp) {
  const context = await browser.newContext({ baseURL: base, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(signUp ? "/signup" : "/signin");
  await page.waitForSelector('[data-hydrated="true"]', { state: "attached" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: signUp ? "Create account" : "Sign in" }).click();
  await page.waitForURL(/\/$/);
  return page;
}

// The revoking device (same, instances): signed in once, its sudo window covers the run.
const owner = mode === "cli" ? null : await signedIn(A, true);
if (mode === "cli") await (await signedIn(A, true)).context().close();

const shown = [];
for (let i = 0; i < samples; i++) {
  const tab = await signedIn(A, false);
  await tab.goto(`${B}/settings/sessions`);
  await tab.waitForSelector("html[data-sessions-live=open]", { state: "attached" });
  const id = await tab.locator("li.sessions-device.is-current").getAttribute("data-device-id");
  const arrived = tab.waitForURL(/\/signin/, { waitUntil: "domcontentloaded", timeout: 10_000 });
  let revoked;
  if (mode === "cli") {
    await promisify(execFile)(process.env.E2E_SERVER_BIN, ["revoke-all", email], {
      env: { ...process.env, RUST_LOG: "error" },
    });
    revoked = Date.now();
  } else {
    revoked = await owner.evaluate(async (id) => {
      const res = await fetch("/api/sessions/revoke", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: `id=${encodeURIComponent(id)}`,
      });
      if (!res.ok) throw new Error(`revoke answered ${res.status}: ${await res.text()}`);
      return Date.now();
    }, id);
  }
  await arrived;
  const at = await tab.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return performance.timeOrigin + nav.domContentLoadedEventEnd;
  });
  shown.push(at - revoked);
  await tab.context().close();
}
await browser.close();

shown.sort((a, b) => a - b);
const pick = (q) => shown[Math.min(shown.length - 1, Math.ceil(q * shown.length) - 1)];
const ms = (x) => `${Math.round(x)} ms`;
console.log(`| ${mode} | ${samples} | ${ms(pick(0.5))} | ${ms(pick(0.99))} | ${ms(shown[shown.length - 1])} |`);
