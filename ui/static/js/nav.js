// Phone menu: on a narrow screen the navigation folds behind one button
// that says where you are, instead of a bar that scrolls sideways.
'use strict';
(() => {
  const nav = document.getElementById('nav');
  if (!nav) return;
  const btn = nav.querySelector('.menu-toggle');
  const here = nav.querySelector('[aria-current="page"]');
  if (here) {
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = '· ' + here.textContent.trim();
    btn.append(where);
  }
  btn.hidden = false;
  nav.classList.add('js');
  const set = (open) => {
    nav.classList.toggle('open', open);
    btn.setAttribute('aria-expanded', String(open));
  };
  btn.addEventListener('click', () => set(!nav.classList.contains('open')));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && nav.classList.contains('open')) {
      set(false);
      btn.focus();
    }
  });
})();
