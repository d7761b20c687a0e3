// Notre Asso — suggestions as you type in the search boxes: file and
// folder names and tags of documents the user may read, and the titles of
// the collections meant for them (GET /api/v1/suggest). A native
// <datalist>: arrows, Enter and Escape work as in any browser, on phones
// too; Enter still runs the full search. Choosing a collection opens it.
'use strict';

(function () {
  let seq = 0;
  for (const input of document.querySelectorAll('input[type=search][name=q]')) {
    const list = document.createElement('datalist');
    list.id = input.id + '-suggest';
    input.after(list);
    input.setAttribute('list', list.id);
    let timer;
    let pages = new Map(); // option value → collection page
    input.addEventListener('input', (e) => {
      clearTimeout(timer);
      // A collection picked in the list (not typed): open its page.
      if (e.inputType === 'insertReplacementText' || e.inputType === undefined) {
        const url = pages.get(input.value);
        if (url) {
          location.assign(url);
          return;
        }
      }
      const text = input.value;
      const last = text.split(/\s+/).pop();
      if (last.length < 2) {
        list.replaceChildren();
        return;
      }
      timer = setTimeout(async () => {
        const mine = ++seq;
        let data;
        try {
          data = await NA.json('GET', '/api/v1/suggest?q=' + encodeURIComponent(text));
        } catch (e) {
          return; // no suggestions: the box still searches
        }
        if (mine !== seq || input.value !== text) return;
        const head = text.slice(0, text.length - last.length);
        pages = new Map();
        list.replaceChildren(...data.suggestions.map((s) => {
          const o = document.createElement('option');
          if (s.kind === 'collection') {
            o.value = s.label;
            o.label = s.label + ' — ' + (input.dataset.collection || '');
            pages.set(o.value, s.url);
            return o;
          }
          o.value = head + (s.kind === 'tag' ? 'tag:"' + s.label + '"' : s.label);
          o.label = s.path ? s.label + ' — ' + s.path : '#' + s.label;
          return o;
        }));
      }, 120);
    });
  }
})();
