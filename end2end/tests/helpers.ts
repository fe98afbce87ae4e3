import { Browser, BrowserContext, expect, Page, test as base } from "@playwright/test";

export { expect };

/**
 * Every spec imports `test` from here: an uncaught error on any page of any context a test opens fails that test,
 * and under CI a test may not skip itself (a silent skip there would hide a suite that never ran).
 */
export const test = base.extend<{ pageErrors: void }>({
  pageErrors: [
    async ({ browser, context }, use, testInfo) => {
      const errors: string[] = [];
      const watch = (ctx: BrowserContext) => ctx.on("weberror", (e) => errors.push(`${e.page()?.url()}: ${e.error()}`));
      watch(context);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const ctx = await newContext(options);
        watch(ctx);
        return ctx;
      };
      await use();
      browser.newContext = newContext;
      expect(errors, "uncaught errors in the page").toEqual([]);
      if (process.env.CI && testInfo.status === "skipped") {
        throw new Error(`skipped under CI: ${testInfo.annotations.map((a) => a.description).join("; ")}`);
      }
    },
    { auto: true },
  ],
});

export const UA = {
  chromeMac:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
  firefoxWindows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
};

export const PASSWORD = "correct horse battery";

let counter = 0;
export function uniqueEmail(): string {
  counter += 1;
  return `user-${Date.now()}-${counter}@example.com`;
}

/** Waits until the WASM bundle has hydrated the page, so clicks reach the reactive handlers. */
export async function hydrated(page: Page) {
  await expect(page.locator('[data-hydrated="true"]')).toHaveCount(1);
}

export async function device(
  browser: Browser,
  userAgent: string,
  javaScriptEnabled = true,
  baseURL?: string,
): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    userAgent,
    javaScriptEnabled,
    locale: "en-US",
    ...(baseURL ? { baseURL } : {}),
  });
  return context.newPage();
}

async function fill(page: Page, email: string, js: boolean) {
  if (js) await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
}

export async function signUp(page: Page, email: string, js = true) {
  await page.goto("/signup");
  await fill(page, email, js);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/$/);
}

export async function signIn(page: Page, email: string, js = true) {
  await page.goto("/signin");
  await fill(page, email, js);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
}

export async function openDevices(page: Page, js = true) {
  await page.goto("/settings/sessions");
  if (js) await hydrated(page);
  await expect(page.getByRole("heading", { name: "Your devices" })).toBeVisible();
}

/** The device rows a person sees (a logged-out row stays in the page, hidden). */
export function devices(page: Page) {
  return page.locator("li.sessions-device:visible");
}

/**
 * After its session was ended elsewhere: a tab with a live stream goes to the sign-in page by itself (well within a
 * second), one without (no JavaScript) on its next visit. Either way it ends up signed out, and the test never races
 * the tab's own reload with a navigation of its own.
 */
export async function signedOut(page: Page) {
  const left = await page.waitForURL(/\/signin/, { timeout: 5_000 }).then(
    () => true,
    () => false,
  );
  if (!left) await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
}
