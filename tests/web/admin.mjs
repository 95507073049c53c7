// admin.mjs: the administration pages of the dashboard (#/users, #/audit) in a real browser.
//
// Run by the shared browser kit against a running server (tests/serve/run.sh runs it after
// dashboard.mjs):
//   node browser_check.mjs tests/web/admin.mjs --base http://127.0.0.1:PORT --screenshots DIR
// Environment:
//   WP_WEB_USER / WP_WEB_PASS                 an admin account
//   WP_WEB_VIEWER_USER / WP_WEB_VIEWER_PASS   a viewer account
// It adds a user "web-<random>", gives it a token, revokes the token and disables the user:
// nothing another test relies on.

const env = (k) => {
  const v = process.env[k];
  if (v === undefined || v === '') throw new Error(`set ${k} (see tests/web/README.md)`);
  return v;
};

export default async function ({ page, url, step, expect, assert, allow, newContext }) {
  const admin = env('WP_WEB_USER');
  const adminPass = env('WP_WEB_PASS');
  const viewer = env('WP_WEB_VIEWER_USER');
  const viewerPass = env('WP_WEB_VIEWER_PASS');
  const newUser = `web-${Math.random().toString(36).slice(2, 8)}`;
  const newPass = `pw-${Math.random().toString(36).slice(2)}-long`;
  let token = '';

  // The dashboard asks /me on load to learn whether a session exists (401 before login), and
  // this test checks a revoked token is refused: those 401s are expected, nothing else.
  allow(/failed request: 401 GET \S+\/api\/v1\/me$/);
  allow(/console error: Failed to load resource: the server responded with a status of 401 \(\w*\) \(\S+\/api\/v1\/me:\d+\)$/);

  const rendered = (p) => p.evaluate(() => document.getElementById('view').dataset.rendered || '');
  const go = async (p, hash, selector) => {
    const before = await rendered(p);
    const changed = await p.evaluate((hh) => {
      const c = location.hash !== hh;
      location.hash = hh;
      return c;
    }, hash);
    if (changed) {
      await p.waitForFunction((b) => (document.getElementById('view').dataset.rendered || '') !== b, before);
    }
    await p.locator(selector).first().waitFor();
  };
  const login = async (p, u, pw) => {
    await p.goto(url('/'));
    await p.locator('#login').waitFor();
    await p.fill('#login-user', u);
    await p.fill('#login-pass', pw);
    await p.press('#login-pass', 'Enter');
    await p.locator('#nav').waitFor();
  };
  const userRow = () => page.locator(`#users-table tr[data-user=${JSON.stringify(newUser)}]`);
  const tokenRow = () => page.locator(`#tokens-table tr[data-user=${JSON.stringify(newUser)}][data-name="browser"]`);

  await step('admin: the Users and Audit nav entries are shown', async () => {
    await login(page, admin, adminPass);
    expect(await page.locator('#role').textContent()).toBe('admin');
    await page.locator('#nav a[href="#/users"]').waitFor({ state: 'visible' });
    await page.locator('#nav a[href="#/audit"]').waitFor({ state: 'visible' });
  });

  await step('users: the list, and a password under 12 characters refused in the page', async () => {
    await go(page, '#/users', '#users-table');
    const admRow = page.locator(`#users-table tr[data-user=${JSON.stringify(admin)}]`);
    expect(await admRow.count()).toBe(1);
    expect(await admRow.textContent()).toContain('(you)');
    // no Disable button on your own row: the server refuses it too (409)
    expect(await admRow.locator('button.act-disable').count()).toBe(0);
    expect(await page.locator('#view [style], #view script').count()).toBe(0);
    await page.fill('#user-add input[name="name"]', newUser);
    await page.fill('#user-add input[name="password"]', 'short');
    await page.click('#user-add button[type="submit"]');
    await page.locator('#user-add .error').waitFor({ state: 'visible' });
    expect(await page.locator('#user-add .error').textContent()).toMatch(/12/);
    expect(await userRow().count()).toBe(0);
  });

  await step(`users: add ${newUser} (analyst)`, async () => {
    await page.fill('#user-add input[name="name"]', newUser);
    await page.selectOption('#user-add select[name="role"]', 'analyst');
    await page.fill('#user-add input[name="password"]', newPass);
    await page.click('#user-add button[type="submit"]');
    await userRow().waitFor();
    expect(await userRow().locator('.badge').textContent()).toBe('analyst');
    expect(await userRow().locator('.state').textContent()).toBe('enabled');
    expect(await page.locator('#admin-status').textContent()).toContain(`${newUser} added`);
    // the form is cleared: no password left in the page
    expect(await page.locator('#user-add input[name="password"]').inputValue()).toBe('');
  });

  await step('tokens: create one; it is shown in a read-only box, and works', async () => {
    await page.selectOption('#token-user', newUser);
    await page.fill('#token-create input[name="name"]', 'browser');
    await page.fill('#token-create input[name="reason"]', 'browser test');
    await page.click('#token-create button[type="submit"]');
    await page.locator('#new-token').waitFor({ state: 'visible' });
    token = await page.locator('#new-token').inputValue();
    assert.match(token, /^wpt_[0-9a-f]{64}$/);
    expect(await page.locator('#new-token').getAttribute('readonly')).not.toBe(null);
    await tokenRow().waitFor();
    expect(await tokenRow().locator('.state').textContent()).toBe('active');
    expect(await tokenRow().locator('.badge').textContent()).toBe('analyst');
    const me = await page.request.get(url('/api/v1/me'), { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status()).toBe(200);
    expect((await me.json()).user).toBe(newUser);
  });

  await step('tokens: once: after leaving the page the token is gone for good', async () => {
    await go(page, '#/overview', 'svg.chart');
    await go(page, '#/users', '#tokens-table');
    expect(await page.locator('#new-token').count()).toBe(0);
    expect(await page.locator('#view').textContent()).not.toContain(token.slice(4));
  });

  await step('tokens: revoke it with a reason; it stops working', async () => {
    await tokenRow().locator('button.act-revoke').click();
    const form = tokenRow().locator('form.act-revoke-form');
    await form.locator('button[type="submit"]').click();
    await form.locator('.error').waitFor({ state: 'visible' }); // no reason: refused in the page
    await form.locator('textarea[name="reason"]').fill('browser test: rotated');
    await form.locator('button[type="submit"]').click();
    await tokenRow().locator('.state-revoked').waitFor();
    expect(await tokenRow().locator('button.act-revoke').count()).toBe(0);
    const me = await page.request.get(url('/api/v1/me'), { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status()).toBe(401);
  });

  await step(`users: disable ${newUser} with a reason`, async () => {
    await userRow().locator('button.act-disable').click();
    await userRow().locator('form.act-disable-form textarea[name="reason"]').fill('browser test: left');
    await userRow().locator('form.act-disable-form button[type="submit"]').click();
    await userRow().locator('.state-disabled').waitFor();
    expect(await userRow().locator('button.act-enable').count()).toBe(1);
  });

  await step('audit: the actions, with who, where, why and how they ended', async () => {
    await go(page, '#/audit', '#audit-table tbody tr');
    expect(await page.locator('#nav a[aria-current="page"]').textContent()).toBe('Audit');
    const rows = await page.locator('#audit-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const find = (action, object, reason) => rows.find((r) => r[1] === admin && r[3] === action &&
      r[4] === object && (reason === undefined || r[5] === reason) && r[6] === 'ok');
    assert.ok(find('user.create', `user ${newUser} (analyst)`), 'no user.create row');
    assert.ok(find('token.create', `token browser of ${newUser} (analyst)`, 'browser test'), 'no token.create row');
    assert.ok(find('token.revoke', `token browser of ${newUser}`, 'browser test: rotated'), 'no token.revoke row');
    assert.ok(find('user.disable', `user ${newUser}`, 'browser test: left'), 'no user.disable row');
    expect(rows[0][2]).toBe('127.0.0.1');
    expect(await page.locator('#view').textContent()).not.toContain(newPass);
    if (await page.locator('#audit-more').isVisible()) {
      const n = rows.length;
      await page.click('#audit-more');
      await page.waitForFunction((k) => document.querySelectorAll('#audit-table tbody tr').length > k, n);
    }
  });

  await step('viewer: no Users or Audit entry, and the pages say not allowed', async () => {
    const ctx = await newContext();
    const p = await ctx.newPage();
    await login(p, viewer, viewerPass);
    expect(await p.locator('#role').textContent()).toBe('viewer');
    expect(await p.locator('#nav a[href="#/events"]').isVisible()).toBe(true);
    expect(await p.locator('#nav a[href="#/users"]').isVisible()).toBe(false);
    expect(await p.locator('#nav a[href="#/audit"]').isVisible()).toBe(false);
    await go(p, '#/audit', '#not-allowed');
    expect(await p.locator('#audit-table').count()).toBe(0);
    await go(p, '#/users', '#not-allowed');
    expect(await p.locator('#not-allowed').textContent()).toMatch(/not allowed/i);
    expect(await p.locator('#user-add, #token-create, #users-table').count()).toBe(0);
    // the context stays open: the runner's screenshot of this step is the viewer's page
  });
}
