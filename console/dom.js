// DOM helpers of the wxauth console. Everything the console shows is built here with
// createElement and textContent: no HTML string made from data ever reaches the page, so a
// WeChat nickname such as <img src=x onerror=alert(1)> is shown as the text it is.
'use strict';
(function () {
  const WX = (window.WX = window.WX || {});

  // A link target we are willing to put in href: our own hash routes, or http(s) URLs (the
  // verification file, the WeChat redirect URI). Anything else (javascript:, data:) is dropped.
  function safeHref(v) {
    const s = String(v);
    if (s.startsWith('#')) return s;
    try {
      const u = new URL(s, location.href);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // An image source: only https: URLs (WeChat avatars), our own files, or http: URLs while the
  // console itself is on http: (a demo: the emulator's drawn avatars).
  function safeSrc(v) {
    const s = String(v);
    try {
      const u = new URL(s, location.href);
      if (u.protocol === 'https:' || u.origin === location.origin) return u.href;
      if (u.protocol === 'http:' && location.protocol === 'http:') return u.href;
    } catch (e) {
      /* not a URL */
    }
    return null;
  }

  function append(el, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else if (c instanceof Node) el.appendChild(c);
      else el.appendChild(document.createTextNode(String(c)));
    }
  }

  const BOOL_PROPS = new Set(['checked', 'disabled', 'hidden', 'readOnly', 'selected', 'multiple']);

  // h('a', {href: '#/pools', class: 'x', onclick: fn}, 'text', child, [more]) — attributes
  // come from this code, never from data; values are set as text or checked URLs.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'value') el.value = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (BOOL_PROPS.has(k)) el[k] = true;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'href') {
        const u = safeHref(v);
        if (u) el.setAttribute('href', u);
      } else if (k === 'src') {
        const u = safeSrc(v);
        if (u) el.setAttribute('src', u);
      } else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, children);
    return el;
  }

  function clear(el) {
    el.replaceChildren();
    return el;
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  // Epoch seconds as local "YYYY-MM-DD HH:MM:SS"; 0 or missing as an em dash.
  function time(sec) {
    if (!sec) return '—';
    const d = new Date(sec * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function timeEl(sec) {
    if (!sec) return h('span', { class: 'muted', text: '—' });
    return h('time', { datetime: new Date(sec * 1000).toISOString(), text: time(sec) });
  }

  // "1296000" -> "15 days".
  function duration(sec) {
    const units = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
    for (const [n, name] of units) {
      if (sec >= n && sec % n === 0) {
        const k = sec / n;
        return `${k} ${name}${k === 1 ? '' : 's'}`;
      }
    }
    return `${sec} seconds`;
  }

  // A table: cols = [{label, cell: row => node|text, class}], rows = array.
  function table(cols, rows, opts = {}) {
    const head = h('thead', null, h('tr', null, cols.map((c) =>
      h('th', { scope: 'col', class: c.class }, c.label))));
    const body = h('tbody', null, rows.map((r) =>
      h('tr', opts.rowProps ? opts.rowProps(r) : null,
        cols.map((c) => h('td', { class: c.class, 'data-label': c.label }, c.cell(r))))));
    const t = h('table', { class: 'grid' + (opts.class ? ' ' + opts.class : '') },
      opts.caption ? h('caption', { class: 'sr-only', text: opts.caption }) : null, head, body);
    return h('div', { class: 'table-wrap' }, t);
  }

  function empty(text, ...extra) {
    return h('div', { class: 'empty' }, h('p', { text }), extra);
  }

  function badge(text, kind) {
    return h('span', { class: 'badge' + (kind ? ' ' + kind : ''), text });
  }

  // An avatar: the picture when photo is an https: URL (or http: while the console itself is on
  // http:, as in the demo with the emulator's drawn avatars), else — and when the picture fails
  // to load — a circle with the first letter.
  function avatar(photo, name, size) {
    const cls = 'avatar' + (size === 'large' ? ' large' : '');
    const first = Array.from(String(name || '?').trim())[0] || '?';
    const initial = () => h('span', { class: cls + ' initial', 'aria-hidden': 'true', text: first.toUpperCase() });
    let ok = false;
    try {
      const p = !!photo && new URL(photo).protocol;
      ok = p === 'https:' || (p === 'http:' && location.protocol === 'http:');
    } catch (e) {
      ok = false;
    }
    if (!ok) return initial();
    const img = h('img', { class: cls, src: photo, alt: '', referrerpolicy: 'no-referrer', loading: 'lazy' });
    img.addEventListener('error', () => img.replaceWith(initial()), { once: true });
    return img;
  }

  // A short status message at the top of the page (role=status), cleared on navigation.
  let flashTimer = null;
  let flashKeep = false; // said just before a navigation ("created", then the new page): keep
  function flash(text, kind) {
    const el = document.getElementById('flash');
    clearTimeout(flashTimer);
    flashKeep = !!text;
    el.className = 'flash' + (kind ? ' ' + kind : '');
    el.textContent = text;
    el.hidden = !text;
    if (text && kind !== 'error') flashTimer = setTimeout(() => { el.hidden = true; }, 6000);
  }

  // On navigation: a message said since the last page was shown stays (it is about the move);
  // older ones go. flashSettled() is called when a page is shown.
  function flashNavigated() {
    if (!flashKeep) flash('', null);
  }
  function flashSettled() {
    flashKeep = false;
  }

  // A modal confirmation in the page (not window.confirm). With opts.type the person must type
  // that text first (used for deleting a pool). Resolves true or false.
  function confirm({ title, text, ok = 'Confirm', danger = true, type }) {
    const dlg = document.getElementById('confirm');
    const form = dlg.querySelector('form');
    const input = document.getElementById('confirm-input');
    const okBtn = document.getElementById('confirm-ok');
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').textContent = text || '';
    document.getElementById('confirm-type').hidden = !type;
    document.getElementById('confirm-label').textContent = type ? `Type ${type} to confirm` : '';
    input.value = '';
    okBtn.textContent = ok;
    okBtn.className = danger ? 'danger' : 'primary';
    okBtn.disabled = !!type;
    return new Promise((resolve) => {
      const onInput = () => { okBtn.disabled = input.value !== type; };
      const done = (v) => {
        form.removeEventListener('submit', onSubmit);
        dlg.removeEventListener('cancel', onCancel);
        input.removeEventListener('input', onInput);
        cancel.removeEventListener('click', onCancel);
        if (dlg.open) dlg.close();
        resolve(v);
      };
      const onSubmit = (e) => { e.preventDefault(); if (!type || input.value === type) done(true); };
      const onCancel = (e) => { e.preventDefault(); done(false); };
      const cancel = document.getElementById('confirm-cancel');
      form.addEventListener('submit', onSubmit);
      dlg.addEventListener('cancel', onCancel);
      input.addEventListener('input', onInput);
      cancel.addEventListener('click', onCancel);
      dlg.showModal();
      (type ? input : cancel).focus();
    });
  }

  // Copy text to the clipboard; falls back to selecting it for the person to copy.
  async function copy(text, fallbackEl) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (e) {
      if (fallbackEl) {
        const r = document.createRange();
        r.selectNodeContents(fallbackEl);
        const s = window.getSelection();
        s.removeAllRanges();
        s.addRange(r);
      }
      return false;
    }
  }

  Object.assign(WX, { h, clear, append, time, timeEl, duration, table, empty, badge, avatar, flash, flashNavigated, flashSettled, confirm, copy, safeHref });
})();
