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

test("changing the password signs out every other device and keeps this one with a fresh token", async ({ browser }) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  const b = await device(browser, UA.firefoxWindows);
  await signUp(a, email);
  await signIn(b, email);
  const before = (await a.context().cookies()).find((c) => c.name === "session")!.value;

  await a.goto("/settings/password");
  await hydrated(a);
  await a.getByLabel("Current password").fill("not it");
  await a.getByLabel("New password").fill("a brand new passphrase");
  await a.getByRole("button", { name: "Change password" }).click();
  await expect(a.getByRole("alert")).toHaveText("That password isn't right.");
  // The form came back from a plain post (the page runs in islands mode): both fields are empty again.
  await a.getByLabel("Current password").fill(PASSWORD);
  await a.getByLabel("New password").fill("a brand new passphrase");
  await a.getByRole("button", { name: "Change password" }).click();
  await expect(a).toHaveURL(/\/settings\/password\?changed=1$/);
  await expect(a.getByRole("status")).toContainText("Every other device has been signed out.");

  const after = (await a.context().cookies()).find((c) => c.name === "session")!.value;
  expect(after).not.toBe(before);
  await signedOut(b);
  await a.goto("/");
  await expect(a.locator(".signed-in-as")).toContainText(email);
});

test("logging out a device after the sudo window asks for the password first", async ({ browser }) => {
  // scripts/e2e.sh runs a server for time-dependent tests, on the same database, with SESSIONS_SUDO_WINDOW=8s.
  const site = process.env.BASE_URL_TIMED;
  test.skip(!site, "needs the time-dependent tests' server scripts/e2e.sh starts");
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac, true, site);
  const b = await device(browser, UA.firefoxWindows, true, site);
  await signUp(a, email);
  await signIn(b, email);
  // Waiting out the window can only ever be long enough: a slow machine waits longer, never too little.
  await a.waitForTimeout(8_500);

  await openDevices(a);
  await devices(a).filter({ hasText: "Firefox 139 on Windows" }).getByRole("button", { name: "Log out" }).click();
  // In place: a modal dialog with the focus in its password field; the logout waits for it.
  const dialog = a.getByRole("dialog", { name: "Confirm your password" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await expect(devices(a)).toHaveCount(2);
  await a.keyboard.type("not my password");
  await a.keyboard.press("Enter");
  await expect(dialog.getByRole("alert")).toHaveText("That password isn't right.");
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await a.keyboard.type(PASSWORD);
  await a.keyboard.press("Enter");
  // Confirmed: the dialog closes and the logout that was refused goes through.
  await expect(dialog).toBeHidden();
  await expect(a.getByRole("status")).toHaveText("Firefox 139 on Windows has been logged out.");
  await expect(devices(a)).toHaveCount(1);
  await signedOut(b);
});

test("pages carry a nonce-based content security policy and the other security headers", async ({ browser, request }) => {
  const page = await device(browser, UA.chromeMac);
  const res = await page.goto("/signin");
  const headers = res!.headers();
  const csp = headers["content-security-policy"];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=_-]+' 'wasm-unsafe-eval'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  expect(headers["cache-control"]).toBe("no-store");
  expect(headers["strict-transport-security"]).toBeUndefined(); // plain http on loopback
  // The page still hydrates under the policy: its inline script carries the nonce.
  await hydrated(page);
  const nonce = csp.match(/'nonce-([^']+)'/)![1];
  expect(await page.locator(`script[nonce]`).count()).toBeGreaterThan(0);
  expect(nonce.length).toBeGreaterThan(10);
  const pkg = await request.get("/pkg/sessions.css");
  expect(pkg.headers()["x-content-type-options"]).toBe("nosniff");
});
