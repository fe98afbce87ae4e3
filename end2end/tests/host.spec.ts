import { Page } from "@playwright/test";
import { device, devices, expect, hydrated, test, UA } from "./helpers";

// The second host site (examples/host-site): only the library's public API, its own layout and a dark theme,
// server-rendered and hydrated. The same journey runs with JavaScript (the hydrated site) and without it.
// scripts/e2e.sh runs this file alone against it (E2E_SITE=host); the demo's run skips it.

const PASSWORD = "correct horse battery staple";

async function logIn(page: Page, email: string, js: boolean) {
  await page.goto("/login");
  if (js) await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
}

for (const js of [true, false]) {
  const mode = js ? "hydrated" : "without JavaScript";

  test(`a host site mounts the devices section (${mode}): sign in twice, revoke one, the other is signed out`, async ({
    browser,
  }) => {
    const a = await device(browser, UA.chromeMac, js);
    const b = await device(browser, UA.firefoxWindows, js);
    const errors: string[] = [];
    a.on("console", (m) => {
      // The example serves no favicon; anything else logged as an error fails the test.
      if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) errors.push(m.text());
    });
    await logIn(a, js ? "ada@example.com" : "grace@example.com", js);
    await logIn(b, js ? "ada@example.com" : "grace@example.com", js);

    const security = await a.goto("/account/security");
    // The section's page is never stored, though the host says nothing about caching.
    expect(security?.headers()["cache-control"]).toBe("no-store");
    if (js) await hydrated(a);
    await expect(a.getByRole("heading", { name: "Account security" })).toBeVisible();
    await expect(a.getByRole("heading", { name: "Your devices" })).toBeVisible();
    await expect(devices(a)).toHaveCount(2);
    await expect(devices(a).first()).toContainText("This device");
    await expect(devices(a).first()).toContainText("Chrome 137 on macOS");
    // The host's header knows who is signed in, on the server and after hydration.
    await expect(a.getByRole("button", { name: "Log out", exact: true })).toBeVisible();

    // The host's dark theme reaches the section through its custom properties.
    const background = await a.locator(".sessions-list").evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe("rgb(22, 26, 32)");
    const accent = await a.locator(".sessions-devices a").first().evaluate((el) => getComputedStyle(el).color);
    expect(accent).toBe("rgb(240, 163, 74)");
    // On a phone the section fits the screen even in a host that does not set box-sizing globally.
    await a.setViewportSize({ width: 390, height: 844 });
    expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await a.setViewportSize({ width: 1280, height: 720 });

    await devices(a)
      .filter({ hasText: "Firefox 139 on Windows" })
      .getByRole("button", { name: "Log out Firefox 139 on Windows" })
      .click();
    // Hydrated, the list updates in place; without JavaScript the form post comes back to the page, which says what
    // was done.
    await expect(devices(a)).toHaveCount(1);
    // In islands mode the button's island announces it with the words the server wrote for it.
    if (js) {
      await expect(a).toHaveURL(/\/account\/security$/);
      await expect(a.getByRole("status")).toHaveText("Firefox 139 on Windows has been logged out.");
    } else {
      await expect(a).toHaveURL(/\/account\/security\?done=device$/);
      await expect(a.getByRole("status")).toHaveText("The device has been logged out.");
    }

    // Hydrated, B's page (open on the section since it logged in) goes to the host's login page by itself: the
    // section brought live push with it. Either way B's very next request is signed out, and the host's own guard
    // sends it to its login page.
    if (js) await expect(b).toHaveURL(/\/login$/, { timeout: 2_000 });
    await b.goto("/account/security");
    await expect(b).toHaveURL(/\/login$/);

    // The history page is the library's, under the host's route; it shows the revocation.
    if (js) {
      await a.getByRole("link", { name: "See all" }).click();
      await expect(a).toHaveURL(/\/account\/security\/history$/);
    } else {
      await a.goto("/account/security/history");
    }
    await expect(a.locator(".sessions-event").first()).toContainText(/logged out|revoked/i);

    // A wrong password, or an account that does not exist, signs nobody in.
    await logInFails(b, "nobody@example.com", js);

    // The host's own log-out button ends this device's session.
    await a.getByRole("button", { name: "Log out", exact: true }).click();
    await expect(a.getByRole("link", { name: "Log in" }).first()).toBeVisible();
    await a.goto("/account/security");
    await expect(a).toHaveURL(/\/login$/);
    expect(errors, "no errors in the browser console (hydration included)").toEqual([]);
  });
}

async function logInFails(page: Page, email: string, js: boolean) {
  await page.goto("/login");
  if (js) await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong email or password.");
  await page.goto("/account/security");
  await expect(page).toHaveURL(/\/login$/);
}
