import { device, expect, hydrated, signUp, test, UA, uniqueEmail } from "./helpers";

test("history times are in the browser's time zone once the page is live, and say UTC before", async ({ browser }) => {
  const email = uniqueEmail();
  const owner = await device(browser, UA.chromeMac);
  await signUp(owner, email);
  const state = await owner.context().storageState();

  // Without JavaScript: the server's UTC, labelled as such, under the day's name.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: state, locale: "en-US" });
  const page = await plain.newPage();
  await page.goto("/settings/sessions/history");
  const time = page.locator(".sessions-event time").first();
  await expect(time).toHaveText(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} UTC$/);
  await expect(page.locator(".sessions-day").first()).toHaveText(/^[A-Z][a-z]+ \d{1,2}, \d{4}$/);

  // With it, in Tokyo (UTC+9, no daylight saving): the same instant in local time, the UTC words kept as a tooltip.
  const tokyo = await browser.newContext({ storageState: state, locale: "en-US", timezoneId: "Asia/Tokyo" });
  const live = await tokyo.newPage();
  await live.goto("/settings/sessions/history");
  await hydrated(live);
  const local = live.locator(".sessions-event time").first();
  await expect(local).not.toHaveText(/UTC/);
  const utc = (await local.getAttribute("title"))!;
  expect(utc).toMatch(/UTC$/);
  const iso = (await local.getAttribute("datetime"))!;
  const expected = new Date(iso).toLocaleString("en-US", { timeZone: "Asia/Tokyo", dateStyle: "medium", timeStyle: "short" });
  await expect(local).toHaveText(expected);

  // Days are the reader's: at UTC+14 most of every day falls on the next calendar day, and the separators follow.
  const kiritimati = await browser.newContext({ storageState: state, locale: "en-US", timezoneId: "Pacific/Kiritimati" });
  const far = await kiritimati.newPage();
  await far.goto("/settings/sessions/history");
  await hydrated(far);
  const firstIso = (await far.locator(".sessions-event time").first().getAttribute("datetime"))!;
  const day = new Date(firstIso).toLocaleDateString("en-US", { timeZone: "Pacific/Kiritimati", dateStyle: "long" });
  await expect(far.locator(".sessions-day").first()).toHaveText(day);
  await expect(far.locator(".sessions-day")).toHaveCount(1);
});
