import { execFileSync } from "node:child_process";
import { expect, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

// A 390x844 phone in Spanish, the longer language: the layouts that broke there.
test("on a phone the detail lines break between facts, the sections share one row, and the console stays readable", async ({
  browser,
}) => {
  const email = uniqueEmail();
  const phone = await browser.newContext({ userAgent: UA.safariIphone, viewport: { width: 390, height: 844 }, locale: "es-ES" });
  const page = await phone.newPage();
  await page.goto("/signup");
  await page.locator("#email").fill(email);
  await page.locator("#password").fill("correct horse battery");
  await page.locator(".auth-card button[type=submit]").click();
  await expect(page).toHaveURL(/\/$/);
  const other = await (await browser.newContext({ userAgent: UA.firefoxWindows })).newPage();
  await signIn(other, email);

  await page.goto("/settings/sessions");
  const metas = page.locator("li.sessions-device .sessions-device-meta");
  await expect(metas).toHaveCount(2);
  for (const text of await metas.allTextContents()) {
    // Each separator is glued to the fact before it (a no-break space), so no line can start with it.
    expect(text).not.toMatch(/[ \n\t]·/);
    expect(text).toContain("\u00a0·");
  }
  // "Activo ahora" is one line box, never split in two.
  for (const activity of await page.locator(".sessions-activity").all()) {
    expect(await activity.evaluate((e) => e.getClientRects().length)).toBe(1);
  }
  // The three settings sections sit in one row of equal widths, under the title.
  const links = page.locator(".settings-nav a");
  const boxes = await Promise.all((await links.all()).map((l) => l.boundingBox()));
  expect(new Set(boxes.map((b) => Math.round(b!.y))).size).toBe(1);
  expect(Math.max(...boxes.map((b) => b!.width)) - Math.min(...boxes.map((b) => b!.width))).toBeLessThan(2);
  // Nothing is wider than the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  // The top bar's sign-out and a device's log-out say different things.
  await expect(page.locator(".account button")).toHaveText("Salir");
  await expect(page.locator("li.sessions-device button").first()).toHaveText("Cerrar sesión");

  execFileSync(process.env.E2E_SERVER_BIN ?? "../target/release/server", ["admin", "grant", email], {
    env: { ...process.env, RUST_LOG: "error" },
  });
  await page.goto("/admin/sessions");
  // The five tabs stay one row (it scrolls sideways), and the chart's labels are drawn at 9px or more.
  const tabs = await page.locator(".admin-tab").all();
  const tops = await Promise.all(tabs.map((t) => t.evaluate((e) => e.getBoundingClientRect().top)));
  expect(new Set(tops.map(Math.round)).size).toBe(1);
  const label = page.locator(".admin-chart-axis text").first();
  const rendered = await label.evaluate((e) => e.getBoundingClientRect().height);
  expect(rendered).toBeGreaterThanOrEqual(9);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
