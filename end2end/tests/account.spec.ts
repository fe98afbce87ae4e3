import { device, devices, expect, hydrated, openDevices, PASSWORD, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

test("a device logged out elsewhere is told why on the sign-in page", async ({ browser }) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  const b = await device(browser, UA.firefoxWindows);
  await signUp(a, email);
  await signIn(b, email);
  // B's page does not hear of it at once (live push is dropped on its way, as by a proxy): live.spec.ts has the tab
  // that goes by itself.
  await b.context().route("**/api/sessions/live*", (route) => route.abort());
  await openDevices(b);
  await openDevices(a);
  await devices(a).filter({ hasText: "Firefox 139 on Windows" }).getByRole("button", { name: "Log out" }).click();
  await expect(devices(a)).toHaveCount(1);

  // B's script calls first (its list's next action): the call is refused but keeps the cookie, so the page it
  // reloads into can still say why.
  await devices(b).filter({ hasText: "Chrome 137 on macOS" }).getByRole("button", { name: "Log out" }).click();
  await expect(b).toHaveURL(/\/signin\?next=\/settings\/sessions&ended=device$/);
  await expect(b.getByRole("status")).toHaveText("You were signed out from another device. Sign in again to continue.");
  // That page load cleared the dead cookie: the next visit is an ordinary signed-out one.
  await b.goto("/settings/sessions");
  await expect(b).toHaveURL(/\/signin\?next=\/settings\/sessions$/);
  await expect(b.getByRole("status")).toHaveCount(0);

  // A password change elsewhere says so, in the browser's language.
  const c = await device(browser, UA.safariIphone);
  await signIn(c, email);
  await a.goto("/settings/password");
  await a.getByLabel("Current password").fill(PASSWORD);
  await a.getByLabel("New password").fill("another fine passphrase");
  await a.getByRole("button", { name: "Change password" }).click();
  await expect(a).toHaveURL(/changed=1$/);
  // C's open tab goes to the sign-in page by itself.
  await expect(c).toHaveURL(/\/signin\?next=\/&ended=password$/);
  await expect(c.getByRole("status")).toHaveText(
    "Your password was changed on another device, so you were signed out here.",
  );
});

test("the password form refuses the current password as the new one and is empty after a change", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  await signUp(a, email);
  await a.goto("/settings/password");
  await a.getByLabel("Current password").fill(PASSWORD);
  await a.getByLabel("New password").fill(PASSWORD);
  await a.getByRole("button", { name: "Change password" }).click();
  await expect(a.getByRole("alert")).toHaveText("Choose a new password that is different from your current one.");

  await a.getByLabel("Current password").fill(PASSWORD);
  await a.getByLabel("New password").fill("a brand new passphrase");
  await a.getByRole("button", { name: "Change password" }).click();
  await expect(a.getByRole("status")).toContainText("Every other device has been signed out.");
  await expect(a.getByLabel("Current password")).toHaveValue("");
  await expect(a.getByLabel("New password")).toHaveValue("");
  // The change has its own line in the history, and the refused attempt reads as what it was.
  await a.goto("/settings/sessions/history");
  await expect(a.locator(".sessions-event-what strong").first()).toHaveText("Password changed");
});

test("a wrong password at the confirm step reads as such in the history, not as a failed sign-in", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  await signUp(a, email);
  await a.goto("/settings/confirm?next=/settings/sessions");
  await a.getByLabel("Password").fill("not my password");
  await a.getByRole("button", { name: "Confirm" }).click();
  await expect(a.getByRole("alert")).toHaveText("That password isn't right.");
  await a.goto("/settings/sessions/history");
  const first = a.locator(".sessions-event").first();
  await expect(first.locator(".sessions-event-what")).toHaveText("Wrong password when confirming it");
});

test("the home page's new-device alert asks 'Was this you?' and logs that device out in one click", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const owner = await device(browser, UA.chromeMac);
  await signUp(owner, email);
  const other = await device(browser, UA.firefoxWindows);
  await signIn(other, email);
  const alert = owner.locator(".alert").filter({ hasText: "Firefox 139 on Windows" });
  await expect
    .poll(async () => {
      await owner.reload();
      return alert.count();
    })
    .toBe(1);
  await expect(alert).toContainText("Was this you?");
  // The device's name is in the title only, and the button says which device it logs out.
  expect((await alert.innerText()).match(/Firefox 139 on Windows/g)).toHaveLength(1);
  await alert.getByRole("button", { name: "Log it out: Firefox 139 on Windows" }).click();
  await expect(owner).toHaveURL(/\/\?done=device$/);
  await expect(owner.getByRole("status")).toHaveText("The device has been logged out.");
  await expect(alert).toContainText("Logged out");
  await expect(alert.getByRole("button")).toHaveCount(0);
  // Its open tab goes to the sign-in page by itself.
  await expect(other).toHaveURL(/ended=device/);
});

test("the alert's 'Log it out' after the confirm window goes through the confirm page to the same logout", async ({
  browser,
}) => {
  const site = process.env.BASE_URL_TIMED;
  test.skip(!site, "needs the time-dependent tests' server scripts/e2e.sh starts");
  const email = uniqueEmail();
  const owner = await device(browser, UA.chromeMac, true, site);
  await signUp(owner, email);
  const other = await device(browser, UA.firefoxWindows, true, site);
  await signIn(other, email);
  await owner.waitForTimeout(8_500);
  const alert = owner.locator(".alert").filter({ hasText: "Firefox 139 on Windows" });
  await expect
    .poll(async () => {
      await owner.reload();
      return alert.count();
    })
    .toBe(1);
  await alert.getByRole("button", { name: "Log it out: Firefox 139 on Windows" }).click();
  const refused = owner.getByRole("alert");
  await expect(refused).toContainText("confirm your password before logging out devices");
  await refused.getByRole("link", { name: "Confirm your password" }).click();
  await expect(owner).toHaveURL(/\/settings\/confirm\?next=\/settings\/sessions%3Frevoke%3D[0-9a-f-]{36}$/);
  await owner.getByLabel("Password").fill(PASSWORD);
  await owner.keyboard.press("Enter");
  await expect(owner.getByRole("group").getByRole("button", { name: "Log out Firefox 139 on Windows" })).toBeFocused();
  await owner.keyboard.press("Enter");
  // Before the page is live this Enter is a plain post ("The device…"), after it the list's own words.
  await expect(owner.getByRole("status")).toHaveText(/has been logged out\.$/);
  // Its open tab goes to the sign-in page by itself.
  await expect(other).toHaveURL(/ended=device/);
});
