import { execFileSync } from "node:child_process";
import { Page } from "@playwright/test";
import { device, devices, expect, hydrated, openDevices, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

// Live push: open pages hear of sign-ins and logouts made elsewhere, without anybody touching them.
// (The same across two instances on PostgreSQL: instances.spec.ts.)
const TWO_INSTANCES = !!process.env.BASE_URL_B;

/** Waits until the page's live stream is open (the page marks it on <html>). */
export async function live(page: Page) {
  await expect(page.locator("html[data-sessions-live=open]")).toHaveCount(1);
}

test("a sign-in elsewhere appears on both open devices pages, and a logged-out tab signs itself out", async ({
  browser,
}) => {
  test.skip(TWO_INSTANCES, "one instance: the two-instance run is instances.spec.ts");
  const email = uniqueEmail();
  const mac = await device(browser, UA.chromeMac);
  const windows = await device(browser, UA.firefoxWindows);
  await signUp(mac, email);
  await signIn(windows, email);
  for (const page of [mac, windows]) {
    await openDevices(page);
    await live(page);
    await expect(devices(page)).toHaveCount(2);
  }
  // Whoever is reading keeps their place: focus stays on the button it was on.
  const focused = devices(mac).filter({ hasText: "Firefox 139 on Windows" }).getByRole("button", { name: "Log out" });
  await focused.focus();

  const phone = await device(browser, UA.safariIphone);
  await signIn(phone, email);
  for (const page of [mac, windows]) {
    await expect(devices(page).filter({ hasText: "Safari 18 on iOS" })).toBeVisible({ timeout: 2_000 });
    await expect(devices(page)).toHaveCount(3);
    await expect(page.locator(".sessions-devices-list [aria-live=polite]").last()).toHaveText(
      /Safari 18 on iOS.*just signed in/,
    );
  }
  await expect(focused).toBeFocused();
  // The recent history below the list shows the sign-in too.
  await expect(mac.locator(".sessions-recent li.sessions-event").first()).toContainText("Signed in", { timeout: 2_000 });

  // The Mac logs the Windows browser out: that tab goes to the sign-in page by itself, and says why.
  await focused.click();
  await expect(windows).toHaveURL(/\/signin/, { timeout: 2_000 });
  await expect(windows.getByText("You were signed out from another device.")).toBeVisible();
  // And the phone's row is still on the Mac, the Windows one gone from it.
  await expect(devices(mac)).toHaveCount(2);
});

test("an open history page shows a new sign-in as it happens", async ({ browser }) => {
  test.skip(TWO_INSTANCES, "one instance");
  const email = uniqueEmail();
  const mac = await device(browser, UA.chromeMac);
  await signUp(mac, email);
  await mac.goto("/settings/sessions/history");
  await hydrated(mac);
  await live(mac);
  await expect(mac.locator("li.sessions-event")).toHaveCount(1);
  const windows = await device(browser, UA.firefoxWindows);
  await signIn(windows, email);
  await expect(mac.locator("li.sessions-event")).toHaveCount(2, { timeout: 2_000 });
  await expect(mac.locator("li.sessions-event").first()).toContainText("Firefox 139 on Windows");
  await expect(mac.getByText("Your login history has new entries.")).toBeAttached();
});

test("the CLI ending every session reaches an open tab at once", async ({ browser }) => {
  test.skip(TWO_INSTANCES, "one instance");
  const email = uniqueEmail();
  const page = await device(browser, UA.chromeMac);
  await signUp(page, email);
  await page.goto("/");
  await hydrated(page);
  await live(page);
  execFileSync(process.env.E2E_SERVER_BIN ?? "../target/release/server", ["revoke-all", email], {
    env: { ...process.env, RUST_LOG: "error" },
  });
  await expect(page).toHaveURL(/\/signin/, { timeout: 2_000 });
  await expect(page.getByText("An administrator ended your session.")).toBeVisible();
});

test("a hidden tab closes its stream and, shown again, finds out it was signed out", async ({ browser }) => {
  test.skip(TWO_INSTANCES, "one instance");
  const email = uniqueEmail();
  const mac = await device(browser, UA.chromeMac);
  const windows = await device(browser, UA.firefoxWindows);
  await signUp(mac, email);
  await signIn(windows, email);
  await openDevices(windows);
  await live(windows);
  const hide = (hidden: boolean) =>
    windows.evaluate((hidden) => {
      Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
  await hide(true);
  await expect(windows.locator("html[data-sessions-live=closed]")).toHaveCount(1);
  await openDevices(mac);
  await devices(mac).filter({ hasText: "Firefox 139 on Windows" }).getByRole("button", { name: "Log out" }).click();
  await expect(devices(mac)).toHaveCount(1);
  // Nothing was pushed to the hidden tab; shown again, it opens its stream, which says the session ended.
  await expect(windows).toHaveURL(/\/settings\/sessions/);
  await hide(false);
  await expect(windows).toHaveURL(/\/signin/, { timeout: 2_000 });
});
