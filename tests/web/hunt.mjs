// hunt.mjs: the Hunt page (#/hunt) of `watchpost serve` in a real browser.
//
// Run by tests/serve/run.sh through the shared browser kit, on the demo store: an hour of
// generated Zeek logs in which 10.20.0.15 beacons to 203.0.113.50, a listed address. All of
// its findings are in the demo's incident, so the default list (pairs in no incident) is
// empty and points to the full one.
// Environment: WP_WEB_USER / WP_WEB_PASS (any role may read the page).

const env = (k) => {
  const v = process.env[k];
  if (v === undefined || v === '') throw new Error(`set ${k} (see tests/web/README.md)`);
  return v;
};

export default async function ({ page, url, step, expect, allow }) {
  // the dashboard asks /me on load to learn whether it is signed in: a 401 until the login
  allow(/failed request: 401 GET \S+\/api\/v1\/me$/);
  allow(/console error: Failed to load resource: the server responded with a status of 401 \(\w*\) \(\S+\/api\/v1\/me:\d+\)$/);

  const rendered = () => page.evaluate(() => document.getElementById('view').dataset.rendered || '');
  const afterRender = async (before, selector) => {
    await page.waitForFunction((b) => (document.getElementById('view').dataset.rendered || '') !== b, before);
    await page.locator(selector).first().waitFor();
  };
  const rowsOf = () => page.locator('#view table.data tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    code: tr.dataset.code,
    src: tr.dataset.src,
    score: Number(tr.querySelector('.score .num').textContent),
    cells: [...tr.children].map((td) => td.textContent),
  })));

  await step('log in and open Hunt from the navigation', async () => {
    await page.goto(url('/'));
    await page.fill('#login-user', env('WP_WEB_USER'));
    await page.fill('#login-pass', env('WP_WEB_PASS'));
    await page.press('#login-pass', 'Enter');
    await page.locator('#nav').waitFor();
    const before = await rendered();
    await page.click('#nav a[href="#/hunt"]');
    await afterRender(before, 'form.hunt-filter');
    expect(await page.locator('#nav a[href="#/hunt"]').getAttribute('aria-current')).toBe('page');
    expect(await page.title()).toBe('Hunt - watchpost');
  });

  await step('by default the pairs already in an incident are left out, with a way to include them', async () => {
    expect(await page.locator('#view [role=status]').textContent()).toContain('Nothing matched');
    expect(await page.locator('#hunt-include').count()).toBe(1);
  });

  await step('include them: ranked rows, the beacon with its components and its incident', async () => {
    const before = await rendered();
    await page.click('#hunt-include');
    await afterRender(before, '#view table.data tbody tr');
    const rows = await rowsOf();
    expect(rows.length).toBeGreaterThan(1);
    const scores = rows.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const beacon = rows.find((r) => r.code === 'NET_BEACON' && r.src === '10.20.0.15');
    expect(!!beacon).toBeTruthy();
    expect(beacon.cells.join(' ')).toContain('203.0.113.50:443');
    const tr = page.locator('#view tr[data-code="NET_BEACON"][data-src="10.20.0.15"]');
    expect(await tr.locator('ul.components li').count()).toBe(7);
    expect(await tr.locator('ul.components').textContent()).toContain('coverage');
    expect(await tr.locator('a[href^="#/incidents/"]').count()).toBe(1);
    const bar = await tr.locator('svg.scorebar').boundingBox();
    expect(bar.width).toBeGreaterThan(30);
  });

  await step('filter by a code family: only beacons', async () => {
    await page.selectOption('form.hunt-filter select[name=code]', 'beacon');
    const before = await rendered();
    await page.click('form.hunt-filter button[type=submit]');
    await afterRender(before, '#view table.data tbody tr');
    expect(page.url()).toContain('code=beacon');
    const rows = await rowsOf();
    expect(rows.length).toBe(1);
    expect(rows[0].code).toBe('NET_BEACON');
    expect(await page.locator('form.hunt-filter select[name=all]').inputValue()).toBe('1');
  });

  await step('a bad filter shows the server\'s reason, not a broken page', async () => {
    allow(/(failed request: 400 GET|status of 400).*\/api\/v1\/hunt/);
    const before = await rendered();
    await page.evaluate(() => { location.hash = '#/hunt?since=yesterday'; });
    await afterRender(before, '#view .error');
    expect(await page.locator('#view .error').textContent()).toContain('since');
  });
}
