// Opsdesk keyboard shortcuts. No inline script: this file is served from /assets under a
// strict CSP. j/k move between tickets of a list, r starts a public reply, n an internal note.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("a.row-link"));
  }
  function move(step) {
    var links = rows();
    if (!links.length) return;
    var i = links.indexOf(document.activeElement);
    var next = i < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, i + step));
    links.forEach(function (l) { l.closest("tr").classList.remove("cursor"); });
    links[next].focus();
    links[next].closest("tr").classList.add("cursor");
  }
  function compose(kind) {
    var radio = document.getElementById(kind === "note" ? "vis-internal" : "vis-public");
    var body = document.getElementById("body");
    if (radio) radio.checked = true;
    if (body) { body.focus(); syncComposer(); }
  }
  function syncComposer() {
    var form = document.querySelector("form.composer");
    var note = document.getElementById("vis-internal");
    if (form && note) form.classList.toggle("note-mode", note.checked);
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "visibility") syncComposer();
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    if (e.key === "j") { move(1); e.preventDefault(); }
    else if (e.key === "k") { move(-1); e.preventDefault(); }
    else if (e.key === "r" && document.getElementById("body")) { compose("reply"); e.preventDefault(); }
    else if (e.key === "n" && document.getElementById("vis-internal")) { compose("note"); e.preventDefault(); }
  });
})();
