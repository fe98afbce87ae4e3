import { device, devices, expect, hydrated, openDevices, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

test("two browsers see each other, one logs the other out, and sign-out-others clears the rest", async ({ browser }) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  const b = await device(browser, UA.firefoxWindows);
  await signUp(a, email);
  await signIn(b, email);

  await openDevices(a);
  await expect(devices(a)).toHaveCount(2);
  const mine = devices(a).first();
  await expect(mine).toContainText("Chrome 137 on macOS");
  await expect(mine).toContainText("This device");
  await expect(mine).toContainText("Active now");
  await expect(mine.getByRole("button")).toHaveCount(0);
  const theirs = devices(a).filter({ hasText: "Firefox 139 on Windows" });
  await expect(theirs).toHaveCount(1);
  await expect(theirs).not.toContainText("This device");

  await theirs.getByRole("button", { name: "Log out Firefox 139 on Windows" }).click();
  await expect(a.getByRole("status")).toContainText("Firefox 139 on Windows has been logged out.");
  await expect(devices(a)).toHaveCount(1);

  // B's open tab (its home page, since it signed in) goes to the sign-in page by itself, and says why.
  await expect(b).toHaveURL(/\/signin\?next=\/&ended=device$/);
  await expect(b.getByRole("status")).toHaveText("You were signed out from another device. Sign in again to continue.");
  // And its next navigation stays signed out.
  await b.goto("/settings/sessions");
  await expect(b).toHaveURL(/\/signin\?next=\/settings\/sessions$/);

  const c = await device(browser, UA.safariIphone);
  await signIn(c, email);
  await openDevices(a);
  await expect(devices(a)).toHaveCount(2);
  await expect(devices(a).nth(1)).toContainText("Safari 18 on iOS");
  await a.getByRole("button", { name: "Sign out of all other sessions" }).click();
  await expect(a.getByRole("status")).toContainText("One other session has been signed out.");
  await expect(devices(a)).toHaveCount(1);
  await expect(a.getByRole("button", { name: "Sign out of all other sessions" })).toHaveCount(0);

  // C's open tab goes to the sign-in page by itself.
  await expect(c).toHaveURL(/\/signin/);
  // A is still signed in.
  await a.goto("/");
  await expect(a.locator(".signed-in-as")).toContainText(email);
});

test("the same revoke works with JavaScript disabled", async ({ browser }) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac, false);
  const b = await device(browser, UA.firefoxWindows, false);
  await signUp(a, email, false);
  await signIn(b, email, false);

  await openDevices(a, false);
  await expect(devices(a)).toHaveCount(2);
  await devices(a)
    .filter({ hasText: "Firefox 139 on Windows" })
    .getByRole("button", { name: "Log out" })
    .click();
  await expect(a).toHaveURL(/\/settings\/sessions\?done=device$/);
  await expect(a.getByRole("status")).toHaveText("The device has been logged out.");
  await expect(devices(a)).toHaveCount(1);
  await expect(devices(a).first()).toContainText("This device");

  await b.goto("/");
  await expect(b).toHaveURL(/\/signin/);
});

test("a revoked device that is still on the page is sent to sign-in on its next action", async ({ browser }) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  const b = await device(browser, UA.firefoxWindows);
  await signUp(a, email);
  await signIn(b, email);
  // Without live push (a proxy that drops the stream, or the server's caps), the page learns on its next action.
  await b.context().route("**/api/sessions/live*", (route) => route.abort());
  await openDevices(b);
  await openDevices(a);
  await a.getByRole("button", { name: "Sign out of all other sessions" }).click();
  await expect(devices(a)).toHaveCount(1);

  // B still shows the old page; its next server call is refused and the page reloads into sign-in.
  await devices(b).filter({ hasText: "Chrome 137 on macOS" }).getByRole("button", { name: "Log out" }).click();
  await expect(b).toHaveURL(/\/signin/);
  await expect(devices(a)).toHaveCount(1);
});
