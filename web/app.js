// app.js: the analyst dashboard of `watchpost serve`: hash router, header, and the pages.
//
// Routes live in the fragment (#/events?verdict=phishing, #/events/123, ...) so the server
// serves only "/" and /static/*. Each page is an async function that fetches through api.js
// and returns a DOM node built with dom.js; the router drops the result if the analyst has
// moved on in the meantime. Roles (docs/API.md): viewer reads; analyst and admin may also
// release/delete quarantined mail and acknowledge/close incidents. Controls a role may not use
// are not drawn at all; the server refuses them anyway (403).

import { api, get, post, setCsrf, setUnauthorizedHandler, ApiError, qs } from './api.js';
import {
  h, clear, replace, time, fmtSize, dl, table, tableRow,
  severityBadge, verdictBadge, SEVERITY_NAMES,
} from './dom.js';
import { stackedBars, legend, barList } from './charts.js';
import { startLive, stopLive, seen } from './live.js';
import { s } from './dom.js';

const VERDICTS = ['clean', 'spam', 'phishing', 'malware', 'targeted'];
const view = document.getElementById('view');
let me = null; // {user, role, csrf} once signed in
let generation = 0; // bumps on every navigation; stale page loads are dropped

const canAct = () => !!me && (me.role === 'analyst' || me.role === 'admin');

// ---- header -------------------------------------------------------------------------------

function showHeader() {
  const signedIn = !!me;
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !signedIn;
  if (signedIn) {
    document.getElementById('user').textContent = me.user;
    document.getElementById('role').textContent = me.role;
  }
  // nav entries a role may not use (data-role: the least role that may) are not shown
  for (const a of document.querySelectorAll('#nav a[data-role]')) a.hidden = !signedIn || !hasRole(a.dataset.role);
}

function markNav(path) {
  for (const a of document.querySelectorAll('#nav a')) {
    const target = a.getAttribute('href').slice(1);
    if (path === target || path.startsWith(`${target}/`)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// The header's live-update button: "3 new" when events arrived since the page was drawn.
function liveChanged(n) {
  const b = document.getElementById('live');
  b.hidden = n === 0;
  b.textContent = `${n} new`;
  b.title = 'New messages or incident changes arrived: show them';
}

async function logout() {
  stopLive();
  try { await post('/logout'); } catch (e) { if (!(e instanceof ApiError)) throw e; }
  me = null;
  setCsrf(null);
  showHeader();
  showLogin();
}

// ---- small shared pieces ------------------------------------------------------------------

function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err instanceof ApiError ? err.message : String(err));
}

function page(title, ...children) {
  document.title = `${title} - watchpost`;
  return h('div', { class: 'page' }, h('h1', null, title), children);
}

function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', null, title), children);
}

// A button that opens a small form asking for a reason or note, then calls act(text).
// A form rather than prompt(): keyboard friendly, styled, and no browser dialogs.
function reasonAction({ label, field = 'Reason', cls, danger = false, act }) {
  const wrap = h('span', { class: 'reason-action' });
  const open = h('button', { type: 'button', class: `${cls}${danger ? ' danger' : ''}` }, label);
  const showButton = () => replace(wrap, open);
  open.addEventListener('click', () => {
    const text = h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 1000 });
    const msg = h('p', { class: 'error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, `Confirm ${label.toLowerCase()}`);
    const cancel = h('button', { type: 'button', on: { click: () => { showButton(); open.focus(); } } }, 'Cancel');
    const form = h('form', { class: `act-form ${cls}-form`, novalidate: true },
      h('label', null, field, text), h('div', { class: 'row' }, submit, cancel), msg);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const reason = text.value.trim();
      if (!reason) { msg.hidden = false; msg.textContent = `${field} is required.`; text.focus(); return; }
      submit.disabled = true;
      try {
        await act(reason);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return;
        msg.hidden = false;
        msg.textContent = e instanceof ApiError ? e.message : String(e);
        submit.disabled = false;
      }
    });
    replace(wrap, form);
    text.focus();
  });
  return replace(wrap, open);
}

function select(name, label, options, value) {
  return h('label', null, label, h('select', { name },
    options.map(([v, text]) => h('option', { value: v, selected: String(value ?? '') === v }, text))));
}

function input(name, label, value, attrs = {}) {
  return h('label', null, label, h('input', { name, value: value ?? '', ...attrs }));
}

// A filter form whose submit rewrites the hash; the router then renders the new query.
function filterForm(path, fields, cls) {
  const form = h('form', { class: `filters ${cls || ''}`, role: 'search' }, fields,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = {};
    for (const [k, v] of new FormData(form)) if (String(v).trim()) q[k] = String(v).trim();
    location.hash = `#${path}${qs(q)}`;
  });
  return form;
}

const eventLink = (id, text) => h('a', { href: `#/events/${encodeURIComponent(id)}` }, text);
const subjectText = (s) => (s === undefined || s === null || s === '' ? '(no subject)' : String(s));

// ---- login --------------------------------------------------------------------------------

function showLogin(message) {
  generation++;
  document.title = 'Sign in - watchpost';
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { id: 'login-error', class: 'error', role: 'alert', hidden: !message }, message || '');
  const submit = h('button', { id: 'login-submit', type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'login', id: 'login' },
    h('h1', null, 'Sign in'),
    h('label', { for: 'login-user' }, 'User name'), user,
    h('label', { for: 'login-pass' }, 'Password'), pass,
    submit, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    err.hidden = true;
    try {
      const r = await api('/login', { method: 'POST', body: { username: user.value, password: pass.value }, authRedirect: false });
      signedIn(r);
    } catch (e) {
      err.hidden = false;
      if (e.status === 401) err.textContent = 'Wrong user name or password.';
      else if (e.status === 429) err.textContent = `Too many attempts. Try again${e.retryAfter ? ` in ${e.retryAfter} s` : ' later'}.`;
      else err.textContent = e.message;
      pass.value = '';
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(view, form);
  user.focus();
}

function signedIn(r) {
  me = { user: r.user, role: r.role };
  setCsrf(r.csrf);
  showHeader();
  startLive(liveChanged);
  route();
}

// ---- overview -----------------------------------------------------------------------------

function sumBuckets(buckets) {
  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
  const severity = [0, 0, 0, 0, 0, 0];
  for (const b of buckets) {
    for (const [k, n] of Object.entries(b.verdicts || {})) verdicts[k] = (verdicts[k] || 0) + (Number(n) || 0);
    (b.severity || []).forEach((n, i) => { if (i < 6) severity[i] += Number(n) || 0; });
  }
  return { verdicts, severity };
}

function countCards(label, entries, cls) {
  return h('ul', { class: `cards ${cls}`, 'aria-label': label }, entries.map(([name, n, extra, link]) =>
    h('li', { class: `card ${extra || ''}` },
      h('a', { href: link }, h('span', { class: 'count' }, String(n)), h('span', { class: 'what' }, name)))));
}

async function overviewPage() {
  const st = await get('/stats', { since: '24h', bucket: 'hour' });
  const buckets = Array.isArray(st.buckets) ? st.buckets : [];
  // totals is not spelled out in docs/API.md: use its verdicts/severity when present,
  // else add up the buckets.
  const sums = sumBuckets(buckets);
  const tv = st.totals && typeof st.totals.verdicts === 'object' ? st.totals.verdicts : sums.verdicts;
  const ts = st.totals && Array.isArray(st.totals.severity) ? st.totals.severity : sums.severity;
  const keys = [...VERDICTS, ...Object.keys(tv).filter((k) => !VERDICTS.includes(k))];
  const open = Array.isArray(st.open_incidents) ? st.open_incidents : [];

  return page('Overview',
    h('p', { class: 'muted' }, 'Last 24 hours.'),
    h('div', { class: 'grid2' },
      section('Messages by severity',
        countCards('messages by severity', ts.slice(0, 6).map((n, i) =>
          [`${i} ${SEVERITY_NAMES[i]}`, n, `sev-card sev-${i}`, `#/events${qs({ since: '24h', severity: i })}`]), 'severity-counts')),
      section('Messages by verdict',
        countCards('messages by verdict', keys.map((k) =>
          [k, tv[k] || 0, `verdict-card verdict-${k}`, `#/events${qs({ since: '24h', verdict: k })}`]), 'verdict-counts'))),
    section('Verdicts per hour',
      h('figure', { class: 'chart-wrap' },
        stackedBars(buckets.map((b) => ({ t: b.t, values: b.verdicts || {} })), { keys, label: 'verdicts per hour, last 24 hours' }),
        legend(keys))),
    h('div', { class: 'grid3' },
      section('Open incidents by severity',
        barList(open.map((n, i) => ({ value: `${i} ${SEVERITY_NAMES[i] || ''}`, count: n })).filter((x) => x.count > 0),
          { label: 'open incidents by severity', empty: 'No open incidents.', link: () => '#/incidents?status=open' })),
      section('Top senders', barList(st.top_senders, { label: 'top senders', link: (it) => `#/events${qs({ sender: it.value })}` })),
      section('Top findings', barList(st.top_findings, { label: 'top findings', link: (it) => `#/events${qs({ finding: it.value })}` })),
      st.top_domains ? section('Top sender domains', barList(st.top_domains, { label: 'top sender domains' })) : null));
}

// ---- events -------------------------------------------------------------------------------

const EVENT_COLUMNS = [
  { label: 'Time', cell: (e) => time(e.time), class: 'nowrap' },
  { label: 'Verdict', cell: (e) => verdictBadge(e.verdict) },
  { label: 'Sev', cell: (e) => severityBadge(e.severity) },
  { label: 'From', cell: (e) => e.from || e.mail_from || '', class: 'clip' },
  { label: 'Subject', cell: (e) => eventLink(e.id, subjectText(e.subject)), class: 'clip wide' },
  { label: 'Recipients', cell: (e) => (e.recipients || []).join(', '), class: 'clip' },
];

async function eventsPage(_params, query) {
  const form = filterForm('/events', [
    input('since', 'Since', query.since, { placeholder: '24h, 7d or 2024-01-01T00:00:00Z' }),
    select('verdict', 'Verdict', [['', 'any'], ...VERDICTS.map((v) => [v, v])], query.verdict),
    select('severity', 'Severity at least', [['', 'any'], ...SEVERITY_NAMES.map((n, i) => [String(i), `${i} ${n}`])], query.severity),
    select('direction', 'Direction', [['', 'any'], ['inbound', 'inbound'], ['outbound', 'outbound']], query.direction),
    input('sender', 'Sender', query.sender),
    input('recipient', 'Recipient', query.recipient),
    input('subject', 'Subject contains', query.subject),
    input('finding', 'Finding code', query.finding, { placeholder: 'YARA_MATCH' }),
    input('sha256', 'SHA-256', query.sha256, { pattern: '[0-9a-fA-F]{64}', title: '64 hex digits', class: 'mono' }),
  ], 'events-search');

  const filters = {};
  for (const k of ['since', 'verdict', 'severity', 'direction', 'sender', 'recipient', 'subject', 'finding', 'sha256'])
    if (query[k]) filters[k] = query[k];
  const r = await get('/events', filters);
  const tbody = h('tbody');
  const status = h('p', { class: 'muted', role: 'status' });
  const more = h('button', { type: 'button', id: 'events-more' }, 'More');
  let count = 0;
  const add = (res) => {
    for (const e of res.items || []) {
      tbody.append(tableRow(EVENT_COLUMNS, e, (x) => ({ dataset: { id: String(x.id) } })));
      count++;
    }
    status.textContent = `${count} event${count === 1 ? '' : 's'}${res.next_cursor ? ', more available' : ''}.`;
    more.hidden = !res.next_cursor;
    more.dataset.cursor = res.next_cursor || '';
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try { add(await get('/events', { ...filters, cursor: more.dataset.cursor })); }
    catch (e) { status.replaceWith(errorBox(e)); }
    finally { more.disabled = false; }
  });
  const tbl = h('table', { class: 'data events', id: 'events-table' },
    h('thead', null, h('tr', null, EVENT_COLUMNS.map((c) => h('th', { scope: 'col' }, c.label)))), tbody);
  add(r);
  return page('Events', form, status, h('div', { class: 'scroll' }, tbl), more);
}

// ---- one message --------------------------------------------------------------------------

function partsTree(parts) {
  // parts come in pre-order with parent ids (docs/SCHEMA.md); nest them by parent.
  const kids = new Map();
  const roots = [];
  for (const p of parts) {
    if (p.parent === undefined || !parts.some((q) => q.id === p.parent)) roots.push(p);
    else { if (!kids.has(p.parent)) kids.set(p.parent, []); kids.get(p.parent).push(p); }
  }
  const item = (p, depth) => h('li', null,
    h('span', { class: 'mono' }, String(p.id ?? '')), ' ',
    h('strong', null, String(p.content_type ?? '')),
    p.filename ? [' ', h('span', { class: 'filename' }, String(p.filename))] : null,
    p.disposition ? h('span', { class: 'muted' }, ` ${p.disposition}`) : null,
    p.charset ? h('span', { class: 'muted' }, ` ${p.charset}`) : null,
    p.encoding ? h('span', { class: 'muted' }, ` ${p.encoding}`) : null,
    p.size !== undefined ? h('span', { class: 'muted' }, ` ${fmtSize(p.size)}`) : null,
    depth < 64 && kids.has(p.id) ? h('ul', null, kids.get(p.id).map((c) => item(c, depth + 1))) : null);
  return h('ul', { class: 'tree' }, roots.map((p) => item(p, 0)));
}

function reportSections(rep) {
  const out = [];
  const hd = rep.headers || {};
  out.push(section('Headers', dl([
    ['From', hd.from], ['Sender', hd.sender], ['Reply-To', hd.reply_to], ['Return-Path', hd.return_path],
    ['To', hd.to], ['Cc', hd.cc], ['Subject', hd.subject], ['Date', hd.date],
    ['Message-ID', hd.message_id], ['In-Reply-To', hd.in_reply_to], ['X-Mailer', hd.x_mailer],
  ]),
  (hd.received || []).length ? h('details', null, h('summary', null, `Received (${hd.received.length}, newest first)`),
    h('ol', { class: 'mono small' }, hd.received.map((x) => h('li', null, String(x))))) : null,
  (hd.authentication_results || []).length ? h('details', null, h('summary', null, 'Authentication-Results'),
    h('ol', { class: 'mono small' }, hd.authentication_results.map((x) => h('li', null, String(x))))) : null));

  if (Array.isArray(rep.parts) && rep.parts.length) out.push(section('MIME structure', partsTree(rep.parts)));
  if (Array.isArray(rep.objects) && rep.objects.length)
    out.push(section('Attachments and contents', h('div', { class: 'scroll' }, table([
      { label: 'Where', cell: (o) => o.where, class: 'mono clip' },
      { label: 'Type', cell: (o) => [o.true_type || '', o.declared_type && o.declared_type !== o.true_type ? h('span', { class: 'muted' }, ` (says ${o.declared_type})`) : null] },
      { label: 'Kind', cell: (o) => o.kind },
      { label: 'Size', cell: (o) => fmtSize(o.size), class: 'num' },
      { label: 'Flags', cell: (o) => [o.encrypted ? 'encrypted ' : '', o.truncated ? 'truncated' : ''].join('').trim() },
      { label: 'SHA-256', cell: (o) => (o.sha256 ? h('a', { href: `#/events${qs({ sha256: o.sha256 })}`, class: 'mono hash', title: 'other messages with this file' }, o.sha256) : '') },
    ], rep.objects))));
  if (Array.isArray(rep.urls) && rep.urls.length)
    // URLs are shown, never linked: an analyst must not be one click from the phishing page.
    out.push(section(`URLs (${rep.urls.length})`, h('div', { class: 'scroll' }, table([
      { label: 'URL', cell: (u) => u.url, class: 'mono breakall' },
      { label: 'Link text', cell: (u) => u.text || '', class: 'clip' },
      { label: 'Source', cell: (u) => u.source },
      { label: 'Where', cell: (u) => u.where, class: 'mono' },
    ], rep.urls))));
  if (Array.isArray(rep.yara) && rep.yara.length)
    out.push(section('YARA', table([
      { label: 'Rule', cell: (y) => `${y.namespace ? `${y.namespace}:` : ''}${y.rule}`, class: 'mono' },
      { label: 'Where', cell: (y) => y.where, class: 'mono' },
      { label: 'Tags', cell: (y) => (y.tags || []).join(', ') },
      { label: 'Description', cell: (y) => (y.meta && y.meta.description) || '' },
    ], rep.yara)));
  if (rep.body && rep.body.excerpt)
    out.push(section('Body excerpt', h('blockquote', { class: 'excerpt' }, String(rep.body.excerpt)),
      h('p', { class: 'muted small' }, `${rep.body.text_bytes ?? '?'} bytes of visible text; shown as plain text.`)));
  return out;
}

function quarantineSection(ev, rerender) {
  const q = ev.quarantine || (ev.quarantine_ref ? { ref: ev.quarantine_ref } : null);
  if (!q) return null;
  const actions = [];
  if (canAct()) {
    actions.push(h('a', { class: 'button', href: `/api/v1/quarantine/${encodeURIComponent(q.ref)}/raw`, download: `${q.ref}.eml` }, 'Download original'));
    if (!q.state || q.state === 'held') {
      actions.push(reasonAction({ label: 'Release', cls: 'act-release', act: async (reason) => {
        await post(`/quarantine/${encodeURIComponent(q.ref)}/release`, { reason }); rerender();
      } }));
      actions.push(reasonAction({ label: 'Delete', cls: 'act-delete', danger: true, act: async (reason) => {
        await post(`/quarantine/${encodeURIComponent(q.ref)}/delete`, { reason }); rerender();
      } }));
    }
  }
  return section('Quarantine', dl([
    ['Reference', h('span', { class: 'mono' }, String(q.ref))],
    ['State', q.state ? h('span', { class: `state state-${q.state}`, id: 'q-state' }, String(q.state)) : ''],
    ['Held since', time(q.created)], ['Size', fmtSize(q.size)], ['Truncated', q.truncated ? 'yes (only a prefix was kept)' : ''],
    ['Released', q.released_by ? [String(q.released_by), ' at ', time(q.released_at)] : ''],
    ['Deleted', q.deleted_by ? [String(q.deleted_by), ' at ', time(q.deleted_at)] : ''],
  ]), actions.length ? h('div', { class: 'actions' }, actions) : null);
}

async function messagePage(params) {
  const ev = await get(`/events/${encodeURIComponent(params[0])}`);
  const rep = ev.report && typeof ev.report === 'object' ? ev.report : null;
  const v = (rep && rep.verdict) || {};
  const findings = Array.isArray(ev.findings) ? ev.findings : ((rep && rep.findings) || []);
  const reasons = Array.isArray(ev.reasons) ? ev.reasons : (v.reasons || []);
  const sev = ev.severity ?? v.severity;
  const p = page(subjectText(ev.subject),
    h('p', null, h('a', { href: '#/events' }, 'All events')),
    h('div', { class: 'verdict-line' },
      verdictBadge(ev.verdict ?? v.class), ' score ', h('strong', null, String(ev.score ?? v.score ?? '')),
      ' severity ', severityBadge(sev), ` ${SEVERITY_NAMES[sev] || ''}`, ' action ', h('strong', { class: 'action' }, String(ev.action ?? v.action ?? ''))),
    section('Summary', dl([
      ['Time', time(ev.time)], ['Direction', ev.direction], ['From', ev.from], ['Envelope sender', ev.mail_from],
      ['Recipients', ev.recipients], ['Client IP', ev.client_ip], ['Event', String(ev.id)],
    ])),
    reasons.length ? section('Why', h('ul', { class: 'reasons' }, reasons.map((r) => h('li', null, String(r))))) : null,
    section(`Findings (${findings.length})`, findings.length ? h('div', { class: 'scroll' }, table([
      { label: 'Code', cell: (f) => h('a', { href: `#/events${qs({ finding: f.code })}`, class: 'mono' }, String(f.code)) },
      { label: 'Category', cell: (f) => f.category || '' },
      { label: 'Where', cell: (f) => f.where || '', class: 'mono clip' },
      { label: 'Evidence', cell: (f) => f.evidence || '', class: 'evidence' },
      { label: 'Contribution', cell: (f) => String(f.contribution ?? f.weight ?? ''), class: 'num' },
    ], findings, { caption: null })) : h('p', { class: 'muted' }, 'No findings.')),
    quarantineSection(ev, () => route()),
    rep ? reportSections(rep) : h('p', { class: 'muted' }, 'The full scan report was not kept for this message.'));
  p.querySelector('h1').classList.add('subject');
  return p;
}

// ---- quarantine ---------------------------------------------------------------------------

async function quarantinePage(_params, query) {
  const state = query.state ?? 'held';
  const form = filterForm('/quarantine', [
    select('state', 'State', [['held', 'held'], ['released', 'released'], ['deleted', 'deleted'], ['all', 'all']], state),
  ], 'quarantine-filter');
  const r = await get('/quarantine', { state: state === 'all' ? '' : state, cursor: query.cursor });
  const columns = [
    { label: 'Held since', cell: (q) => time(q.created), class: 'nowrap' },
    { label: 'State', cell: (q) => h('span', { class: `state state-${q.state}` }, String(q.state ?? '')) },
    { label: 'Verdict', cell: (q) => verdictBadge(q.verdict) },
    { label: 'Sev', cell: (q) => severityBadge(q.severity) },
    { label: 'From', cell: (q) => q.from || q.mail_from || '', class: 'clip' },
    { label: 'Subject', cell: (q) => (q.event_id !== undefined ? eventLink(q.event_id, subjectText(q.subject)) : subjectText(q.subject)), class: 'clip wide' },
    { label: 'Size', cell: (q) => fmtSize(q.size), class: 'num' },
  ];
  if (canAct()) columns.push({ label: 'Actions', class: 'row-actions', cell: (q) => rowActions(q) });
  const rowAttrs = (q) => ({ dataset: { ref: String(q.ref) } });

  // After an action the row is redrawn from the server's answer rather than reloading the list,
  // so the analyst keeps their place; the row stays visible with its new state.
  function rowActions(q) {
    if (q.state !== 'held') return h('span', { class: 'muted' }, '—');
    const done = (res) => {
      const tr = tbody.querySelector(`tr[data-ref="${CSS.escape(String(q.ref))}"]`);
      if (tr) tr.replaceWith(tableRow(columns, { ...q, ...res }, rowAttrs));
    };
    return [
      h('a', { class: 'button small', href: `/api/v1/quarantine/${encodeURIComponent(q.ref)}/raw`, download: `${q.ref}.eml` }, 'Raw'),
      reasonAction({ label: 'Release', cls: 'act-release', act: async (reason) => done(await post(`/quarantine/${encodeURIComponent(q.ref)}/release`, { reason })) }),
      reasonAction({ label: 'Delete', cls: 'act-delete', danger: true, act: async (reason) => done(await post(`/quarantine/${encodeURIComponent(q.ref)}/delete`, { reason })) }),
    ];
  }
  const tbody = h('tbody', null, (r.items || []).map((q) => tableRow(columns, q, rowAttrs)));
  const items = r.items || [];
  return page('Quarantine', form,
    h('p', { class: 'muted', role: 'status' }, `${items.length} message${items.length === 1 ? '' : 's'}.`),
    h('div', { class: 'scroll' }, h('table', { class: 'data quarantine', id: 'quarantine-table' },
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c.label)))), tbody)),
    r.next_cursor ? h('a', { class: 'button', href: `#/quarantine${qs({ state, cursor: r.next_cursor })}` }, 'Next page') : null);
}

// ---- incidents ----------------------------------------------------------------------------

async function incidentsPage(_params, query) {
  const status = query.status ?? 'open';
  const form = filterForm('/incidents', [
    select('status', 'Status', [['open', 'open'], ['acked', 'acknowledged'], ['closed', 'closed'], ['all', 'all']], status),
    select('severity', 'Severity at least', [['', 'any'], ...SEVERITY_NAMES.map((n, i) => [String(i), `${i} ${n}`])], query.severity),
  ], 'incident-filter');
  const r = await get('/incidents', { status, severity: query.severity, cursor: query.cursor });
  const items = r.items || [];
  return page('Incidents', form,
    h('p', { class: 'muted', role: 'status' }, `${items.length} incident${items.length === 1 ? '' : 's'}.`),
    h('div', { class: 'scroll' }, table([
      { label: '#', cell: (i) => h('a', { href: `#/incidents/${encodeURIComponent(i.id)}` }, String(i.id)), class: 'num' },
      { label: 'Sev', cell: (i) => severityBadge(i.severity) },
      { label: 'Status', cell: (i) => h('span', { class: `state state-${i.status}` }, String(i.status ?? '')) },
      { label: 'Title', cell: (i) => h('a', { href: `#/incidents/${encodeURIComponent(i.id)}` }, String(i.title ?? '(untitled)')), class: 'clip wide' },
      { label: 'Hosts', cell: (i) => (i.hosts || []).join(', '), class: 'clip' },
      { label: 'Users', cell: (i) => (i.users || []).join(', '), class: 'clip' },
      { label: 'Last evidence', cell: (i) => time(i.last_evidence), class: 'nowrap' },
    ], items)),
    r.next_cursor ? h('a', { class: 'button', href: `#/incidents${qs({ status, severity: query.severity, cursor: r.next_cursor })}` }, 'Next page') : null);
}

async function incidentPage(params) {
  const id = encodeURIComponent(params[0]);
  const inc = await get(`/incidents/${id}`);
  const timeline = Array.isArray(inc.timeline) ? inc.timeline : [];
  const levels = Array.isArray(inc.levels) ? inc.levels : [];
  const actions = [];
  if (canAct() && inc.status === 'open')
    actions.push(reasonAction({ label: 'Acknowledge', field: 'Note', cls: 'act-ack', act: async (note) => { await post(`/incidents/${id}/ack`, { note }); route(); } }));
  if (canAct() && inc.status !== 'closed')
    actions.push(reasonAction({ label: 'Close', field: 'Note', cls: 'act-close', act: async (note) => { await post(`/incidents/${id}/close`, { note }); route(); } }));
  const p = page(`Incident ${inc.id}: ${inc.title ?? ''}`,
    h('p', null, h('a', { href: '#/incidents' }, 'All incidents')),
    h('div', { class: 'verdict-line' }, 'severity ', severityBadge(inc.severity), ` ${SEVERITY_NAMES[inc.severity] || ''}`,
      ' status ', h('span', { class: `state state-${inc.status}`, id: 'incident-status' }, String(inc.status ?? ''))),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
    section('Summary', dl([
      ['Detected', time(inc.detected_at)], ['First evidence', time(inc.first_evidence)], ['Last evidence', time(inc.last_evidence)],
      ['Hosts', inc.hosts], ['Users', inc.users], ['Destinations', inc.destinations],
    ])),
    section(`Timeline (${timeline.length})`, timeline.length ? h('div', { class: 'scroll' }, h('table', { class: 'data timeline', id: 'timeline' },
      h('thead', null, h('tr', null, ['Time', 'Kind', 'Code', 'Summary', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, timeline.map((t) => h('tr', { class: `kind-${/^[a-z]+$/.test(t.kind) ? t.kind : 'other'}` },
        h('td', { class: 'nowrap' }, time(t.ts)),
        h('td', null, h('span', { class: 'kind' }, String(t.kind ?? ''))),
        h('td', { class: 'mono' }, String(t.code ?? '')),
        h('td', { class: 'evidence' }, String(t.summary ?? '')),
        h('td', null, t.event_id !== undefined && t.event_id !== null ? eventLink(t.event_id, `event ${t.event_id}`) : '')))))) :
      h('p', { class: 'muted' }, 'No timeline entries.')),
    section('Severity history', levels.length ? table([
      { label: 'When', cell: (l) => time(l.at), class: 'nowrap' },
      { label: 'Change', cell: (l) => [severityBadge(l.from), ' → ', severityBadge(l.to)] },
      { label: 'Reason', cell: (l) => String(l.reason ?? ''), class: 'evidence' },
    ], levels) : h('p', { class: 'muted' }, 'No changes.')));
  return p;
}

// ---- administration: users, API tokens, the audit log (admin only) ------------------------

const ROLES = ['viewer', 'analyst', 'admin'];
const hasRole = (role) => !!me && ROLES.indexOf(me.role) >= ROLES.indexOf(role);
const NAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;

// Asked for a page its role may not use, the dashboard says so without calling the API (the
// server would answer 403 anyway).
function notAllowed(title) {
  return page(title, h('p', { class: 'error', id: 'not-allowed', role: 'alert' },
    'Not allowed: this page needs the admin role.'));
}

// A button that opens a small form built by fields(); on submit act(values) runs, and what
// it throws (an ApiError, or an Error for a value refused in the page) is shown in the form.
function inlineAction({ label, cls, danger = false, fields, act }) {
  const wrap = h('span', { class: 'reason-action' });
  const open = h('button', { type: 'button', class: `${cls}${danger ? ' danger' : ''}` }, label);
  open.addEventListener('click', () => {
    const msg = h('p', { class: 'error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, `Confirm ${label.toLowerCase()}`);
    const cancel = h('button', { type: 'button', on: { click: () => { replace(wrap, open); open.focus(); } } }, 'Cancel');
    const form = h('form', { class: `act-form ${cls}-form`, novalidate: true },
      fields(), h('div', { class: 'row' }, submit, cancel), msg);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      try {
        await act(Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)])));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return;
        msg.hidden = false;
        msg.textContent = e.message || String(e);
        submit.disabled = false;
      }
    });
    replace(wrap, form);
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  });
  return replace(wrap, open);
}

const reasonField = (label = 'Reason') =>
  h('label', null, label, h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 1000 }));
const passwordField = (label) =>
  h('label', null, label, h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 12, maxlength: 1024, required: true }));
const roleSelect = (name, label, first) =>
  select(name, label, [...(first ? [first] : []), ...ROLES.map((r) => [r, r])], first ? first[0] : 'viewer');

function needReason(v) {
  const reason = (v.reason || '').trim();
  if (!reason) throw new Error('A reason is required.');
  return reason;
}

function needPassword(v) {
  if ((v.password || '').length < 12) throw new Error('A password has at least 12 characters.');
  return v.password;
}

async function usersPage() {
  if (!hasRole('admin')) return notAllowed('Users and tokens');
  const status = h('p', { class: 'muted', role: 'status', id: 'admin-status' });
  const usersBox = h('div', { class: 'scroll' });
  const tokensBox = h('div', { class: 'scroll' });
  const tokenUser = h('select', { name: 'user', id: 'token-user' });
  const tokenBox = h('div', { id: 'new-token-box', hidden: true });
  let users = [];

  const userColumns = [
    { label: 'Name', cell: (u) => [String(u.name), u.name === me.user ? h('span', { class: 'muted' }, ' (you)') : null] },
    { label: 'Role', cell: (u) => h('span', { class: 'badge' }, String(u.role)) },
    { label: 'State', cell: (u) => h('span', { class: `state state-${u.disabled ? 'disabled' : 'enabled'}` }, u.disabled ? 'disabled' : 'enabled') },
    { label: 'Created', cell: (u) => time(u.created), class: 'nowrap' },
    { label: 'Actions', class: 'row-actions', cell: (u) => userActions(u) },
  ];
  const tokenColumns = [
    { label: 'User', cell: (t) => String(t.user) },
    { label: 'Name', cell: (t) => h('span', { class: 'mono' }, String(t.name)) },
    { label: 'Role', cell: (t) => h('span', { class: 'badge' }, String(t.role)) },
    { label: 'Created', cell: (t) => time(t.created), class: 'nowrap' },
    { label: 'Last used', cell: (t) => (t.last_used ? time(t.last_used) : h('span', { class: 'muted' }, 'never')), class: 'nowrap' },
    { label: 'State', cell: (t) => h('span', { class: `state state-${t.revoked ? 'revoked' : 'active'}` }, t.revoked ? 'revoked' : 'active') },
    { label: 'Actions', class: 'row-actions', cell: (t) => (t.revoked ? h('span', { class: 'muted' }, '—') : inlineAction({
      label: 'Revoke', cls: 'act-revoke', danger: true, fields: () => reasonField(),
      act: async (v) => {
        const reason = needReason(v);
        await post('/tokens/revoke', { user: t.user, name: t.name, reason });
        await refresh(`Token ${t.name} of ${t.user} revoked.`);
      },
    })) },
  ];

  function userActions(u) {
    const out = [];
    const path = `/users/${encodeURIComponent(u.name)}`;
    if (u.disabled) {
      out.push(inlineAction({ label: 'Enable', cls: 'act-enable', fields: () => reasonField(), act: async (v) => {
        await post(`${path}/enable`, { reason: needReason(v) });
        await refresh(`User ${u.name} enabled.`);
      } }));
    } else if (u.name !== me.user) {
      out.push(inlineAction({ label: 'Disable', cls: 'act-disable', danger: true, fields: () => reasonField(), act: async (v) => {
        await post(`${path}/disable`, { reason: needReason(v) });
        await refresh(`User ${u.name} disabled: its sessions ended and its tokens stopped.`);
      } }));
    }
    out.push(inlineAction({ label: 'Reset password', cls: 'act-password', fields: () => passwordField('New password (12 or more characters)'), act: async (v) => {
      await post(`${path}/password`, { password: needPassword(v) });
      await refresh(`Password of ${u.name} reset.`);
    } }));
    out.push(inlineAction({ label: 'Change role', cls: 'act-role', fields: () => [roleSelect('role', 'New role'), reasonField()], act: async (v) => {
      await post(`${path}/role`, { role: v.role, reason: needReason(v) });
      await refresh(`${u.name} is now ${v.role}.`);
    } }));
    return out;
  }

  function draw(us, ts) {
    users = us;
    const ut = table(userColumns, users, { rowAttrs: (u) => ({ dataset: { user: String(u.name) } }) });
    ut.id = 'users-table';
    replace(usersBox, ut);
    const tt = table(tokenColumns, ts, { rowAttrs: (t) => ({ dataset: { user: String(t.user), name: String(t.name) } }) });
    tt.id = 'tokens-table';
    replace(tokensBox, ts.length ? tt : h('p', { class: 'muted' }, 'No API tokens.'));
    const chosen = tokenUser.value;
    replace(tokenUser, users.filter((u) => !u.disabled).map((u) =>
      h('option', { value: u.name, selected: u.name === chosen }, `${u.name} (${u.role})`)));
  }

  async function refresh(message) {
    const [u, t] = await Promise.all([get('/users'), get('/tokens')]);
    draw(u.items || [], t.items || []);
    status.textContent = message || '';
  }

  // Add a user.
  const addMsg = h('p', { class: 'error', role: 'alert', hidden: true });
  const addForm = h('form', { class: 'filters admin-form', id: 'user-add', novalidate: true },
    input('name', 'User name', '', { required: true, maxlength: 64, pattern: '[A-Za-z0-9._@\\-]{1,64}', autocomplete: 'off' }),
    roleSelect('role', 'Role'),
    passwordField('Password (12 or more characters)'),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Add user')), addMsg);
  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = Object.fromEntries([...new FormData(addForm)].map(([k, x]) => [k, String(x)]));
    const name = v.name.trim();
    addMsg.hidden = true;
    try {
      if (!NAME_RE.test(name)) throw new Error('A user name is 1 to 64 of A-Z a-z 0-9 . _ - @.');
      await post('/users', { name, role: v.role, password: needPassword(v) });
      addForm.reset();
      await refresh(`User ${name} added.`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      addMsg.hidden = false;
      addMsg.textContent = e.message || String(e);
    }
  });

  // Create a token: the answer is the only time the token is seen.
  const tokMsg = h('p', { class: 'error', role: 'alert', hidden: true });
  const tokForm = h('form', { class: 'filters admin-form', id: 'token-create', novalidate: true },
    h('label', null, 'For user', tokenUser),
    input('name', 'Token name', '', { required: true, maxlength: 64, placeholder: 'soar', autocomplete: 'off' }),
    roleSelect('role', 'Role', ['', "the user's"]),
    input('reason', 'Purpose', '', { maxlength: 1000, placeholder: 'what will use it' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create token')), tokMsg);
  tokForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = Object.fromEntries([...new FormData(tokForm)].map(([k, x]) => [k, String(x).trim()]));
    tokMsg.hidden = true;
    try {
      if (!NAME_RE.test(v.name)) throw new Error('A token name is 1 to 64 of A-Z a-z 0-9 . _ - @.');
      const body = { user: v.user, name: v.name };
      if (v.role) body.role = v.role;
      if (v.reason) body.reason = v.reason;
      const r = await post('/tokens', body);
      showToken(r);
      tokForm.reset();
      await refresh(`Token ${r.name} for ${r.user} created.`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      tokMsg.hidden = false;
      tokMsg.textContent = e.message || String(e);
    }
  });

  function showToken(r) {
    const field = h('input', { id: 'new-token', class: 'mono token-value', readonly: true, value: r.token,
      'aria-label': 'the new API token', spellcheck: 'false', autocomplete: 'off', size: 72 });
    field.addEventListener('focus', () => field.select());
    const note = h('span', { class: 'muted', role: 'status' });
    const copy = h('button', { type: 'button', id: 'new-token-copy', on: { click: () => {
      field.select();
      const done = () => { note.textContent = 'Copied.'; };
      const manual = () => { note.textContent = 'Selected: copy it with Ctrl+C.'; };
      if (navigator.clipboard) navigator.clipboard.writeText(r.token).then(done, manual);
      else manual();
    } } }, 'Copy');
    const dismiss = h('button', { type: 'button', on: { click: () => { tokenBox.hidden = true; clear(tokenBox); } } }, 'Done');
    replace(tokenBox, h('div', { class: 'new-token' },
      h('p', null, h('strong', null, `New token "${r.name}" for ${r.user} (${r.role}).`),
        ' Copy it now: it is shown this once and cannot be read again, only revoked.'),
      h('div', { class: 'row' }, field, copy, dismiss), note));
    tokenBox.hidden = false;
    field.focus();
  }

  const [u, t] = await Promise.all([get('/users'), get('/tokens')]);
  draw(u.items || [], t.items || []);
  return page('Users and tokens', status,
    section('Users', usersBox),
    section('Add a user', addForm),
    section('API tokens', tokensBox),
    section('Create an API token', h('p', { class: 'muted small' },
      "A token's role is at most its user's, and is lowered with it. Scripts send it as Authorization: Bearer."), tokForm, tokenBox));
}

async function auditPage() {
  if (!hasRole('admin')) return notAllowed('Audit log');
  const columns = [
    { label: 'Time', cell: (e) => time(e.time), class: 'nowrap' },
    { label: 'User', cell: (e) => String(e.user ?? ''), class: 'nowrap' },
    { label: 'Address', cell: (e) => String(e.address ?? ''), class: 'mono nowrap' },
    { label: 'Action', cell: (e) => h('span', { class: 'mono' }, String(e.action ?? '')) },
    { label: 'Object', cell: (e) => String(e.object ?? ''), class: 'evidence object' },
    { label: 'Reason', cell: (e) => String(e.reason ?? ''), class: 'evidence' },
    { label: 'Result', cell: (e) => h('span', { class: e.result === 'ok' ? 'result-ok' : 'result-bad' }, String(e.result ?? '')) },
  ];
  const tbody = h('tbody');
  const status = h('p', { class: 'muted', role: 'status' });
  const more = h('button', { type: 'button', id: 'audit-more' }, 'More');
  let count = 0;
  const add = (res) => {
    for (const e of res.items || []) {
      tbody.append(tableRow(columns, e, (x) => ({ dataset: { id: String(x.id), action: String(x.action ?? '') } })));
      count++;
    }
    status.textContent = `${count} entr${count === 1 ? 'y' : 'ies'}, newest first${res.next_cursor ? '; more available' : ''}.`;
    more.hidden = !res.next_cursor;
    more.dataset.cursor = res.next_cursor || '';
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try { add(await get('/audit', { cursor: more.dataset.cursor })); }
    catch (e) { status.replaceWith(errorBox(e)); }
    finally { more.disabled = false; }
  });
  add(await get('/audit'));
  return page('Audit log', status,
    h('div', { class: 'scroll' }, h('table', { class: 'data audit', id: 'audit-table' },
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c.label)))), tbody)), more);
}

// ---- hunt ---------------------------------------------------------------------------------
// Network findings grouped per host, destination and code, ranked by score (docs/EGRESS.md,
// "Hunting"): what the egress detectors saw, by default only what no incident holds yet.

const HUNT_CODES = [['', 'any'], ['beacon', 'beacon'], ['long', 'long connection'], ['rare', 'first-seen domain'],
  ['dns', 'DNS tunnel'], ['exfil', 'exfiltration'], ['ids', 'IDS alert'], ['intel', 'indicator'],
  ...['NET_BEACON', 'NET_LONG_CONN', 'NET_RARE_DOMAIN', 'NET_DNS_TUNNEL', 'NET_EXFIL_VOLUME', 'NET_EXFIL_NEW_DEST',
    'NET_CRED_POST', 'NET_IDS_ALERT', 'NET_IOC_IP', 'NET_IOC_DOMAIN', 'NET_IOC_URL', 'NET_IOC_JA3', 'NET_IOC_HASH']
    .map((c) => [c, c])];

function scoreBar(score) {
  const v = Math.max(0, Math.min(1, Number(score) || 0));
  const level = v >= 0.8 ? 'high' : v >= 0.5 ? 'mid' : 'low';
  return h('span', { class: 'score', title: `highest score ${v.toFixed(3)}` },
    s('svg', { class: 'scorebar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
      s('rect', { class: 'track', x: 0, y: 0, height: 10, width: 100 }),
      s('rect', { class: `fill ${level}`, x: 0, y: 0, height: 10, width: (v * 100).toFixed(1) })),
    h('span', { class: 'num' }, v.toFixed(2)));
}

// A beacon's six components (docs/EGRESS.md, "Beaconing") as small labelled numbers.
function beaconParts(b) {
  const parts = [['interval skew', b.interval_skew], ['interval MAD', b.interval_mad], ['coverage', b.coverage],
    ['size skew', b.size_skew], ['size MAD', b.size_mad], ['small', b.size_small]];
  return h('ul', { class: 'components', 'aria-label': 'beacon score components' },
    parts.map(([k, v]) => h('li', { class: Number(v) < 0.7 ? 'weak' : null }, h('span', { class: 'k' }, k), ' ',
      h('span', { class: 'v' }, Number(v).toFixed(2)))),
    h('li', { class: 'muted summary' }, `score ${Number(b.score).toFixed(2)}: ${Number(b.connections)} connections in ` +
      `${(Number(b.span_s) / 60).toFixed(0)} min, every ${Number(b.interval_median_s).toFixed(1)} s, ` +
      `${Number(b.size_median_b).toFixed(0)} B`));
}

// The group's largest count, in the unit of its code (connections, seconds, bytes...).
function huntCount(it) {
  const n = Number(it.count) || 0;
  if (it.count_unit === 'bytes') return fmtSize(n);
  if (it.count_unit === 'seconds' && n >= 3600) return `${(n / 3600).toFixed(1)} h`;
  return [String(n), it.count_unit ? h('span', { class: 'unit' }, String(it.count_unit)) : null];
}

async function huntPage(_params, query) {
  const since = query.since ?? '7d';
  const form = filterForm('/hunt', [
    input('since', 'Since', since, { placeholder: '24h, 7d, all or 2024-01-01T00:00:00Z' }),
    select('code', 'Code or family', HUNT_CODES, query.code),
    input('host', 'Host', query.host, { placeholder: '10.1.0.15' }),
    input('min_score', 'Score at least', query.min_score, { type: 'number', min: 0, max: 1, step: 0.05 }),
    select('all', 'Already in an incident', [['', 'leave out'], ['1', 'include']], query.all),
    select('limit', 'Show', [['', '50'], ['100', '100'], ['200', '200'], ['500', '500']], query.limit),
  ], 'hunt-filter');
  const r = await get('/hunt', { since: since === 'all' ? '' : since, code: query.code, host: query.host,
    min_score: query.min_score, all: query.all, limit: query.limit });
  const items = r.items || [];
  const columns = [
    { label: 'Score', cell: (it) => scoreBar(it.score), class: 'nowrap' },
    { label: 'Code', cell: (it) => h('a', { href: `#/hunt${qs({ ...query, code: it.code })}`, class: 'mono' }, String(it.code)) },
    { label: 'Host', cell: (it) => h('a', { href: `#/hunt${qs({ ...query, host: it.src })}`, class: 'mono' }, String(it.src)), class: 'nowrap' },
    { label: 'Destination', cell: (it) => h('span', { class: 'mono' }, `${it.dst}${it.dst_port !== null && it.dst_port !== undefined ? `:${it.dst_port}` : ''}`), class: 'clip' },
    { label: 'Findings', cell: (it) => String(it.findings), class: 'num' },
    { label: 'Count', cell: (it) => huntCount(it), class: 'num' },
    { label: 'First / last seen', cell: (it) => h('span', { class: 'seen' }, time(it.first_ts), h('br'), time(it.last_ts)), class: 'nowrap' },
    { label: 'Incident', cell: (it) => (it.incident_id ? h('a', { href: `#/incidents/${encodeURIComponent(it.incident_id)}` }, `#${it.incident_id}`) : h('span', { class: 'muted' }, '—')), class: 'num' },
    // a beacon's evidence line is its components: shown as such, the line itself on hover
    { label: 'Evidence', cell: (it) => (it.beacon ? h('div', { title: String(it.evidence ?? '') }, beaconParts(it.beacon)) : String(it.evidence ?? '')), class: 'evidence' },
  ];
  const note = items.length ? `${items.length} group${items.length === 1 ? '' : 's'}, highest score first${r.truncated ? ' (more matched: raise Show or narrow the filters)' : ''}.`
    : 'Nothing matched.';
  return page('Hunt', form,
    h('p', { class: 'muted' }, 'What the network detectors reported, per host, destination and code. ',
      query.all ? 'Including the pairs already in an incident.' : 'Pairs already in an incident are left out: they are triaged on the incident pages. ',
      query.all ? null : h('a', { href: `#/hunt${qs({ ...query, all: '1' })}`, id: 'hunt-include' }, 'Include them.')),
    h('p', { class: 'muted', role: 'status' }, note),
    items.length ? h('div', { class: 'scroll hunt-table' }, table(columns, items, { rowAttrs: (it) => ({ dataset: { code: String(it.code), src: String(it.src) } }) })) : null);
}

// ---- router -------------------------------------------------------------------------------

const ROUTES = [
  [/^\/overview$/, overviewPage],
  [/^\/events$/, eventsPage],
  [/^\/events\/([0-9]+)$/, messagePage],
  [/^\/quarantine$/, quarantinePage],
  [/^\/incidents$/, incidentsPage],
  [/^\/incidents\/([0-9]+)$/, incidentPage],
  [/^\/users$/, usersPage],
  [/^\/audit$/, auditPage],
  [/^\/hunt$/, huntPage],
];

function parseHash() {
  let raw = location.hash.replace(/^#/, '');
  try { raw = decodeURI(raw); } catch { /* a malformed %-escape: match it as typed, it routes to "not found" */ }
  raw = raw || '/overview';
  const i = raw.indexOf('?');
  const path = i < 0 ? raw : raw.slice(0, i);
  const query = Object.fromEntries(new URLSearchParams(i < 0 ? '' : location.hash.slice(location.hash.indexOf('?') + 1)));
  return { path, query };
}

async function route() {
  if (!me) return;
  const my = ++generation;
  const { path, query } = parseHash();
  markNav(path);
  const match = ROUTES.map(([re, fn]) => [path.match(re), fn]).find(([m]) => m);
  view.setAttribute('aria-busy', 'true');
  let node;
  try {
    node = match ? await match[1](match[0].slice(1), query) : page('Not found', h('p', null, 'No such page. '), h('a', { href: '#/overview' }, 'Overview'));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // the login view is already up
    node = page('Error', errorBox(e));
  }
  if (my !== generation) return; // the analyst moved on while this loaded
  view.removeAttribute('aria-busy');
  replace(view, node);
  seen(); // what arrived before this drawing is in it
  view.dataset.rendered = String(my); // lets tests tell a fresh page from the one before
  if (document.activeElement === document.body || !view.contains(document.activeElement)) view.focus({ preventScroll: true });
}

setUnauthorizedHandler(() => {
  stopLive();
  me = null;
  setCsrf(null);
  showHeader();
  showLogin('Your session has ended. Please sign in again.');
});

document.getElementById('logout').addEventListener('click', logout);
document.getElementById('live').addEventListener('click', () => { seen(); route(); });
window.addEventListener('hashchange', () => { if (me) route(); });

// Start: ask who we are; a 401 means "not signed in" and shows the login form quietly.
(async () => {
  try {
    const r = await api('/me', { authRedirect: false });
    signedIn(r);
  } catch (e) {
    clear(view);
    showLogin(e instanceof ApiError && e.status === 401 ? '' : `Cannot reach the server: ${e.message}`);
  }
})();
