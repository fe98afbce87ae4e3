// Renders each page of the demo to PNG (for the README and for looking at the UI):
//   node screenshots.mjs [base-url] [out-dir]
import { chromium } from "@playwright/test";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const out = process.argv[3] ?? "../docs";
const UA = {
  mac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
  win: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0",
  iphone: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
};
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const email = `ada-${Date.now()}@example.com`;
const password = "correct horse battery";

// Public test addresses from MaxMind's test database, forwarded as by a trusted proxy (see README).
const FROM = { [UA.win]: "81.2.69.142", [UA.iphone]: "89.160.20.112" };
async function open(userAgent, viewport = { width: 1100, height: 720 }) {
  const extraHTTPHeaders = FROM[userAgent] && viewport.width > 400 ? { "X-Forwarded-For": FROM[userAgent] } : {};
  const context = await browser.newContext({ userAgent, viewport, locale: "en-US", baseURL: base, extraHTTPHeaders });
  return context.newPage();
}
async function ready(page) {
  await page.waitForSelector('[data-hydrated="true"]');
}

const a = await open(UA.mac);
await a.goto("/signup");
await ready(a);
await a.screenshot({ path: `${out}/signup.png` });
await a.getByLabel("Email").fill(email);
await a.getByLabel("Password").fill(password);
await a.getByRole("button", { name: "Create account" }).click();
await a.waitForURL(/\/$/);
await ready(a);

for (const ua of [UA.win, UA.iphone]) {
  const p = await open(ua);
  await p.goto("/signin");
  await ready(p);
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/$/);
}
const signin = await open(UA.win);
await signin.goto("/signin");
await ready(signin);
await signin.getByLabel("Email").fill(email);
await signin.getByLabel("Password").fill("wrong password");
await signin.getByRole("button", { name: "Sign in" }).click();
await signin.getByRole("alert").waitFor();
await signin.screenshot({ path: `${out}/signin-error.png` });

await a.waitForTimeout(300);
await a.goto("/");
await ready(a);
await a.screenshot({ path: `${out}/home.png` });
await a.goto("/settings/sessions");
await ready(a);
await a.screenshot({ path: `${out}/devices.png`, fullPage: true });
await a.goto("/settings/sessions/history");
await ready(a);
await a.screenshot({ path: `${out}/history.png`, fullPage: true });

const phone = await open(UA.iphone, { width: 390, height: 844 });
await phone.context().addCookies(await a.context().cookies());
await phone.goto("/settings/sessions");
await ready(phone);
await phone.screenshot({ path: `${out}/devices-phone.png`, fullPage: true });
const leaving = await open(UA.mac);
await leaving.context().addCookies(await a.context().cookies());
await leaving.goto("/");
await ready(leaving);
await leaving.getByRole("button", { name: "Sign out" }).click();
await leaving.waitForURL(/\/signin$/);
await ready(leaving);
await leaving.getByText("Last used").waitFor();
await leaving.screenshot({ path: `${out}/signin-last-used.png` });
await browser.close();
