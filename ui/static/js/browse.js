// Folder page: the rename field starts with the selected item's name, so
// a person edits it rather than retyping it.
'use strict';
(() => {
  const form = document.getElementById('sel');
  const field = document.getElementById('rename-to');
  if (!form || !field) return;
  let prefilled = '';
  const fill = () => {
    const picked = [...form.querySelectorAll('input[name="path"]:checked')];
    if (field.value !== prefilled) return; // the person typed: keep it
    prefilled = picked.length === 1 ? picked[0].value.replace(/^.*\//, '') : '';
    field.value = prefilled;
  };
  document.addEventListener('change', fill); // after app.js's "select all"
  // Opening the rename box selects the name without its extension.
  const box = field.closest('details');
  if (box) {
    box.addEventListener('toggle', () => {
      if (!box.open || !field.value) return;
      field.focus();
      const dot = field.value.lastIndexOf('.');
      field.setSelectionRange(0, dot > 0 ? dot : field.value.length);
    });
  }
  fill();
})();
