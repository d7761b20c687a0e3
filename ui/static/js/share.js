// The share panel (share_panel.html) works without this file; it adds a
// confirmation before removing access, revoking a link or opening a folder
// to the public, and fills the drop-box sender name from the last one used.
document.querySelectorAll('[data-confirm]').forEach((btn) => {
  btn.addEventListener('click', (ev) => {
    if (!window.confirm(btn.dataset.confirm)) {
      ev.preventDefault();
    }
  });
});

// The address of a link just created is selected, ready to copy.
const created = document.getElementById('new-link');
if (created) {
  created.focus();
  created.select();
}
