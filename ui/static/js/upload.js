// Uploads: file picker, folder picker and drag and drop (files and whole
// folders, through webkitGetAsEntry), two at a time, a <progress> per file
// and overall, cancel and retry. Files under 16 MiB go in one PUT; larger
// ones in 8 MiB chunks to the resumable upload API, which survives a flaky
// connection: after a network error the client asks how much arrived and
// goes on from there. A chunked upload is remembered in localStorage: when
// the page is left (a warning asks first) and opened again, the person
// picks the same file and it goes on from what the server received.
'use strict';
(() => {
  const box = document.getElementById('uploads');
  if (!box) return;
  const folder = box.dataset.folder;
  const T = box.dataset;
  const list = document.getElementById('up-list');
  const total = document.getElementById('up-total');
  const totalText = document.getElementById('up-total-text');
  const SMALL = 16 << 20;
  const CHUNK = 8 << 20;
  const PARALLEL = 2;
  const jobs = [];
  const dirs = new Map();
  let running = 0;
  const STORE = 'notreasso.uploads';
  const closeBtn = document.getElementById('up-close');
  const bytesText = document.getElementById('up-bytes');
  const lang = document.documentElement.lang || 'fr';
  const units = (T.units || 'B KB MB GB TB').split(' ');
  let started = 0; // when the current batch began (performance.now)
  let startSent = 0; // bytes already sent then (resumed uploads)

  // size writes a byte count as the server does: 1,5 Mo / 1.5 MB.
  function size(n) {
    let v = n;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    const digits = i === 0 || v >= 100 ? 0 : 1;
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(v) + ' ' + units[i];
  }

  // left writes a remaining time: "about 3 min" / "less than a minute".
  function left(seconds) {
    if (!isFinite(seconds) || seconds <= 0) return '';
    if (seconds < 60) return T.tLeftSeconds;
    if (seconds < 3600) return T.tLeftMinutes.replace('%n', Math.ceil(seconds / 60));
    return T.tLeftHours.replace('%n', Math.round(seconds / 360) / 10);
  }

  // The remembered chunked uploads: {id, path, name, size, modified}.
  const remembered = () => {
    try { return JSON.parse(localStorage.getItem(STORE)) || []; } catch { return []; }
  };
  const remember = (list) => {
    try { localStorage.setItem(STORE, JSON.stringify(list)); } catch { /* private mode: no resume */ }
  };
  const forget = (id) => remember(remembered().filter((u) => u.id !== id));

  const join = (a, b) => (a.replace(/\/+$/, '') + '/' + b).replace(/\/+/g, '/');
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  class Job {
    constructor(file, rel, resume) {
      this.file = file;
      this.rel = rel;
      this.path = resume ? resume.path : join(folder, rel);
      this.uploadId = resume ? resume.id : null;
      this.sent = 0;
      this.state = 'waiting';
      this.li = el('li');
      this.bar = el('progress');
      this.bar.max = Math.max(file.size, 1);
      this.bar.value = 0;
      this.bar.setAttribute('aria-label', rel);
      this.status = el('span', 'status', T.tWaiting);
      this.status.setAttribute('role', 'status');
      const acts = el('span', 'acts');
      this.cancelBtn = el('button', 'btn small', T.tCancel);
      this.cancelBtn.type = 'button';
      this.cancelBtn.setAttribute('aria-label', T.tCancel + ' ' + rel);
      this.cancelBtn.addEventListener('click', () => this.cancel());
      this.retryBtn = el('button', 'btn small', T.tRetry);
      this.retryBtn.type = 'button';
      this.retryBtn.hidden = true;
      this.retryBtn.setAttribute('aria-label', T.tRetry + ' ' + rel);
      this.retryBtn.addEventListener('click', () => this.retry());
      acts.append(this.retryBtn, this.cancelBtn);
      this.li.append(el('span', 'name', rel), acts, this.bar, this.status);
      list.append(this.li);
    }
    progress(n) {
      this.sent = n;
      this.bar.value = Math.max(n, 0);
      updateTotal();
    }
    say(text, cls) {
      this.status.textContent = text;
      this.status.className = 'status' + (cls ? ' ' + cls : '');
    }
    cancel() {
      if (this.state === 'done') return;
      this.state = 'cancelled';
      if (this.xhr) this.xhr.abort();
      if (this.uploadId) {
        NA.json('DELETE', '/api/v1/uploads/' + this.uploadId).catch(() => {});
        forget(this.uploadId);
      }
      this.uploadId = null;
      this.say(T.tCancelled);
      this.cancelBtn.hidden = true;
      this.retryBtn.hidden = false;
      updateTotal();
      finished();
    }
    retry() {
      this.state = 'waiting';
      this.retryBtn.hidden = true;
      this.cancelBtn.hidden = false;
      this.say(T.tWaiting);
      pump();
    }
  }

  // xhr sends one request and reports upload progress; a network error
  // rejects with .network set, an HTTP error with the server's message.
  function xhr(job, method, url, body, headers, onProgress) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      job.xhr = x;
      x.open(method, url);
      x.setRequestHeader('X-CSRF-Token', NA.csrf());
      x.setRequestHeader('Accept', 'application/json');
      for (const [k, v] of Object.entries(headers || {})) x.setRequestHeader(k, v);
      x.upload.onprogress = (e) => onProgress && onProgress(e.loaded);
      x.onload = () => {
        let data = null;
        try { data = JSON.parse(x.responseText); } catch { /* empty body */ }
        if (x.status >= 200 && x.status < 300) return resolve({ status: x.status, data });
        const err = new Error(x.status === 413 ? T.tToolarge : (data && data.error && data.error.message) || x.statusText);
        err.status = x.status;
        err.data = data;
        reject(err);
      };
      x.onerror = () => { const e = new Error('network'); e.network = true; reject(e); };
      x.onabort = () => { const e = new Error('aborted'); e.aborted = true; reject(e); };
      x.send(body);
    });
  }

  async function ensureDir(dir) {
    if (dir === folder || dir === '/') return;
    if (!dirs.has(dir)) dirs.set(dir, NA.json('POST', NA.url('/api/v1/folders/', dir) + '?parents=1'));
    return dirs.get(dir);
  }

  async function putWhole(job) {
    const headers = { 'X-Mtime': String(Math.floor(job.file.lastModified / 1000)) };
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await xhr(job, 'PUT', NA.url('/api/v1/files/', job.path), job.file, headers, (n) => job.progress(n));
        return { created: r.status === 201, node: r.data };
      } catch (e) {
        if (!e.network || attempt >= 4 || job.state !== 'running') throw e;
        job.say(T.tResume);
        await sleep(1000 * 2 ** attempt);
      }
    }
  }

  async function putChunks(job) {
    const size = job.file.size;
    if (!job.uploadId) {
      const u = await NA.json('POST', '/api/v1/uploads', { path: job.path, size, mtime: Math.floor(job.file.lastModified / 1000) });
      job.uploadId = u.id;
      remember(remembered().concat({ id: u.id, path: job.path, name: job.file.name, size, modified: job.file.lastModified }));
    }
    const base = '/api/v1/uploads/' + job.uploadId;
    let off = (await NA.json('GET', base)).offset;
    let failures = 0;
    while (off < size) {
      if (job.state !== 'running') throw new Error('aborted');
      const end = Math.min(off + CHUNK, size);
      try {
        const r = await xhr(job, 'PUT', base, job.file.slice(off, end), { 'Content-Range': `bytes ${off}-${end - 1}/${size}` },
          (n) => job.progress(off + n));
        off = r.data.offset;
        failures = 0;
        job.say('…');
      } catch (e) {
        if (e.status === 409 && e.data && typeof e.data.offset === 'number') { off = e.data.offset; continue; }
        const transient = e.network || e.status === 409 || e.status >= 500;
        if (!transient || failures >= 8 || job.state !== 'running') throw e;
        failures++;
        job.say(T.tResume);
        await sleep(Math.min(30000, 500 * 2 ** failures));
        try { off = (await NA.json('GET', base)).offset; } catch { /* still offline: loop and wait again */ }
      }
      job.progress(off);
    }
    const node = await NA.json('POST', base + '/commit');
    forget(job.uploadId);
    job.uploadId = null;
    return { created: node.version === 1 && !node.unchanged, node };
  }

  async function run(job) {
    job.state = 'running';
    job.say('…');
    try {
      const max = Number(T.max);
      if (max > 0 && job.file.size > max) throw new Error(T.tToolarge);
      await ensureDir(job.path.replace(/\/[^/]*$/, '') || '/');
      const res = job.file.size < SMALL ? await putWhole(job) : await putChunks(job);
      job.state = 'done';
      job.progress(Math.max(job.file.size, 1));
      let said = T.tVersion.replace('%n', res.node.version);
      if (res.created) said = T.tDone;
      else if (res.node.unchanged) said = T.tSame;
      job.say(said, 'done');
      job.cancelBtn.hidden = true;
    } catch (e) {
      if (job.state === 'cancelled') return;
      if (e.status === 404 && job.uploadId) { forget(job.uploadId); job.uploadId = null; } // expired: start over on retry
      job.state = 'error';
      job.say(T.tError + ' : ' + (e.network ? 'network' : e.message), 'error');
      job.retryBtn.hidden = false;
    }
  }

  function pump() {
    while (running < PARALLEL) {
      const job = jobs.find((j) => j.state === 'waiting');
      if (!job) break;
      running++;
      run(job).finally(() => { running--; updateTotal(); pump(); finished(); });
    }
  }

  const busy = () => jobs.some((j) => j.state === 'waiting' || j.state === 'running');

  function updateTotal() {
    const live = jobs.filter((j) => j.state !== 'cancelled');
    const all = live.reduce((a, j) => a + Math.max(j.file.size, 1), 0);
    const sent = live.reduce((a, j) => a + (j.state === 'done' ? Math.max(j.file.size, 1) : j.sent), 0);
    const pct = all ? Math.floor((100 * sent) / all) : 100;
    total.value = pct;
    totalText.textContent = pct + ' %';
    let text = T.tBytes.replace('%s', size(Math.min(sent, all))).replace('%t', size(all));
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 2 ? (sent - startSent) / secs : 0;
    if (busy() && rate > 0) {
      const l = left((all - sent) / rate);
      if (l) text += ' · ' + l;
    }
    bytesText.textContent = text;
    closeBtn.hidden = busy();
  }

  // finished refreshes the listing once nothing is left to send, keeping
  // the upload panel in view.
  async function finished() {
    if (jobs.some((j) => j.state === 'waiting' || j.state === 'running')) return;
    try {
      const r = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      for (const id of ['listing', 'counts']) {
        const fresh = doc.getElementById(id);
        const old = document.getElementById(id);
        if (fresh && old) old.replaceWith(document.adoptNode(fresh));
      }
      NA.updateSelection();
      box.dataset.refreshed = String(Date.now());
    } catch { /* the list refreshes on the next visit */ }
  }

  function add(files, resume) {
    if (!files.length) return;
    if (!busy()) {
      started = performance.now();
      startSent = 0;
    }
    box.hidden = false;
    for (const { file, rel } of files) {
      const job = new Job(file, rel, resume);
      if (resume) {
        job.sent = resume.offset;
        startSent += resume.offset;
      }
      jobs.push(job);
    }
    updateTotal();
    pump();
  }

  // Leaving the page would abandon what is being sent: ask first.
  window.addEventListener('beforeunload', (e) => {
    if (!busy()) return;
    e.preventDefault();
    e.returnValue = '';
  });

  // Closing the panel forgets the finished lines.
  closeBtn.addEventListener('click', () => {
    if (busy()) return;
    jobs.length = 0;
    list.replaceChildren();
    box.hidden = true;
  });

  // Interrupted uploads (the page was left or closed): the server still
  // holds what it received; picking the same file again sends the rest.
  async function offerResume() {
    const pending = document.getElementById('up-pending');
    for (const u of remembered()) {
      let offset;
      try {
        offset = (await NA.json('GET', '/api/v1/uploads/' + u.id)).offset;
      } catch {
        forget(u.id); // expired, committed or someone else's: nothing to resume
        continue;
      }
      const li = el('li', 'pending');
      const id = 'resume-' + u.id;
      const input = el('input', 'file-input');
      input.type = 'file';
      input.id = id;
      const label = el('label', 'btn small', T.tResumePick);
      label.htmlFor = id;
      const drop = el('button', 'btn small', T.tCancel);
      drop.type = 'button';
      drop.setAttribute('aria-label', T.tCancel + ' ' + u.path);
      const pct = Math.floor((100 * offset) / Math.max(u.size, 1));
      const text = el('span', 'name', T.tInterrupted.replace('%s', u.path).replace('%n', pct));
      const msg = el('span', 'status');
      msg.setAttribute('role', 'status');
      li.append(text, el('span', 'acts'), msg);
      li.lastChild.previousSibling.append(input, label, drop);
      pending.append(li);
      pending.hidden = false;
      box.hidden = false;
      drop.addEventListener('click', () => {
        NA.json('DELETE', '/api/v1/uploads/' + u.id).catch(() => {});
        forget(u.id);
        li.remove();
        if (!pending.children.length) pending.hidden = true;
      });
      input.addEventListener('change', () => {
        const f = input.files[0];
        if (!f) return;
        if (f.size !== u.size || f.name !== u.name) {
          msg.textContent = T.tResumeOther.replace('%s', u.name);
          return;
        }
        li.remove();
        if (!pending.children.length) pending.hidden = true;
        add([{ file: f, rel: u.path.replace(/^.*\//, '') }], { id: u.id, path: u.path, offset });
      });
    }
  }
  offerResume();

  for (const id of ['pick-files', 'pick-folder']) {
    const input = document.getElementById(id);
    if (!input) continue;
    input.addEventListener('change', () => {
      add([...input.files].map((f) => ({ file: f, rel: f.webkitRelativePath || f.name })));
      input.value = '';
    });
  }

  // Drag and drop, folders included.
  const drop = document.getElementById('drop');
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  document.addEventListener('dragenter', (e) => { if (hasFiles(e)) { depth++; drop.hidden = false; } });
  document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; drop.hidden = true; } });
  document.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); });
  document.addEventListener('drop', async (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    drop.hidden = true;
    const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    const files = [];
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        const file = await new Promise((res, rej) => entry.file(res, rej));
        files.push({ file, rel: prefix + entry.name });
      } else if (entry.isDirectory) {
        const dir = join(folder, prefix + entry.name);
        dirs.set(dir, NA.json('POST', NA.url('/api/v1/folders/', dir) + '?parents=1'));
        await dirs.get(dir).catch(() => {});
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
          if (!batch.length) break;
          for (const child of batch) await walk(child, prefix + entry.name + '/');
        }
      }
    };
    if (entries.length) {
      for (const entry of entries) await walk(entry, '');
    } else {
      for (const f of e.dataTransfer.files) files.push({ file: f, rel: f.name });
    }
    add(files);
    if (!files.length) finished();
  });
})();
