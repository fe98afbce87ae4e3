import { execFileSync } from "node:child_process";
import AxeBuilder from "@axe-core/playwright";
import { Browser } from "@playwright/test";
import { device, expect, PASSWORD, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

// axe-core on every page, in both languages and both themes: no violation of the WCAG 2.1 A and AA rules.

const SIGNED_OUT = ["/signin", "/signup", "/signin?ended=device", "/does-not-exist"];
const SIGNED_IN = [
  "/",
  "/settings/sessions",
  "/settings/sessions/history",
  "/settings/password",
  "/settings/confirm?next=/settings/sessions",
  "/admin/sessions",
  "/admin/sessions?view=failures",
  "/admin/sessions?view=new-devices",
  "/admin/sessions?view=countries",
  "/admin/sessions?view=history",
];

async function signedInState(browser: Browser) {
  const email = uniqueEmail();
  const owner = await device(browser, UA.chromeMac);
  await signUp(owner, email);
  // A second device, a failed attempt and an alert, so the lists, badges and buttons are all on the pages.
  const other = await browser.newContext({ userAgent: UA.firefoxWindows, extraHTTPHeaders: { "X-Forwarded-For": "81.2.69.160" } });
  const page = await other.newPage();
  await signIn(page, email);
  execFileSync(process.env.E2E_SERVER_BIN ?? "../target/release/server", ["admin", "grant", email], {
    env: { ...process.env, RUST_LOG: "error" },
  });
  const state = await owner.context().storageState();
  await owner.goto("/settings/sessions");
  const other_id = await owner.locator("li.sessions-device").nth(1).getAttribute("data-device-id");
  return { state, pages: [...SIGNED_IN, `/settings/sessions/${other_id}`] };
}

for (const locale of ["en-US", "es-ES"]) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`every page passes axe's WCAG 2.1 A/AA rules (${locale}, ${colorScheme})`, async ({ browser }) => {
      test.setTimeout(120_000);
      const { state: storageState, pages } = await signedInState(browser);
      const visit = async (paths: string[], signedIn: boolean) => {
        const context = await browser.newContext({
          userAgent: UA.chromeMac,
          locale,
          colorScheme,
          ...(signedIn ? { storageState } : {}),
        });
        const page = await context.newPage();
        const found: string[] = [];
        for (const path of paths) {
          await page.goto(path);
          await page.waitForLoadState("networkidle");
          const results = await new AxeBuilder({ page })
            .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
            .analyze();
          for (const v of results.violations) {
            found.push(`${path}: ${v.id} (${v.nodes.length}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
          }
        }
        await context.close();
        return found;
      };
      const violations = [...(await visit(SIGNED_OUT, false)), ...(await visit(pages, true))];
      expect(violations).toEqual([]);
    });
  }
}
