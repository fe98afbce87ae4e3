// Renders each page of the demo to PNG (for the README and for looking at the UI):
//   node screenshots.mjs [base-url] [out-dir]
//   E2E_RUN="node screenshots.mjs" scripts/e2e.sh     (on a throw-away server, with the console and a seeded week)
// With SESSIONS_DATABASE_URL (and SESSIONS_SECRET_KEY) of the running server in the environment, it also makes the
// account an administrator and renders the security console; on SQLite it first adds a week of synthetic sign-ins to
// the trail so the hourly chart has a shape.
import { execFileSync } from "node:child_process";
import { chromium } from "@playwright/test";

// Under scripts/e2e.sh (`E2E_RUN="node screenshots.mjs"`) the server is a throw-away one it started: BASE_URL.
const base = process.argv[2] || process.env.BASE_URL || "http://127.0.0.1:3000";
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
  await page.waitForSelector('[data-hydrated="true"]', { state: "attached" });
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
// The README's set: the devices page, one session's page and the home alerts at 1280x800 and 390x844, light and
// dark (the colour scheme the browser asks for; the demo follows it).
const state = await a.context().storageState();
for (const [size, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]]) {
  for (const colorScheme of ["light", "dark"]) {
    const context = await browser.newContext({ userAgent: UA.mac, viewport, colorScheme, locale: "en-US", baseURL: base, storageState: state });
    const p = await context.newPage();
    await p.goto("/settings/sessions");
    await ready(p);
    await p.screenshot({ path: `${out}/devices-${size}-${colorScheme}.png` });
    await p.locator("a.sessions-device-link").nth(1).click();
    await p.waitForURL(/\/settings\/sessions\/[0-9a-f-]{36}$/);
    await p.screenshot({ path: `${out}/session-${size}-${colorScheme}.png` });
    await p.goto("/");
    await ready(p);
    await p.screenshot({ path: `${out}/home-${size}-${colorScheme}.png` });
    await context.close();
  }
}
const wide = await browser.newContext({ userAgent: UA.mac, viewport: { width: 1280, height: 800 }, locale: "en-US", baseURL: base, storageState: state });
const h = await wide.newPage();
await h.goto("/settings/sessions/history");
await ready(h);
await h.screenshot({ path: `${out}/history-desktop-light.png` });

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

const db = process.env.SESSIONS_DATABASE_URL;
if (db) {
  if (db.startsWith("sqlite://")) seedWeek(db.slice("sqlite://".length));
  execFileSync(process.env.E2E_SERVER_BIN ?? "../target/release/server", ["admin", "grant", email], {
    env: { ...process.env, RUST_LOG: "error" },
  });
  // A password-guessing run from one address against a few accounts.
  const attacker = await browser.newContext({ userAgent: UA.win, locale: "en-US", baseURL: base, extraHTTPHeaders: { "X-Forwarded-For": "89.160.20.128" } });
  const guess = await attacker.newPage();
  for (const who of [email, "admin@example.com", "root@example.com"]) {
    await guess.goto("/signin");
    await ready(guess);
    await guess.getByLabel("Email").fill(who);
    await guess.getByLabel("Password").fill("123456");
    await guess.getByRole("button", { name: "Sign in" }).click();
    await guess.getByRole("alert").waitFor();
  }
  // `a` signed out above; the administrator signs in again.
  const admin = await open(UA.mac, { width: 1280, height: 800 });
  await admin.goto("/signin");
  await ready(admin);
  await admin.getByLabel("Email").fill(email);
  await admin.getByLabel("Password").fill(password);
  await admin.getByRole("button", { name: "Sign in" }).click();
  await admin.waitForURL(/\/$/);
  await admin.goto("/admin/sessions");
  await ready(admin);
  await admin.screenshot({ path: `${out}/admin-desktop-light.png` });
  await admin.goto("/admin/sessions?view=failures");
  await ready(admin);
  await admin.screenshot({ path: `${out}/admin-failures.png`, fullPage: true });
  await admin.goto("/admin/sessions?view=countries");
  await ready(admin);
  await admin.screenshot({ path: `${out}/admin-countries.png`, fullPage: true });
  const small = await open(UA.iphone, { width: 390, height: 844 });
  await small.context().addCookies(await admin.context().cookies());
  await small.goto("/admin/sessions");
  await ready(small);
  await small.screenshot({ path: `${out}/admin-phone.png`, fullPage: true });
}
await browser.close();

/** A week of sign-ins and failures (busier by day, one burst of guessing two days ago), straight into the trail. */
function seedWeek(path) {
  const script = `
import random, sqlite3, sys, time, uuid
random.seed(7)
db = sqlite3.connect(sys.argv[1])
now = int(time.time()) // 3600 * 3600
places = [("GB", "United Kingdom", "London", "81.2.69.160"), ("SE", "Sweden", "Linköping", "89.160.20.120"),
          ("US", "United States", None, "216.160.83.56"), ("CN", "China", None, "175.16.199.10")]
rows = []
for h in range(7 * 24, 0, -1):
    start = now - h * 3600
    hour = time.gmtime(start).tm_hour
    busy = 9 <= hour <= 18
    logins = random.randint(4, 12) if busy else random.randint(0, 3)
    failures = random.randint(0, 3) + (40 if h in range(44, 48) else 0)
    for kind, n in (("login", logins), ("failed_login", failures)):
        for _ in range(n):
            cc, name, city, ip = random.choice(places[:3] if kind == "login" else places)
            rows.append((str(uuid.uuid4()), kind, f"seed-user-{random.randint(1, 40)}" if kind == "login" else None,
                         f"user{random.randint(1, 60)}@example.com", "invalid_credentials" if kind == "failed_login" else None,
                         ip, cc, name, city, "desktop", "Chrome", "Windows", "password",
                         (start + random.randint(0, 3599)) * 1000))
db.executemany("""INSERT INTO sessions_events (id, kind, user_id, identity, failure_reason, ip_address, country_code,
  country_name, city, device_type, browser_name, os_name, auth_method, occurred_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
db.commit()
`;
  execFileSync("python3", ["-c", script, path]);
}
