// dom.js: build DOM nodes without ever parsing markup.
//
// Everything the dashboard shows that came out of a message (subjects, names, file names,
// evidence, URLs) is hostile input. The only way text reaches the page is textContent and
// setAttribute on a fixed list of attribute names, so a subject of `<img src=x onerror=...>`
// stays a string. There is no innerHTML, insertAdjacentHTML or document.write in this
// dashboard; keep it that way.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Attributes a caller may set from data. Event handlers (on*) and style are refused: the CSP
// would block them anyway, and refusing here turns a silent block into a loud bug.
function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
      continue;
    }
    if (/^on/i.test(name) || name === 'style') throw new Error(`dom: refusing attribute ${name}`);
    if (name === 'href' && !/^(#|\/)/.test(String(value)))
      throw new Error('dom: only same-origin relative links'); // no javascript: or data: links
    if (name === 'dataset') {
      Object.assign(el.dataset, value);
      continue;
    }
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// h('a', {href: '#/events/1', class: 'x'}, 'text', otherNode): an HTML element.
// Strings among the children become text nodes, never markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  return append(el, children);
}

// s('rect', {x: 0, width: 10}): an SVG element (charts.js).
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  return append(el, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  return append(clear(el), children);
}

const pad = (n) => String(n).padStart(2, '0');

// Epoch seconds -> "2024-01-01 12:00:00" in the analyst's local time; "" when absent.
export function fmtTime(epoch) {
  if (epoch === undefined || epoch === null || epoch === '') return '';
  const d = new Date(Number(epoch) * 1000);
  if (Number.isNaN(d.getTime())) return String(epoch);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtSize(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// A <time> element showing local time, with the epoch as machine-readable datetime.
export function time(epoch) {
  if (epoch === undefined || epoch === null) return '';
  const d = new Date(Number(epoch) * 1000);
  return h('time', { datetime: Number.isNaN(d.getTime()) ? null : d.toISOString() }, fmtTime(epoch));
}

// Severity names from docs/SEVERITY.md.
export const SEVERITY_NAMES = ['routine', 'untargeted malicious', 'targeted attempt',
  'suspected compromise', 'confirmed compromise', 'classified at risk'];

export function severityBadge(level) {
  const n = Number(level);
  if (!Number.isInteger(n) || n < 0 || n > 5) return h('span', { class: 'badge' }, String(level ?? ''));
  return h('span', { class: `badge sev sev-${n}`, title: SEVERITY_NAMES[n] }, String(n));
}

const VERDICTS = ['clean', 'spam', 'phishing', 'malware', 'targeted'];
export function verdictBadge(v) {
  const known = VERDICTS.includes(v) ? ` verdict-${v}` : '';
  return h('span', { class: `badge verdict${known}` }, String(v ?? ''));
}

// A table from column specs [{label, cell(row) -> node|string, class}] and rows.
export function table(columns, rows, { caption, rowAttrs } = {}) {
  return h('table', { class: 'data' },
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h('tbody', null, rows.map((r) => tableRow(columns, r, rowAttrs))));
}

export function tableRow(columns, r, rowAttrs) {
  return h('tr', rowAttrs ? rowAttrs(r) : null,
    columns.map((c) => h('td', { class: c.class }, c.cell(r))));
}

// A description list from [label, value] pairs; pairs with an empty value are left out.
export function dl(pairs) {
  return h('dl', { class: 'summary' }, pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => [h('dt', null, k),
      h('dd', null, Array.isArray(v) && v.every((x) => typeof x !== 'object') ? v.join(', ') : v)]));
}
