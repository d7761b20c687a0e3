// Notre Asso — small enhancements on top of pages that work without
// JavaScript: selection count, copy buttons, folder picker, tag
// suggestions, auto-submitting selects. No inline script: CSP is strict.
'use strict';

window.NA = {
  // csrf is the token every state-changing fetch/XHR sends back.
  csrf() {
    const m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : '';
  },
  // url encodes a repository path segment by segment.
  url(prefix, path) {
    return prefix + path.split('/').filter(Boolean).map(encodeURIComponent).join('/');
  },
  async json(method, url, body) {
    const opts = { method, headers: { 'X-CSRF-Token': NA.csrf(), Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(url, opts);
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) {
      const e = new Error((data && data.error && data.error.message) || r.statusText);
      e.status = r.status;
      e.code = data && data.error && data.error.code;
      throw e;
    }
    return data;
  },
};

// Selection: "select all" and the live count on the bulk toolbar.
function updateSelection() {
  const form = document.getElementById('sel');
  if (!form) return;
  const boxes = form.querySelectorAll('input[name="path"]');
  let n = 0;
  boxes.forEach((b) => {
    if (b.checked) n++;
    const row = b.closest('tr, li'); // a table row, or a tile of the grid view
    if (row) row.classList.toggle('sel', b.checked);
  });
  const all = document.getElementById('sel-all');
  if (all) {
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
  }
  const count = document.getElementById('sel-count');
  if (count) count.textContent = n ? count.dataset.t.replace('%n', n) : '';
  form.classList.toggle('none-selected', n === 0);
  form.querySelectorAll('.bulk button[type="submit"], .bulk summary').forEach((b) => {
    b.toggleAttribute('disabled', n === 0);
    b.setAttribute('aria-disabled', n === 0 ? 'true' : 'false');
  });
}
window.NA.updateSelection = updateSelection;

document.addEventListener('change', (e) => {
  const t = e.target;
  if (t.id === 'sel-all') {
    document.querySelectorAll('#sel input[name="path"]').forEach((b) => { b.checked = t.checked; });
    updateSelection();
  } else if (t.name === 'path' && t.closest('#sel')) {
    updateSelection();
  } else if (t.matches('[data-autosubmit]')) {
    t.form.requestSubmit();
  }
});

// A disabled <summary> still toggles its <details>: stop it.
document.addEventListener('click', (e) => {
  const s = e.target.closest('summary[disabled]');
  if (s) e.preventDefault();
});

// Copy buttons: data-copy names the input (its value) or the element (its
// text, e.g. a command in a <pre>) that is copied.
document.querySelectorAll('[data-copy]').forEach((btn) => {
  btn.hidden = false;
  btn.addEventListener('click', async () => {
    const input = document.getElementById(btn.dataset.copy);
    // An <input> or a <code>: copy its value or its text.
    const text = 'value' in input ? input.value : input.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      if (input.select) input.select();
      else window.getSelection().selectAllChildren(input);
      document.execCommand('copy');
    }
    const old = btn.lastChild.textContent;
    btn.lastChild.textContent = btn.dataset.tCopied;
    setTimeout(() => { btn.lastChild.textContent = old; }, 1500);
  });
});

// Folder picker for move/copy: browse folders in a <dialog>.
const picker = document.getElementById('picker');
if (picker && picker.showModal) {
  let target = null;
  let current = '/';
  const list = document.getElementById('picker-list');
  const where = document.getElementById('picker-path');
  const item = (label, icon, onClick) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', onClick);
    li.append(b);
    list.append(li);
  };
  let shown = 0; // answers to an older show() are dropped
  const show = async (path) => {
    const seq = ++shown;
    current = path;
    where.textContent = path === '/' ? picker.dataset.tRoot : path;
    list.replaceChildren();
    if (path !== '/') item('↑ ' + picker.dataset.tUp, 'up', () => show(path.replace(/\/[^/]+$/, '') || '/'));
    try {
      const data = await NA.json('GET', NA.url('/api/v1/list/', path));
      if (seq !== shown) return;
      data.children.filter((c) => c.type === 'dir').forEach((c) => item('📁 ' + c.name, 'dir', () => show(c.path)));
      list.dataset.path = path;
    } catch (err) {
      if (seq === shown) where.textContent = err.message;
    }
  };
  document.querySelectorAll('button.pick').forEach((btn) => {
    btn.hidden = false;
    btn.addEventListener('click', () => {
      target = document.getElementById(btn.dataset.for);
      show(target.value || '/');
      picker.showModal();
    });
  });
  picker.addEventListener('close', () => {
    if (picker.returnValue === 'ok' && target) target.value = current;
  });
}

// Tag suggestions: complete the last comma-separated tag from the tags in use.
document.querySelectorAll('input[data-tags]').forEach((input) => {
  const list = document.getElementById(input.getAttribute('list'));
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const parts = input.value.split(',');
      const prefix = parts.pop().trim();
      if (!prefix) return;
      const head = parts.map((p) => p.trim()).filter(Boolean);
      try {
        const data = await NA.json('GET', '/api/v1/tags?prefix=' + encodeURIComponent(prefix));
        list.replaceChildren(...data.tags.filter((t) => !head.includes(t.name)).slice(0, 20).map((t) => {
          const o = document.createElement('option');
          o.value = head.concat(t.name).join(', ');
          return o;
        }));
      } catch { /* suggestions are optional */ }
    }, 150);
  });
});

updateSelection();
