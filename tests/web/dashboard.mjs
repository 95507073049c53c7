// dashboard.mjs: the analyst dashboard of `watchpost serve` in a real browser.
//
// Run by the shared browser kit against a running server with demo data (see README.md here):
//   node browser_check.mjs tests/web/dashboard.mjs --base http://127.0.0.1:PORT --screenshots DIR
// Environment (all required but the viewer pair):
//   WP_WEB_USER / WP_WEB_PASS   an admin account
//   WP_WEB_HOSTILE_ID           event id whose subject carries <script> / <img onerror> payloads
//   WP_WEB_QREF                 a quarantine ref in state "held" (this test releases it)
//   WP_WEB_INCIDENT_ID          an incident with timeline entries
//   WP_WEB_VERDICT              verdict to search events by (default "phishing")
//   WP_WEB_VIEWER_USER / _PASS  optional: a viewer account, to check actions are hidden
// The release is not undone: give the test a fresh demo database each run.

const env = (k, dflt) => {
  const v = process.env[k] ?? dflt;
  if (v === undefined || v === '') throw new Error(`set ${k} (see tests/web/README.md)`);
  return v;
};

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

export default async function ({ page, context, url, step, expect, assert, allow, newContext, renderedFonts }) {
  const user = env('WP_WEB_USER');
  const pass = env('WP_WEB_PASS');
  const hostileId = env('WP_WEB_HOSTILE_ID');
  const qref = env('WP_WEB_QREF');
  const incidentId = env('WP_WEB_INCIDENT_ID');
  const verdict = env('WP_WEB_VERDICT', 'phishing');

  // Expected 401s: the dashboard asks /me on load to learn whether it is signed in, the wrong
  // password step answers 401 on /login, and the logout step checks /me is 401. Chromium
  // reports each as a failed request and a console error; nothing else may fail.
  allow(/failed request: 401 (GET|POST) \S+\/api\/v1\/(me|login)$/);
  allow(/console error: Failed to load resource: the server responded with a status of 401 \(\w*\) \(\S+\/api\/v1\/(me|login):\d+\)$/);

  // Hostile content must never open a dialog; fail loudly if one appears.
  const dialogs = [];
  context.on('page', (p) => p.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); }));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });

  // The router stamps #view with a render number; waiting for a new one keeps a check from
  // reading the previous page's table while the next page is still loading.
  const rendered = (p) => p.evaluate(() => document.getElementById('view').dataset.rendered || '');
  const waitRender = (p, before) => p.waitForFunction((b) =>
    (document.getElementById('view').dataset.rendered || '') !== b, before);

  // Hash navigation inside the single page app, then wait for what the page must show.
  const go = async (p, hash, selector) => {
    const before = await rendered(p);
    const changed = await p.evaluate((hh) => {
      const c = location.hash !== hh;
      location.hash = hh;
      return c;
    }, hash);
    if (changed) await waitRender(p, before);
    await p.locator(selector).first().waitFor();
  };

  const login = async (p, u, pw) => {
    await p.fill('#login-user', u);
    await p.fill('#login-pass', pw);
    await p.press('#login-pass', 'Enter');
    await p.locator('#nav').waitFor();
  };

  await step('GET / sends the strict CSP and no inline script', async () => {
    const resp = await page.goto(url('/'));
    expect(resp.status()).toBe(200);
    const h = resp.headers();
    // every directive of CSP, with exactly that value (the server may add stricter ones,
    // such as object-src 'none'); nothing anywhere may be 'unsafe-*'
    const got = new Map((h['content-security-policy'] || '').split(';').map((d) => d.trim())
      .filter(Boolean).map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1).join(' ')]));
    for (const d of CSP.split(';').map((x) => x.trim())) {
      const [name, ...vals] = d.split(/\s+/);
      expect(`${name} ${got.get(name)}`).toBe(`${name} ${vals.join(' ')}`);
    }
    expect(h['content-security-policy']).not.toMatch(/unsafe-/);
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('[style]').count()).toBe(0);
    await page.locator('#login').waitFor();
  });

  await step('Tab order on the login form; a wrong password is refused with a message', async () => {
    await page.locator('#login-user').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement.id)).toBe('login-pass');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement.id)).toBe('login-submit');
    await page.fill('#login-user', user);
    await page.fill('#login-pass', `${pass}-wrong`);
    await page.click('#login-submit');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    expect(await page.locator('#login-error').textContent()).toMatch(/wrong|too many/i);
    expect(await page.locator('#nav').isVisible()).toBe(false);
  });

  await step('log in as admin: header shows user and role, session cookie is HttpOnly', async () => {
    await login(page, user, pass);
    expect(await page.locator('#user').textContent()).toBe(user);
    expect(await page.locator('#role').textContent()).toBe('admin');
    const cookie = (await context.cookies()).find((c) => c.name === 'wp_session');
    assert.ok(cookie, 'no wp_session cookie after login');
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
  });

  await step('overview: severity 0-5 counts and the verdict chart', async () => {
    await go(page, '#/overview', 'svg.chart');
    const counts = await page.locator('.severity-counts .count').allTextContents();
    expect(counts.length).toBe(6);
    for (const c of counts) expect(c).toMatch(/^\d+$/);
    expect(await page.locator('.verdict-counts .count').count()).toBeGreaterThan(4);
    const box = await page.locator('svg.chart').boundingBox();
    assert.ok(box && box.width > 400 && box.height > 100, `chart box ${JSON.stringify(box)}`);
    expect(await page.locator('svg.chart .bucket').count()).toBeGreaterThan(0);
    expect(await page.locator('#nav a[aria-current="page"]').textContent()).toBe('Overview');
  });

  await step(`events: search by verdict ${verdict} returns rows of that verdict`, async () => {
    await go(page, '#/events', 'form.events-search');
    await page.selectOption('form.events-search select[name="verdict"]', verdict);
    const before = await rendered(page);
    await page.click('form.events-search button[type="submit"]');
    await waitRender(page, before);
    expect(await page.evaluate(() => location.hash)).toContain(`verdict=${verdict}`);
    await page.locator('#events-table tbody tr').first().waitFor();
    const shown = await page.locator('#events-table tbody tr .verdict').allTextContents();
    expect(shown.length).toBeGreaterThan(0);
    for (const v of shown) expect(v).toBe(verdict);
    expect(await page.locator('select[name="verdict"]').inputValue()).toBe(verdict);
    if (await page.locator('#events-more').isVisible()) {
      const before = shown.length;
      await page.click('#events-more');
      await page.waitForFunction((n) => document.querySelectorAll('#events-table tbody tr').length > n, before);
    }
  });

  await step('hostile message: payloads shown as text, nothing runs', async () => {
    await go(page, `#/events/${hostileId}`, 'h1.subject');
    await page.waitForLoadState('networkidle');
    const subject = await page.locator('h1.subject').textContent();
    assert.match(subject, /<script|<img|onerror/i, `subject ${JSON.stringify(subject)} does not show the payload literally`);
    const damage = await page.evaluate(() => ({
      pwned: window.__pwned,
      scripts: document.querySelectorAll('#view script, #view iframe, #view object, #view embed').length,
      imgs: document.querySelectorAll('#view img').length,
      handlers: [...document.querySelectorAll('#view *')].flatMap((e) => e.getAttributeNames().filter((a) => /^on/i.test(a))).length,
      badLinks: [...document.querySelectorAll('#view a[href]')].filter((a) => !/^(#|\/)/.test(a.getAttribute('href'))).length,
    }));
    expect(damage).toEqual({ pwned: undefined, scripts: 0, imgs: 0, handlers: 0, badLinks: 0 });
    expect(dialogs).toEqual([]);
    expect(await page.locator('#view h2', { hasText: 'Findings' }).count()).toBe(1);
    // Japanese in the subject, if the demo data has some, must be drawn with a CJK font.
    if (/[\u3040-\u30ff\u4e00-\u9fff]/.test(subject)) {
      const fonts = await renderedFonts('h1.subject');
      assert.ok(fonts.some((f) => /CJK|IPA|Gothic/i.test(f.familyName)), `subject drawn with ${JSON.stringify(fonts)}`);
    }
  });

  await step(`quarantine: release ${qref} with a reason`, async () => {
    await go(page, '#/quarantine?state=held', '#quarantine-table');
    const row = page.locator(`#quarantine-table tr[data-ref=${JSON.stringify(qref)}]`);
    assert.ok(await row.count() === 1, `ref ${qref} is not in the first page of held messages`);
    await row.locator('button.act-release').click();
    const form = row.locator('form.act-release-form');
    // An empty reason is refused in the page, before any request.
    await form.locator('button[type="submit"]').click();
    await form.locator('.error').waitFor({ state: 'visible' });
    await form.locator('textarea[name="reason"]').fill('false positive: invoice from a known supplier (browser test)');
    await form.locator('button[type="submit"]').click();
    await row.locator('.state-released').waitFor();
    expect(await row.locator('button.act-release').count()).toBe(0);
    await go(page, '#/quarantine?state=released', '#quarantine-table');
    await page.locator(`#quarantine-table tr[data-ref=${JSON.stringify(qref)}] .state-released`).waitFor();
  });

  await step('incidents list', async () => {
    await go(page, '#/incidents?status=all', 'table.data');
    expect(await page.locator('table.data tbody tr').count()).toBeGreaterThan(0);
  });

  await step(`incident ${incidentId}: timeline and severity history`, async () => {
    await go(page, `#/incidents/${incidentId}`, '#incident-status');
    await page.locator('#timeline tbody tr').first().waitFor();
    expect(await page.locator('#timeline tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#view h2', { hasText: 'Severity history' }).count()).toBe(1);
  });

  if (process.env.WP_WEB_VIEWER_USER && process.env.WP_WEB_VIEWER_PASS) {
    await step('a viewer sees no release, delete or raw download controls', async () => {
      const ctx = await newContext();
      const p = await ctx.newPage();
      await p.goto(url('/'));
      await p.locator('#login').waitFor();
      await login(p, process.env.WP_WEB_VIEWER_USER, process.env.WP_WEB_VIEWER_PASS);
      expect(await p.locator('#role').textContent()).toBe('viewer');
      await go(p, '#/quarantine?state=all', '#quarantine-table');
      expect(await p.locator('.act-release, .act-delete, a[href*="/raw"]').count()).toBe(0);
      await go(p, `#/events/${hostileId}`, 'h1.subject');
      expect(await p.locator('.act-release, .act-delete, a[href*="/raw"]').count()).toBe(0);
      await go(p, `#/incidents/${incidentId}`, '#incident-status');
      expect(await p.locator('.act-ack, .act-close').count()).toBe(0);
      await ctx.close();
    });
  }

  await step('log out: back to the login form and /api/v1/me is 401', async () => {
    await page.click('#logout');
    await page.locator('#login').waitFor();
    expect(await page.locator('#nav').isVisible()).toBe(false);
    const me = await page.request.get(url('/api/v1/me'));
    expect(me.status()).toBe(401);
    await page.reload();
    await page.locator('#login').waitFor();
    expect(dialogs).toEqual([]);
  });
}
