import { device, devices, expect, hydrated, PASSWORD, signIn, signUp, test, UA, uniqueEmail } from "./helpers";

// Runs when scripts/e2e.sh starts two server instances on one PostgreSQL database (E2E_BACKEND=postgres).
const B = process.env.BASE_URL_B;

test("a device revoked on one instance is signed out on its very next request to the other", async ({ browser }) => {
  test.skip(!B, "needs two server instances (E2E_BACKEND=postgres scripts/e2e.sh)");
  const email = uniqueEmail();
  const owner = await device(browser, UA.chromeMac);
  const other = await device(browser, UA.firefoxWindows);
  // What its next request finds, not what live push tells its open tab (the test below): the stream is dropped.
  await other.context().route("**/api/sessions/live*", (route) => route.abort());
  await signUp(owner, email); // on instance A
  await signIn(other, email); // on instance A

  // The owner manages devices on instance B (cookies are per host, so the same session works there).
  await owner.goto(`${B}/settings/sessions`);
  await hydrated(owner);
  await expect(devices(owner)).toHaveCount(2);
  await devices(owner).filter({ hasText: "Firefox 139 on Windows" }).getByRole("button", { name: "Log out" }).click();
  await expect(devices(owner)).toHaveCount(1);

  // The revoked browser's next request, on instance A, is signed out.
  await other.goto("/settings/sessions");
  await expect(other).toHaveURL(/\/signin/);
  // And the other way round: a sign-in on B is visible from A at once.
  await other.goto(`${B}/signin`);
  await hydrated(other);
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill(PASSWORD);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other).toHaveURL(new RegExp(`${B}/$`));
  await owner.goto("/settings/sessions");
  await hydrated(owner);
  await expect(devices(owner)).toHaveCount(2);
});

test("live push crosses instances: a sign-in on one shows on a page open on the other, a logout signs it out", async ({
  browser,
}) => {
  test.skip(!B, "needs two server instances (E2E_BACKEND=postgres scripts/e2e.sh)");
  const email = uniqueEmail();
  const owner = await device(browser, UA.chromeMac);
  const other = await device(browser, UA.firefoxWindows);
  await signUp(owner, email); // on instance A
  await signIn(other, email); // on instance A
  // The other browser keeps its devices page open on instance B.
  await other.goto(`${B}/settings/sessions`);
  await hydrated(other);
  await expect(other.locator("html[data-sessions-live=open]")).toHaveCount(1);
  await expect(devices(other)).toHaveCount(2);

  // A third browser signs in on A: its row appears on the page open on B.
  const phone = await device(browser, UA.safariIphone);
  await signIn(phone, email);
  await expect(devices(other).filter({ hasText: "Safari 18 on iOS" })).toBeVisible({ timeout: 2_000 });

  // The owner logs the other browser out on A: the page open on B goes to the sign-in page by itself.
  await owner.goto("/settings/sessions");
  await hydrated(owner);
  await devices(owner).filter({ hasText: "Firefox 139 on Windows" }).getByRole("button", { name: "Log out" }).click();
  await expect(other).toHaveURL(new RegExp(`${B}/signin`), { timeout: 2_000 });
  await expect(other.getByText("You were signed out from another device.")).toBeVisible();
});
