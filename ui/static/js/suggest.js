// Notre Asso — suggestions as you type in the search boxes: file and
// folder names and tags of documents the user may read
// (GET /api/v1/suggest). A native <datalist>: arrows, Enter and Escape
// work as in any browser, on phones too; Enter still runs the full search.
'use strict';

(function () {
  let seq = 0;
  for (const input of document.querySelectorAll('input[type=search][name=q]')) {
    const list = document.createElement('datalist');
    list.id = input.id + '-suggest';
    input.after(list);
    input.setAttribute('list', list.id);
    let timer;
    input.addEventListener('input', () => {
      clearTimeout(timer);
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
        list.replaceChildren(...data.suggestions.map((s) => {
          const o = document.createElement('option');
          o.value = head + (s.kind === 'tag' ? 'tag:"' + s.label + '"' : s.label);
          o.label = s.path ? s.label + ' — ' + s.path : '#' + s.label;
          return o;
        }));
      }, 120);
    });
  }
})();
