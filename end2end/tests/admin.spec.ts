import { execFileSync } from "node:child_process";
import { Browser, Page } from "@playwright/test";
import { device, expect, hydrated, PASSWORD, signedOut, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

// The flag is granted the way an operator would: the server's command line, on the database the test server uses
// (scripts/e2e.sh exports SESSIONS_DATABASE_URL and the secret).
function grantAdmin(email: string) {
  execFileSync(process.env.E2E_SERVER_BIN ?? "../target/release/server", ["admin", "grant", email], {
    env: { ...process.env, RUST_LOG: "error" },
  });
}

async function from(browser: Browser, userAgent: string, ip: string): Promise<Page> {
  const context = await browser.newContext({ userAgent, locale: "en-US", extraHTTPHeaders: { "X-Forwarded-For": ip } });
  return context.newPage();
}

async function failSignIn(page: Page, email: string) {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("don't match an account");
}

test("the admin console is a 404 for everyone but administrators", async ({ browser }) => {
  const anonymous = await device(browser, UA.chromeMac);
  const response = await anonymous.goto("/admin/sessions");
  expect(response?.status()).toBe(404);
  await expect(anonymous.getByRole("heading", { name: "Page not found" })).toBeVisible();

  const user = await device(browser, UA.chromeMac);
  await signUp(user, uniqueEmail());
  expect((await user.goto("/admin/sessions"))?.status()).toBe(404);
  await expect(user.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await user.goto("/");
  await hydrated(user);
  await expect(user.getByRole("link", { name: "Admin" })).toHaveCount(0);
  const api = await user.request.post("/api/demo/admin/sessions", { form: {} });
  expect(api.status()).toBe(404);
});

test("an administrator finds an attack, reads the account's trail and revokes its sessions", async ({ browser }) => {
  const adminEmail = uniqueEmail();
  const victim = uniqueEmail();
  const admin = await device(browser, UA.chromeMac);
  await signUp(admin, adminEmail);
  grantAdmin(adminEmail);

  // The victim signs up at home, then signs in from London (a new device); an attacker guesses from elsewhere.
  const home = await device(browser, UA.chromeMac);
  await signUp(home, victim);
  const london = await from(browser, UA.firefoxWindows, "81.2.69.142");
  await signIn(london, victim);
  const attacker = await from(browser, UA.firefoxWindows, "89.160.20.112");
  await failSignIn(attacker, victim);
  await failSignIn(attacker, `nobody-${victim}`);

  await admin.goto("/");
  await hydrated(admin);
  await admin.getByRole("link", { name: "Admin" }).click();
  await expect(admin).toHaveURL(/\/admin\/sessions$/);
  await expect(admin.getByRole("heading", { name: "Security console" })).toBeVisible();
  await expect(admin.getByRole("img", { name: /Sign-ins and failed sign-ins per hour/ })).toBeVisible();
  await expect(admin.locator(".admin-chart-summary")).toContainText(/\d+ failed attempts? in 7 days/);

  // Failed sign-ins by address: the attacker tried two accounts; by account: the victim's email as typed.
  await admin.getByRole("link", { name: "Failed sign-ins" }).click();
  const byIp = admin.locator(".admin-table tbody tr").filter({ hasText: "89.160.20.112" });
  await expect(byIp).toContainText("SE");
  await expect(byIp.locator("td").nth(2)).toHaveText("2");
  await admin.getByRole("link", { name: "By account" }).click();
  await expect(admin.locator(".admin-table tbody tr").filter({ hasText: victim }).first()).toBeVisible();
  const attempts = admin.getByRole("columnheader", { name: "Attempts" });
  await expect(attempts).toHaveAttribute("aria-sort", "descending");
  await attempts.getByRole("link").click();
  await expect(admin.getByRole("columnheader", { name: "Attempts" })).toHaveAttribute("aria-sort", "ascending");

  // New devices and countries show the London sign-in.
  await admin.getByRole("link", { name: "New devices" }).click();
  const flagged = admin.locator(".admin-table tbody tr").filter({ hasText: victim });
  await expect(flagged.first()).toContainText("London, United Kingdom");
  await expect(flagged.first()).toContainText("Firefox 139 on Windows");
  await admin.getByRole("link", { name: "Countries" }).click();
  await expect(admin.locator(".admin-table tbody tr").filter({ hasText: "United Kingdom" })).toBeVisible();

  // The account's history holds the failure typed against it, then the sessions view acts on it.
  await admin.getByRole("link", { name: "Account history" }).click();
  await admin.getByLabel("Account email").fill(victim);
  await admin.getByRole("button", { name: "Show history" }).click();
  await expect(admin.getByText(`${victim}: 2 live sessions`)).toBeVisible();
  await expect(admin.locator("li.sessions-event[data-kind=failed_login]")).toHaveCount(1);

  // Ending sessions needs a recently confirmed password (within the default ten minutes).
  await admin.goto("/settings/confirm?next=/admin/sessions");
  await hydrated(admin);
  await admin.getByLabel("Password").fill(PASSWORD);
  await admin.getByRole("button", { name: "Confirm" }).click();
  await expect(admin).toHaveURL(/\/admin\/sessions$/);
  await hydrated(admin);
  await admin.getByRole("link", { name: "Sessions", exact: true }).click();
  await admin.getByLabel("Account email").fill(victim);
  await admin.getByRole("button", { name: "Apply filters" }).click();
  await expect(admin).toHaveURL(/email=/);
  await hydrated(admin);
  const rows = admin.locator(".admin-table tbody tr");
  await expect(rows).toHaveCount(2);
  await rows.filter({ hasText: "London" }).getByRole("button", { name: /^Revoke Firefox 139 on Windows/ }).click();
  await expect(admin.getByRole("status")).toContainText("The session was ended");
  await expect(rows).toHaveCount(1);

  // "Revoke all" ends the one left; both browsers are signed out (their open tabs by themselves).
  await rows.first().getByRole("button", { name: /^Revoke all sessions/ }).click();
  await expect(admin.getByRole("status")).toContainText("1 session was ended");
  await expect(admin.getByText("No sessions match these filters.")).toBeVisible();
  for (const page of [london, home]) await signedOut(page);

  // The trail records who did it; bad filters get a clear message.
  await admin.goto(`/admin/sessions?view=history&email=${encodeURIComponent(victim)}`);
  await expect(admin.locator("li.sessions-event[data-kind=revoked]").first()).toContainText("ended by an administrator");
  await admin.goto("/admin/sessions?ip=999.1.1.1");
  await expect(admin.getByRole("alert")).toContainText("That isn't an IP address");
});
