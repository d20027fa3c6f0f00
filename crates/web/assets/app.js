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

// Knowledge suggestions while a ticket's title is typed: asks the search API (same origin,
// session cookie) and lists the best articles. Without script the form's "search the
// knowledge base first" button does the same on a page of its own.
(function () {
  "use strict";
  var input = document.querySelector("input[data-kb-suggest]");
  if (!input || !window.fetch) return;
  var box = document.getElementById(input.getAttribute("data-kb-suggest"));
  var timer = null, last = "";
  function show(items) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!items.length) return;
    var head = document.createElement("p");
    head.className = "kb-suggest-head";
    head.textContent = "These articles may answer it:";
    box.appendChild(head);
    var list = document.createElement("ul");
    items.forEach(function (h) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/kb/articles/" + encodeURIComponent(h.id);
      a.textContent = h.title;
      li.appendChild(a);
      var p = document.createElement("p");
      p.className = "snippet";
      (h.snippet || []).forEach(function (part) {
        var node = part.hit ? document.createElement("mark") : document.createElement("span");
        node.textContent = part.text;
        p.appendChild(node);
      });
      li.appendChild(p);
      list.appendChild(li);
    });
    box.appendChild(list);
  }
  function ask() {
    var q = input.value.trim();
    if (q === last) return;
    last = q;
    if (q.length < 3) { show([]); return; }
    fetch("/api/v1/kb/suggestions?limit=5&q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) { if (input.value.trim() === q) show(body.items || []); })
      .catch(function () {});
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  });
})();

// Catalog forms: a field with `show_if` is shown (and required) only when the earlier field
// it names has that value, or for a multiselect contains it; the server applies the same rule
// and drops hidden answers. A hidden field's inputs are disabled so they are neither sent nor
// checked by the browser.
(function () {
  "use strict";
  var form = document.querySelector("form[data-catalog-form]");
  if (!form) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll(".catalog-field"));
  function box(key) {
    for (var i = 0; i < boxes.length; i++) if (boxes[i].getAttribute("data-key") === key) return boxes[i];
    return null;
  }
  function answer(key) {
    var b = box(key);
    if (!b || b.hidden) return undefined;
    var inputs = Array.prototype.slice.call(b.querySelectorAll("input, select, textarea"));
    if (!inputs.length) return undefined;
    var first = inputs[0];
    if (first.type === "checkbox" && inputs.length === 1 && first.value === "true") return first.checked;
    if (first.type === "checkbox") return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (first.value === "") return undefined;
    if (first.type === "number") return parseFloat(first.value);
    return first.value;
  }
  function matches(a, expected) {
    if (Array.isArray(a)) return a.indexOf(expected) >= 0;
    return a === expected;
  }
  function sync() {
    boxes.forEach(function (b) {
      var field = b.getAttribute("data-show-field");
      if (!field) return;
      var expected;
      try { expected = JSON.parse(b.getAttribute("data-show-equals")); } catch (e) { return; }
      var shown = matches(answer(field), expected);
      b.hidden = !shown;
      Array.prototype.slice.call(b.querySelectorAll("input, select, textarea")).forEach(function (i) {
        i.disabled = !shown;
      });
    });
  }
  form.addEventListener("change", sync);
  form.addEventListener("input", sync);
  sync();
})();
