// plansearch web app: keyboard shortcuts, document autocomplete, back links. Written here, no
// library, no network beyond this server. Pages work without it (forms, links, <datalist>).
(function () {
  "use strict";

  // On a narrow screen the navigation folds behind its menu button (the CSS does the rest).
  document.documentElement.classList.add("js");
  var toggle = document.querySelector(".nav-toggle");
  var pages = document.getElementById("nav-pages");
  if (toggle && pages) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = pages.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // j / k move between results (hits, clusters, compare rows, outline items, trend examples, check
  // passages' sources), / focuses the query.
  var ENTRIES = ".hit-link, .cluster > details > summary, tr[data-status] a.where, li.item .similar, " +
                ".trend-table td.example > a, .trend-table td.matches a, tr.passage td.side:last-child a.where";
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(document.activeElement)) return;
    if (ev.key === "/") {
      var q = document.getElementById("q");
      ev.preventDefault();
      if (q) { q.focus(); q.select(); } else { window.location.href = "/search"; }
      return;
    }
    if (ev.key !== "j" && ev.key !== "k") return;
    var entries = Array.prototype.slice.call(document.querySelectorAll(ENTRIES));
    if (!entries.length) return;
    var at = entries.indexOf(document.activeElement);
    var next = ev.key === "j" ? Math.min(at + 1, entries.length - 1) : Math.max(at - 1, 0);
    if (at < 0) next = 0;
    ev.preventDefault();
    entries[next].focus();
    entries[next].scrollIntoView({block: "nearest"});
  });

  // "Back" links on error pages go back when there is somewhere to go.
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("[data-back]") : null;
    if (a && window.history.length > 1) { ev.preventDefault(); window.history.back(); }
  });

  // Autocomplete over the index's documents: the page ships the first few hundred in
  // <datalist id="doc-list">; typing asks the server for matches by id or title.
  var list = document.getElementById("doc-list");
  var timer = null;
  function refill(value) {
    fetch("/api/docs?q=" + encodeURIComponent(value), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (docs) {
        if (!docs.length) return;
        list.textContent = "";
        docs.forEach(function (d) {
          var o = document.createElement("option");
          o.value = d.doc_id;
          o.label = (d.title || d.doc_id) + " · " + d.year;
          o.textContent = o.label;
          list.appendChild(o);
        });
      })
      .catch(function () {});
  }
  if (list) {
    document.querySelectorAll("input[data-autocomplete]").forEach(function (input) {
      input.addEventListener("input", function () {
        clearTimeout(timer);
        var v = input.value.trim();
        if (v) timer = setTimeout(function () { refill(v); }, 150);
      });
    });
  }

  // On a document page opened at #item-N, put the keyboard focus on that item.
  if (location.hash && /^#item-\d+$/.test(location.hash)) {
    var item = document.getElementById(location.hash.slice(1));
    if (item) item.focus({preventScroll: false});
  }
})();
