// charts.js: the two charts the overview needs, drawn as plain SVG.
//
// No chart library: the CSP allows only our own scripts, the page must work offline, and two
// charts do not justify 200 KB of someone else's code. Colours come from CSS classes
// (seg-<key>, bar) so the stylesheet owns the palette; sizes are SVG attributes, which the CSP
// does not treat as inline style. Labels are set with textContent (dom.js).

import { h, s, fmtTime } from './dom.js';

const pad = (n) => String(n).padStart(2, '0');

function tickLabel(epoch, bucketSeconds) {
  const d = new Date(epoch * 1000);
  if (bucketSeconds >= 86400) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// A "nice" axis maximum (1, 2, 5 x 10^n) at or above max, so gridlines land on round numbers.
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

// Stacked bars over time. buckets: [{t, values: {key: n}}]; keys: the stack order, bottom up.
// Returns an <svg> with one <rect class="seg seg-KEY"> per non-zero segment.
export function stackedBars(buckets, { keys, label, bucketSeconds = 3600, width = 1100, height = 240 } = {}) {
  const m = { top: 10, right: 10, bottom: 26, left: 40 };
  const iw = width - m.left - m.right;
  const ih = height - m.top - m.bottom;
  const totals = buckets.map((b) => keys.reduce((a, k) => a + (Number(b.values[k]) || 0), 0));
  const ymax = niceMax(Math.max(0, ...totals));
  const y = (v) => m.top + ih - (v / ymax) * ih;
  const slot = buckets.length ? iw / buckets.length : iw;
  const bw = Math.max(1, slot * 0.8);

  const svg = s('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height,
    role: 'img', 'aria-label': label || 'chart',
  }, s('title', null, label || 'chart'));

  // Gridlines and y labels at 0, half and the top.
  for (const v of [0, ymax / 2, ymax]) {
    svg.append(s('line', { class: 'grid', x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
    svg.append(s('text', { class: 'axis', x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end' },
      Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }

  // Label about eight buckets along the x axis, whatever their number.
  const every = Math.max(1, Math.ceil(buckets.length / 8));
  buckets.forEach((b, i) => {
    const x = m.left + i * slot + (slot - bw) / 2;
    let acc = 0;
    const g = s('g', { class: 'bucket' },
      s('title', null, `${fmtTime(b.t)}: ` + keys.map((k) => `${k} ${Number(b.values[k]) || 0}`).join(', ')));
    for (const k of keys) {
      const v = Number(b.values[k]) || 0;
      if (v <= 0) continue;
      g.append(s('rect', {
        class: `seg seg-${k}`, x: x.toFixed(2), width: bw.toFixed(2),
        y: y(acc + v).toFixed(2), height: (y(acc) - y(acc + v)).toFixed(2),
      }));
      acc += v;
    }
    svg.append(g);
    if (i % every === 0)
      svg.append(s('text', { class: 'axis', x: (x + bw / 2).toFixed(2), y: height - 8, 'text-anchor': 'middle' },
        tickLabel(b.t, bucketSeconds)));
  });
  svg.append(s('line', { class: 'baseline', x1: m.left, x2: width - m.right, y1: y(0), y2: y(0) }));
  return svg;
}

// The legend for stackedBars: a list of swatches named by key.
export function legend(keys) {
  return h('ul', { class: 'legend' }, keys.map((k) =>
    h('li', null, s('svg', { width: 12, height: 12, 'aria-hidden': 'true' },
      s('rect', { class: `seg seg-${k}`, width: 12, height: 12 })), ` ${k}`)));
}

// A ranked list with a bar per item: items [{value, count}] (top_senders, top_findings...).
// The value text is hostile (a sender address); it goes in as text and is cut by CSS.
export function barList(items, { label, empty = 'none', link } = {}) {
  if (!items || !items.length) return h('p', { class: 'muted' }, empty);
  const max = Math.max(1, ...items.map((i) => Number(i.count) || 0));
  return h('table', { class: 'barlist', 'aria-label': label },
    h('tbody', null, items.map((it) => {
      const n = Number(it.count) || 0;
      const text = String(it.value ?? '');
      return h('tr', null,
        h('td', { class: 'name', title: text }, link ? h('a', { href: link(it) }, text) : text),
        h('td', { class: 'num' }, String(n)),
        h('td', { class: 'bar' }, s('svg', { viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
          s('rect', { class: 'bar', x: 0, y: 0, height: 10, width: ((n / max) * 100).toFixed(1) }))));
    })));
}
