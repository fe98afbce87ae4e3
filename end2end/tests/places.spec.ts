import { Browser } from "@playwright/test";
import { devices, expect, hydrated, openDevices, PASSWORD, signUp, test, UA, uniqueEmail } from "./helpers";

/** Firefox on Windows signs in from 81.2.69.142 (London in MaxMind's test database), through the trusted proxy. */
async function signInFromLondon(browser: Browser, email: string) {
  const travelling = await browser.newContext({
    userAgent: UA.firefoxWindows,
    locale: "en-US",
    extraHTTPHeaders: { "X-Forwarded-For": "81.2.69.142" },
  });
  const away = await travelling.newPage();
  await away.goto("/signin");
  await hydrated(away);
  await away.getByLabel("Email").fill(email);
  await away.getByLabel("Password").fill(PASSWORD);
  await away.getByRole("button", { name: "Sign in" }).click();
  await expect(away).toHaveURL(/\/$/);
  return away;
}

test("a sign-in through the trusted proxy from a public IP shows its approximate location and flag", async ({ browser }) => {
  const email = uniqueEmail();
  const home = await (await browser.newContext({ userAgent: UA.chromeMac, locale: "en-US" })).newPage();
  await signUp(home, email);

  // London in MaxMind's test database, as forwarded by the proxy the server trusts (127.0.0.1).
  await signInFromLondon(browser, email);

  const london = devices(home).filter({ hasText: "Firefox 139 on Windows" });
  await expect
    .poll(async () => {
      await openDevices(home);
      return london.locator(".sessions-place").textContent();
    })
    .toBe("🇬🇧 London, United Kingdom");
  await expect(london.locator(".sessions-place")).toHaveAttribute("title", "Approximate location, based on IP address");
  await expect(london).toContainText("81.2.69.142");
  // This device, on loopback, has no location at all.
  await expect(devices(home).first().locator(".sessions-place")).toHaveCount(0);
  // The login history and the new-device alert carry it too.
  await expect(home.locator(".sessions-recent li.sessions-event").filter({ hasText: "London" }).first()).toContainText("🇬🇧");
  await home.goto("/");
  const alert = home.locator(".alert").first();
  await expect(alert.locator(".alert-title")).toHaveText("New sign-in from Firefox 139 on Windows");
  await expect(alert).toContainText("🇬🇧 London, United Kingdom · IP 81.2.69.142 · ");
});

test("places are named in the reader's language: the same sign-in reads as Londres, Reino Unido in Spanish", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const owner = await (await browser.newContext({ userAgent: UA.chromeMac, locale: "en-US" })).newPage();
  await signUp(owner, email);
  await signInFromLondon(browser, email);

  // The owner reads the same rows in Spanish: the place is looked up again in Spanish, the stored English kept.
  const spanish = await browser.newContext({ userAgent: UA.chromeMac, locale: "es-ES", storageState: await owner.context().storageState() });
  const page = await spanish.newPage();
  const row = page.locator("li.sessions-device:visible").filter({ hasText: "Firefox 139 en Windows" });
  await expect
    .poll(async () => {
      await page.goto("/settings/sessions");
      return row.locator(".sessions-place").textContent();
    })
    .toBe("🇬🇧 Londres, Reino Unido");
  await expect(page.locator(".sessions-recent .sessions-event").filter({ hasText: "Londres, Reino Unido" })).not.toHaveCount(0);
  await openDevices(owner);
  await expect(devices(owner).filter({ hasText: "Firefox 139 on Windows" }).locator(".sessions-place")).toHaveText(
    "🇬🇧 London, United Kingdom",
  );
});

// Spoofing from an untrusted peer is covered by the resolution table in app/src/engine/ip.rs; every browser test
// connects from the trusted loopback proxy, so here a garbage header must fall back to that peer.
test("a garbage forwarded address falls back to the peer and shows no location", async ({ browser, request }) => {
  const email = uniqueEmail();
  const context = await browser.newContext({ userAgent: UA.chromeMac, locale: "en-US", extraHTTPHeaders: { "X-Forwarded-For": "not-an-ip" } });
  const page = await context.newPage();
  await signUp(page, email);
  await openDevices(page);
  await expect(devices(page).first()).toContainText("127.0.0.1");
  await expect(devices(page).first().locator(".sessions-place")).toHaveCount(0);
  expect((await request.get("/healthz")).ok()).toBe(true);
});
