// Notre Asso — reorder a collection's items by drag and drop. Without
// JavaScript the up/down buttons do the same.
'use strict';

(function () {
  const list = document.getElementById('items');
  if (!list || list.dataset.editable !== 'true') return;
  let dragged = null;
  list.addEventListener('dragstart', (e) => {
    dragged = e.target.closest('li.item');
    if (dragged) dragged.classList.add('dragging');
  });
  list.addEventListener('dragover', (e) => {
    const over = e.target.closest('li.item');
    if (!dragged || !over || over === dragged) return;
    e.preventDefault();
    const r = over.getBoundingClientRect();
    over.parentNode.insertBefore(dragged, e.clientY > r.top + r.height / 2 ? over.nextSibling : over);
  });
  list.addEventListener('dragend', async () => {
    if (!dragged) return;
    dragged.classList.remove('dragging');
    dragged = null;
    const items = [...list.querySelectorAll('li.item')].map((li) => ({ node_id: Number(li.dataset.node), note: li.dataset.note }));
    try {
      await NA.json('PUT', '/api/v1/collections/' + list.dataset.collection + '/items', { items });
    } catch (err) {
      location.reload(); // show the order the server kept
    }
  });
})();

// Adding an item: a dialog browses the tree (folders open, a click on a
// file or the "this folder" entry chooses it) with a filter on names,
// instead of typing a path.
(function () {
  const dialog = document.getElementById('file-picker');
  const btn = document.getElementById('item-pick');
  const field = document.getElementById('item-path');
  if (!dialog || !btn || !field || !dialog.showModal) return;
  const list = document.getElementById('fp-list');
  const where = document.getElementById('fp-path');
  const filter = document.getElementById('fp-filter');
  let children = [];
  let current = '/';
  let shown = 0;
  const choose = (path) => {
    field.value = path;
    dialog.close('ok');
    field.focus();
  };
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const items = [];
    const add = (label, onClick, cls) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      if (cls) b.className = cls;
      b.addEventListener('click', onClick);
      li.append(b);
      items.push(li);
    };
    if (current !== '/') {
      add('↑ ' + dialog.dataset.tUp, () => show(current.replace(/\/[^/]+$/, '') || '/'));
    }
    children.filter((c) => !q || c.name.toLowerCase().includes(q)).forEach((c) => {
      if (c.type === 'dir') add('📁 ' + c.name, () => show(c.path), 'dir');
      else add('📄 ' + c.name, () => choose(c.path), 'file');
    });
    list.replaceChildren(...items);
  };
  const show = async (path) => {
    const seq = ++shown;
    current = path;
    filter.value = '';
    where.textContent = path === '/' ? dialog.dataset.tRoot : path;
    try {
      const data = await NA.json('GET', NA.url('/api/v1/list/', path));
      if (seq !== shown) return;
      children = data.children;
      list.dataset.path = path;
      draw();
    } catch (err) {
      if (seq === shown) where.textContent = err.message;
    }
  };
  filter.addEventListener('input', draw);
  btn.hidden = false;
  btn.addEventListener('click', () => {
    const start = field.value.startsWith('/') ? field.value.replace(/\/[^/]*$/, '') || '/' : '/';
    show(start);
    dialog.showModal();
  });
})();
