import { device, expect, hydrated, PASSWORD, signUp, test, UA, uniqueEmail } from "./helpers";

test("signed-out visits go to sign-in and come back after it", async ({ browser }) => {
  const email = uniqueEmail();
  const setup = await device(browser, UA.chromeMac);
  await signUp(setup, email);

  const page = await device(browser, UA.firefoxWindows);
  await page.goto("/settings/sessions");
  await expect(page).toHaveURL(/\/signin\?next=\/settings\/sessions$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(`  ${email.toUpperCase()} `);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/sessions$/);
  await expect(page.getByRole("heading", { name: "Your devices" })).toBeVisible();
});

test("a wrong password and an unknown email get the same message", async ({ browser }) => {
  const email = uniqueEmail();
  const page = await device(browser, UA.chromeMac);
  await signUp(page, email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin$/);

  const messages: string[] = [];
  for (const [who, password] of [
    [email, "wrong password"],
    [uniqueEmail(), PASSWORD],
  ]) {
    await page.goto("/signin");
    await hydrated(page);
    await page.getByLabel("Email").fill(who);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await expect(alert).toBeVisible();
    messages.push((await alert.textContent()) ?? "");
  }
  expect(messages[0]).toBe("That email and password don't match an account.");
  expect(messages[1]).toBe(messages[0]);
});

test("sign up refuses an email that already has an account", async ({ browser }) => {
  const email = uniqueEmail();
  const page = await device(browser, UA.chromeMac);
  await signUp(page, email);
  const other = await device(browser, UA.firefoxWindows);
  await other.goto("/signup");
  await hydrated(other);
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill(PASSWORD);
  await other.getByRole("button", { name: "Create account" }).click();
  await expect(other.getByRole("alert")).toHaveText("An account with this email already exists. Try signing in.");
});

test("sign out ends only this device", async ({ browser }) => {
  const email = uniqueEmail();
  const a = await device(browser, UA.chromeMac);
  const b = await device(browser, UA.firefoxWindows);
  await signUp(a, email);
  await b.goto("/signin");
  await hydrated(b);
  await b.getByLabel("Email").fill(email);
  await b.getByLabel("Password").fill(PASSWORD);
  await b.getByRole("button", { name: "Sign in" }).click();
  await expect(b).toHaveURL(/\/$/);

  await hydrated(b);
  await b.getByRole("button", { name: "Sign out" }).click();
  await expect(b).toHaveURL(/\/signin$/);
  await b.goto("/");
  await expect(b).toHaveURL(/\/signin/);
  await a.goto("/settings/sessions");
  await expect(a.locator("li.sessions-device")).toHaveCount(1);
});

test("server functions answer 401 when signed out, and a tampered cookie is signed out", async ({ browser, request }) => {
  const res = await request.post("/api/sessions/devices", { headers: { Accept: "application/json" } });
  expect(res.status()).toBe(401);

  const email = uniqueEmail();
  const page = await device(browser, UA.chromeMac);
  await signUp(page, email);
  // Its live stream is open on the genuine cookie (opened with the forged one, it would load the page again itself).
  await expect(page.locator("html[data-sessions-live=open]")).toHaveCount(1);
  const context = page.context();
  const [cookie] = (await context.cookies()).filter((c) => c.name === "session");
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe("Lax");
  await context.addCookies([{ ...cookie, value: cookie.value.slice(0, -1) + (cookie.value.endsWith("a") ? "b" : "a") }]);
  await page.goto("/settings/sessions");
  await expect(page).toHaveURL(/\/signin/);
  expect((await context.cookies()).filter((c) => c.name === "session")).toHaveLength(0);
});

test("a cross-site form post is refused", async ({ request }) => {
  const res = await request.post("/api/sessions/revoke-others", {
    headers: { Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
    data: "",
  });
  expect(res.status()).toBe(403);
});

test("pages follow the browser's language", async ({ browser }) => {
  const context = await browser.newContext({ locale: "es-ES", userAgent: UA.chromeMac });
  const page = await context.newPage();
  await page.goto("/signup");
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await hydrated(page);
  await page.getByLabel("Correo electrónico").fill(uniqueEmail());
  await page.getByLabel("Contraseña").fill(PASSWORD);
  await page.getByRole("button", { name: "Crear cuenta" }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto("/settings/sessions");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Tus dispositivos" })).toBeVisible();
  await expect(page.locator("li.sessions-device").first()).toContainText("Chrome 137 en macOS");
  await expect(page.locator("li.sessions-device").first()).toContainText("Este dispositivo");
});
