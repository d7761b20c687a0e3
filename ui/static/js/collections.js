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
