import { defineConfig } from "@playwright/test";

// Debian's Chromium; Playwright's own browser downloads are not available here.
export default defineConfig({
  testDir: "./tests",
  // The two-instance test runs only when scripts/e2e.sh starts a second instance (E2E_BACKEND=postgres).
  // host.spec.ts drives the example host site, which scripts/e2e.sh starts instead of the demo (E2E_SITE=host).
  testIgnore: [
    ...(process.env.BASE_URL_B ? [] : ["**/instances.spec.ts"]),
    ...(process.env.E2E_SITE === "host" ? [] : ["**/host.spec.ts"]),
  ],
  timeout: 30_000,
  // A stray test.only must not pass CI with the rest of the suite silently left out.
  forbidOnly: !!process.env.CI,
  workers: 1,
  reporter: "list",
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
