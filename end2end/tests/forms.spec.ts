import { Browser, Page } from "@playwright/test";
import {
  device,
  devices,
  expect,
  hydrated,
  openDevices,
  PASSWORD,
  signedOut,
  signIn,
  signUp,
  test,
  UA,
  uniqueEmail,
} from "./helpers";

// Every form answers a browser's plain post (JavaScript off, or not loaded yet on a slow phone) with a page: the
// form again with its message and the typed email, never a bare JSON body.

async function noScript(browser: Browser, locale = "en-US"): Promise<Page> {
  const context = await browser.newContext({ userAgent: UA.chromeMac, javaScriptEnabled: false, locale });
  return context.newPage();
}

/** The body is a page of the site, not the server function's JSON. */
async function expectPage(page: Page) {
  await expect(page.locator("main")).toBeVisible();
  expect(await page.locator("body").innerText()).not.toMatch(/^\s*[{"]/);
}

test("without JavaScript, sign-in and sign-up errors come back as the form with the typed email", async ({ browser }) => {
  const email = uniqueEmail();
  const owner = await device(browser, UA.firefoxWindows);
  await signUp(owner, email);

  const page = await noScript(browser);
  await page.goto("/signin?next=/settings/sessions");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectPage(page);
  await expect(page.getByRole("alert")).toHaveText("That email and password don't match an account.");
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await expect(page.getByLabel("Password")).toHaveValue("");
  expect(page.url()).not.toContain("not%20the%20password");

  // A second failure replaces the first one's error in the URL instead of adding another, and `next` survives.
  await page.getByLabel("Password").fill("still not it");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  const url = new URL(page.url());
  expect(url.searchParams.getAll("__err")).toHaveLength(1);
  expect(url.searchParams.getAll("email")).toEqual([email]);
  expect(url.searchParams.get("next")).toBe("/settings/sessions");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/sessions$/);

  const spanish = await noScript(browser, "es-ES");
  await spanish.goto("/signup");
  await spanish.locator("#email").fill(email);
  await spanish.locator("#password").fill(PASSWORD);
  await spanish.locator(".auth-card button[type=submit]").click();
  await expectPage(spanish);
  await expect(spanish.getByRole("alert")).toHaveText("Ya existe una cuenta con este correo. Prueba a iniciar sesión.");
  await expect(spanish.locator("#email")).toHaveValue(email);
  await expect(spanish.locator("#password")).toHaveValue("");
});

test("without JavaScript, a logout after the confirm window goes through the confirm page and finishes", async ({
  browser,
}) => {
  const site = process.env.BASE_URL_TIMED;
  test.skip(!site, "needs the time-dependent tests' server scripts/e2e.sh starts");
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac, false, site);
  const b = await device(browser, UA.firefoxWindows, false, site);
  await signUp(a, email, false);
  await signIn(b, email, false);
  await a.waitForTimeout(8_500);

  await openDevices(a, false);
  await devices(a).filter({ hasText: "Firefox 139 on Windows" }).getByRole("button", { name: "Log out" }).click();
  await expectPage(a);
  const alert = a.getByRole("alert");
  await expect(alert).toContainText("confirm your password before logging out devices");
  await expect(devices(a)).toHaveCount(2);
  await alert.getByRole("link", { name: "Confirm your password" }).click();
  await expect(a).toHaveURL(/\/settings\/confirm\?next=\/settings\/sessions%3Frevoke%3D/);

  // The confirm page says whose password it wants, focuses the field and offers a way back.
  await expect(a.getByText(`You are signed in as ${email}.`)).toBeVisible();
  await expect(a.getByLabel("Password")).toBeFocused();
  await expect(a.getByRole("link", { name: "Cancel" })).toHaveAttribute("href", "/settings/sessions");
  await a.getByLabel("Password").fill("wrong password");
  await a.getByRole("button", { name: "Confirm" }).click();
  await expectPage(a);
  await expect(a.getByRole("alert")).toHaveText("That password isn't right.");

  await a.getByLabel("Password").fill(PASSWORD);
  await a.keyboard.press("Enter");
  // Back on the list, the same logout is offered again with focus on it: one more Enter finishes it.
  await expect(a).toHaveURL(/\/settings\/sessions\?revoke=/);
  const again = a.getByRole("group", { name: "Password confirmed. Finish what you started:" });
  await expect(again.getByRole("button", { name: "Log out Firefox 139 on Windows" })).toBeFocused();
  await a.keyboard.press("Enter");
  await expect(a).toHaveURL(/\/settings\/sessions\?done=device$/);
  await expect(a.getByRole("status")).toHaveText("The device has been logged out.");
  await expect(devices(a)).toHaveCount(1);
  await expect(a.getByRole("group", { name: "Password confirmed. Finish what you started:" })).toHaveCount(0);
  await signedOut(b);
});

test("with the keyboard only, sign-out-others after the confirm window is carried through the confirm page", async ({
  browser,
}) => {
  const site = process.env.BASE_URL_TIMED;
  test.skip(!site, "needs the time-dependent tests' server scripts/e2e.sh starts");
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac, true, site);
  const b = await device(browser, UA.firefoxWindows, true, site);
  await signUp(a, email);
  await signIn(b, email);
  await a.waitForTimeout(8_500);

  await openDevices(a);
  await a.getByRole("button", { name: "Sign out of all other sessions" }).focus();
  await a.keyboard.press("Enter");
  // The dialog opens; Escape cancels it, and the message with the confirm page's link takes over.
  await expect(a.getByRole("dialog", { name: "Confirm your password" })).toBeVisible();
  await a.keyboard.press("Escape");
  await expect(a.getByRole("dialog")).toBeHidden();
  await expect(a.getByRole("alert")).toContainText("confirm your password before logging out devices");
  // Focus is on the message, so the link is the very next Tab stop.
  await a.keyboard.press("Tab");
  await expect(a.getByRole("link", { name: "Confirm your password" })).toBeFocused();
  await a.keyboard.press("Enter");
  await expect(a).toHaveURL(/\/settings\/confirm\?next=\/settings\/sessions%3Frevoke%3Dothers$/);
  await hydrated(a);
  await expect(a.getByLabel("Password")).toBeFocused();
  await a.keyboard.type(PASSWORD);
  await a.keyboard.press("Enter");
  await expect(a).toHaveURL(/\/settings\/sessions\?revoke=others$/);
  await hydrated(a);
  await expect(a.getByRole("button", { name: "Sign out of all other sessions" }).first()).toBeFocused();
  await a.keyboard.press("Enter");
  await expect(a.getByRole("status")).toHaveText("One other session has been signed out.");
  await expect(devices(a)).toHaveCount(1);
  await signedOut(b);
});

test("without JavaScript, the password form's errors come back as the page and a change empties it", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const page = await device(browser, UA.chromeMac, false);
  await signUp(page, email, false);
  await page.goto("/settings/password");
  for (const [current, next, message] of [
    ["not it", "a brand new passphrase", "That password isn't right."],
    [PASSWORD, PASSWORD, "Choose a new password that is different from your current one."],
    [PASSWORD, "short", "Use at least 8 characters for your password."],
  ]) {
    await page.getByLabel("Current password").fill(current);
    // The browser's own minlength check would stop a short one before it is sent: this is the server's answer.
    await page.getByLabel("New password").evaluate((e) => e.removeAttribute("minlength"));
    await page.getByLabel("New password").fill(next);
    await page.getByRole("button", { name: "Change password" }).click();
    await expectPage(page);
    await expect(page.getByRole("alert")).toHaveText(message);
    await expect(page.getByLabel("Current password")).toHaveValue("");
  }
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/settings\/password\?changed=1$/);
  await expect(page.getByRole("status")).toContainText("Every other device has been signed out.");
  await expect(page.getByLabel("New password")).toHaveValue("");
});
