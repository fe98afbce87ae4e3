import { expect, Page, test } from "@playwright/test";
import { device, devices, UA } from "./helpers";

// The second host site (server/examples/host_site.rs): only the library's public API, no hydration, a dark theme.
// scripts/e2e.sh runs this file alone against it (E2E_SITE=host); the demo's run skips it.

const PASSWORD = "correct horse battery staple";

async function logIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
}

test("a host site mounts the devices section: sign in twice, revoke one, the other is signed out", async ({ browser }) => {
  const a = await device(browser, UA.chromeMac, false);
  const b = await device(browser, UA.firefoxWindows, false);
  await logIn(a, "ada@example.com");
  await logIn(b, "ada@example.com");

  await a.goto("/account/security");
  await expect(a.getByRole("heading", { name: "Account security" })).toBeVisible();
  await expect(a.getByRole("heading", { name: "Your devices" })).toBeVisible();
  await expect(devices(a)).toHaveCount(2);
  await expect(devices(a).first()).toContainText("This device");
  await expect(devices(a).first()).toContainText("Chrome 137 on macOS");

  // The host's dark theme reaches the section through its custom properties.
  const background = await a.locator(".sessions-list").evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(background).toBe("rgb(22, 26, 32)");
  const accent = await a.locator(".sessions-devices a").first().evaluate((el) => getComputedStyle(el).color);
  expect(accent).toBe("rgb(240, 163, 74)");

  await devices(a)
    .filter({ hasText: "Firefox 139 on Windows" })
    .getByRole("button", { name: "Log out Firefox 139 on Windows" })
    .click();
  // Without JavaScript the form post comes back to the page (Leptos appends an empty query).
  await expect(a).toHaveURL(/\/account\/security\??$/);
  await expect(devices(a)).toHaveCount(1);

  // B's very next request is signed out, and the host's own guard sends it to its login page.
  await b.goto("/account/security");
  await expect(b).toHaveURL(/\/login$/);

  // The history page is the library's, under the host's route; it shows the revocation.
  await a.goto("/account/security/history");
  await expect(a.locator(".sessions-event").first()).toContainText(/logged out|revoked/i);

  // A wrong password, or an account that does not exist, signs nobody in.
  await logInFails(b, "nobody@example.com");
});

async function logInFails(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.goto("/account/security");
  await expect(page).toHaveURL(/\/login$/);
}
