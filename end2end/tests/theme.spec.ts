import { Page } from "@playwright/test";
import { expect, test, UA } from "./helpers";

const LIGHT_BG = "rgb(245, 246, 248)";
const DARK_BG = "rgb(13, 16, 20)";

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

for (const js of [true, false]) {
  test(`the theme follows the system until one is chosen in the footer (${js ? "with" : "without"} JavaScript)`, async ({
    browser,
  }) => {
    const context = await browser.newContext({ userAgent: UA.chromeMac, colorScheme: "dark", javaScriptEnabled: js });
    const page = await context.newPage();
    await page.goto("/signin");
    expect(await background(page)).toBe(DARK_BG);
    const group = page.getByRole("group", { name: "Theme" });
    await expect(group.getByRole("button", { name: "System" })).toHaveAttribute("aria-pressed", "true");

    await group.getByRole("button", { name: "Light" }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
    expect(await background(page)).toBe(LIGHT_BG);
    await expect(group.getByRole("button", { name: "Light" })).toHaveAttribute("aria-pressed", "true");
    // The choice is a cookie: the next page is rendered in it by the server.
    await page.goto("/signup");
    expect(await background(page)).toBe(LIGHT_BG);

    await page.getByRole("group", { name: "Theme" }).getByRole("button", { name: "System" }).click();
    await expect(page.locator("html")).not.toHaveAttribute("data-theme", /.*/);
    expect(await background(page)).toBe(DARK_BG);
    await context.close();
  });
}

test("the focus ring is a solid line in the accent colour in both themes", async ({ browser }) => {
  for (const [scheme, accent] of [
    ["light", "rgb(58, 79, 215)"],
    ["dark", "rgb(140, 155, 255)"],
  ] as const) {
    const context = await browser.newContext({ userAgent: UA.chromeMac, colorScheme: scheme });
    const page = await context.newPage();
    await page.goto("/signin");
    await page.keyboard.press("Tab");
    const ring = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return [style.outlineStyle, style.outlineWidth, style.outlineColor];
    });
    expect(ring).toEqual(["solid", "2px", accent]);
    await context.close();
  }
});

test("a theme the switch does not offer is refused, and the way back never leaves the site", async ({ request }) => {
  // From this site (the session layer refuses a post from any other).
  const origin = process.env.BASE_URL!;
  const odd = await request.post("/theme", { form: { theme: "purple" }, headers: { Origin: origin }, maxRedirects: 0 });
  expect(odd.status()).toBe(400);
  const away = await request.post("/theme", {
    form: { theme: "dark" },
    headers: { Origin: origin, Referer: "http://evil.example//elsewhere" },
    maxRedirects: 0,
  });
  expect(away.status()).toBe(303);
  expect(away.headers()["location"]).toBe("/");
  expect(away.headers()["set-cookie"]).toMatch(/^theme=dark; Path=\/; Max-Age=31536000; SameSite=Lax/);
});
