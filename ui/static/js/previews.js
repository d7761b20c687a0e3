// The PDF viewer of a document shown as page images: the PDF is loaded
// in a frame only when the reader opens it, and opened at once where the
// browser shows PDFs itself (navigator.pdfViewerEnabled; phones mostly
// do not, and keep the page images).
(function () {
  'use strict';
  var d = document.getElementById('pdf-viewer');
  if (!d) return;
  function load() {
    if (!d.open || d.querySelector('iframe')) return;
    var f = document.createElement('iframe');
    f.src = d.dataset.pdf;
    f.className = 'pdf';
    f.title = d.querySelector('summary').textContent;
    d.appendChild(f);
  }
  d.addEventListener('toggle', load);
  if (navigator.pdfViewerEnabled && window.matchMedia('(min-width: 60rem)').matches) {
    d.open = true;
    load();
  }
})();
