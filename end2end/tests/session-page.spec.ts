import { device, devices, expect, openDevices, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

test("each device's name leads to a page of its own: how and where it signed in, its events, and its logout", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  const b = await device(browser, UA.firefoxWindows);
  await signUp(a, email);
  await signIn(b, email);

  await openDevices(a);
  // The type is written out, not only drawn.
  await expect(devices(a).first().locator(".sessions-device-kind")).toHaveText("Computer");
  await devices(a).getByRole("link", { name: "Firefox 139 on Windows" }).click();
  await expect(a).toHaveURL(/\/settings\/sessions\/[0-9a-f-]{36}$/);
  const page = a.locator(".sessions-session");
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Firefox 139 on Windows");
  await expect(page.locator(".sessions-facts")).toContainText("Signed in with");
  await expect(page.locator(".sessions-facts")).toContainText("Password");
  await expect(page.locator(".sessions-facts")).toContainText("127.0.0.1");
  await expect(page.locator(".sessions-event")).toHaveCount(1);
  await expect(page.locator(".sessions-event").first()).toContainText("Signed in");

  await page.getByRole("button", { name: "Log out Firefox 139 on Windows" }).click();
  await expect(a).toHaveURL(/\?done=device$/);
  await expect(a.getByRole("status")).toHaveText("The device has been logged out.");
  // B's open tab goes to the sign-in page by itself.
  await expect(b).toHaveURL(/\/signin/);

  // This device's own page has no logout button (signing out is how this one ends).
  await openDevices(a);
  await devices(a).getByRole("link", { name: "Chrome 137 on macOS" }).click();
  await expect(a.locator(".sessions-session")).toContainText("This device");
  await expect(a.locator(".sessions-session").getByRole("button")).toHaveCount(0);
});

test("another user's session, an ended one or a made-up id is a 404 that shows nothing of it", async ({ browser }) => {
  const a = await device(browser, UA.chromeMac);
  const b = await device(browser, UA.firefoxWindows);
  await signUp(a, uniqueEmail());
  await signUp(b, uniqueEmail());
  await openDevices(b);
  const theirs = await devices(b).first().getAttribute("data-device-id");
  for (const id of [theirs, "00000000-0000-0000-0000-000000000000", "%3Cscript%3E", "x".repeat(300)]) {
    const res = await a.goto(`/settings/sessions/${id}`);
    expect(res?.status(), String(id)).toBe(404);
    await expect(a.locator(".sessions-session")).toContainText("This session has ended, or it is not one of yours.");
    await expect(a.locator(".sessions-facts")).toHaveCount(0);
  }
});
