import { device, devices, expect, openDevices, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

const firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0";

/** The class of the element that has focus, or its tag when it has none. */
async function focused(page: import("@playwright/test").Page) {
  return page.evaluate(() => document.activeElement?.className || document.activeElement?.tagName);
}

test("logging devices out with the keyboard: each outcome is announced, and a second Enter logs out nothing", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  await signUp(a, email);
  for (const ua of [UA.firefoxWindows, UA.safariIphone, firefoxLinux]) {
    await signIn(await device(browser, ua), email);
  }
  await openDevices(a);
  await expect(devices(a)).toHaveCount(4);

  // A double click on "Log out" logs out that one device, not the one that moves up under the pointer.
  await a.getByRole("button", { name: "Log out Firefox 139 on Windows" }).dblclick();
  await expect(a.getByRole("status")).toHaveText("Firefox 139 on Windows has been logged out.");
  await a.waitForTimeout(500);
  await expect(devices(a)).toHaveCount(3);
  // Nor does the second click send the same logout again (it would come back as "not found").
  await expect(a.getByRole("alert")).toHaveCount(0);
  await expect(a.getByRole("status")).toHaveText("Firefox 139 on Windows has been logged out.");

  // Enter on "Log out": focus moves to the announcement, so Enter again does nothing.
  await a.getByRole("button", { name: "Log out Safari 18 on iOS" }).focus();
  await a.keyboard.press("Enter");
  await expect(a.getByRole("status")).toHaveText("Safari 18 on iOS 18.5 has been logged out.");
  await expect.poll(() => focused(a)).toContain("sessions-status");
  await a.keyboard.press("Enter");
  await a.waitForTimeout(500);
  await expect(devices(a)).toHaveCount(2);

  // "Sign out of all other sessions" replaces the last message with its own count.
  await a.getByRole("button", { name: "Sign out of all other sessions" }).focus();
  await a.keyboard.press("Enter");
  await expect(a.getByRole("status")).toHaveText("One other session has been signed out.");
  await expect.poll(() => focused(a)).toContain("sessions-status");
  await expect(devices(a)).toHaveCount(1);
});
