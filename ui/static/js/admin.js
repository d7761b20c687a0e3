// Notre Asso — account suggestions for the group member form (an ARIA
// combobox). Without JavaScript the field takes a login as typed.
'use strict';

document.querySelectorAll('input[data-accounts]').forEach((input) => {
  const list = document.getElementById(input.getAttribute('aria-controls'));
  const exclude = new Set((input.dataset.exclude || '').split(' ').filter(Boolean));
  let active = -1;
  let timer = 0;
  let seq = 0;
  const options = () => [...list.querySelectorAll('[role="option"]')];
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const mark = (i) => {
    const opts = options();
    opts.forEach((o, j) => o.setAttribute('aria-selected', j === i ? 'true' : 'false'));
    active = i;
    if (opts[i]) {
      input.setAttribute('aria-activedescendant', opts[i].id);
      opts[i].scrollIntoView({ block: 'nearest' });
    }
  };
  const choose = (o) => {
    input.value = o.dataset.login;
    close();
    input.focus();
  };
  const suggest = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { close(); return; }
    let data;
    try {
      data = await NA.json('GET', '/api/v1/principals?q=' + encodeURIComponent(q));
    } catch { return; } // suggestions are optional
    if (mine !== seq) return;
    const users = data.users.filter((u) => !exclude.has(u.login)).slice(0, 12);
    list.replaceChildren(...users.map((u, i) => {
      const li = document.createElement('li');
      li.id = list.id + '-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.dataset.login = u.login;
      const name = document.createElement('strong');
      name.textContent = u.display_name || u.login;
      li.append(name);
      if (u.display_name) {
        const login = document.createElement('small');
        login.textContent = ' ' + u.login;
        li.append(login);
      }
      li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(li); });
      return li;
    }));
    list.hidden = users.length === 0;
    input.setAttribute('aria-expanded', users.length ? 'true' : 'false');
    active = -1;
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 120);
  });
  input.addEventListener('keydown', (e) => {
    const opts = options();
    if (list.hidden || !opts.length) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); mark((active + 1) % opts.length); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); mark((active - 1 + opts.length) % opts.length); }
    // Enter takes the highlighted account and lets the form go on: one
    // key picks and adds.
    else if (e.key === 'Enter' && active >= 0) { input.value = opts[active].dataset.login; close(); }
    else if (e.key === 'Escape') { close(); }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
});
