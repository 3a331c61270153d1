// CNA Directory web page: type-ahead search on /v1/search (as the person signed in, by
// the session cookie, or anonymously), and keyboard navigation of the results.
(function () {
  "use strict";
  var ui = JSON.parse(document.getElementById("ui").textContent);
  var t = ui.t;
  var lang = ui.lang;

  function headers() {
    return { "Accept-Language": lang };
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function pickName(names) {
    if (!names) { return ["", ""]; }
    var order = [lang, "en"];
    for (var i = 0; i < order.length; i++) {
      if (names[order[i]]) { return [order[i], names[order[i]]]; }
    }
    var first = Object.keys(names)[0];
    return [first, names[first]];
  }

  // As the server says it (Babel's format_timedelta): the largest of year (365 days),
  // month (30), week (7) and day reaching 0.85 of one, rounded; CLDR words via Intl.
  function verifiedAgo(iso) {
    var then = Date.parse(iso + "T00:00:00Z");
    var now = new Date();
    var today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    var days = Math.round((today - then) / 86400000);
    if (days <= 0) { return t.verified_today; }
    var units = [["year", 365], ["month", 30], ["week", 7], ["day", 1]];
    var words = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
    for (var i = 0; i < units.length; i++) {
      var value = days / units[i][1];
      if (value >= 0.85 || i === units.length - 1) {
        return words.format(-Math.max(1, Math.round(value)), units[i][0]);
      }
    }
    return "";
  }

  // ------------------------------------------------------------------ search
  var labels = {};
  var labelNode = document.getElementById("labels");
  if (labelNode) { labels = JSON.parse(labelNode.textContent); }
  var form = document.getElementById("search-form");
  var results = document.getElementById("results");
  var statusNode = document.getElementById("results-status");
  var q = document.getElementById("q");
  var sequence = 0;
  var timer = null;

  function params() {
    var p = new URLSearchParams();
    p.set("q", q.value.trim());
    ["country", "type", "language"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) { p.set(name, value); }
    });
    return p;
  }

  function fallbackSearch(p) {
    // Used only where /v1/search does not exist: the list route, filtered here by text.
    var list = new URLSearchParams(p);
    var text = (list.get("q") || "").toLowerCase();
    list.delete("q");
    list.set("limit", "200");
    return fetch("/v1/authorities?" + list.toString(), { headers: headers() })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
      .then(function (page) {
        var hits = page.items.filter(function (rec) {
          var hay = [rec.acronym || ""].concat(Object.values(rec.name)).join(" ").toLowerCase();
          return !text || hay.indexOf(text) !== -1;
        }).map(function (rec) { return { record: rec, matches: [] }; });
        return { hits: hits.slice(0, 20), total: hits.length };
      });
  }

  function render(page) {
    results.textContent = "";
    page.hits.forEach(function (hit) {
      var rec = hit.record;
      var name = pickName(rec.name);
      var li = el("li", { "class": "hit" });
      var a = el("a", { href: "/authorities/" + rec.id + "?lang=" + lang, lang: name[0] },
                 name[1] + (rec.acronym ? " (" + rec.acronym + ")" : ""));
      li.appendChild(a);
      var types = [];
      (rec.designations || []).forEach(function (d) {
        var label = (labels.type || {})[d.type] || d.type;
        if (types.indexOf(label) === -1) { types.push(label); }
      });
      li.appendChild(el("span", { "class": "hit-meta" },
                        ((labels.country || {})[rec.country] || rec.country) + " · " +
                        types.join(", ")));
      if (rec.verified_on) {
        var verified = el("span", { "class": "hit-verified" }, t.verified_on + " ");
        verified.appendChild(el("time", { datetime: rec.verified_on }, rec.verified_on));
        verified.appendChild(document.createTextNode(" (" + verifiedAgo(rec.verified_on) + ")"));
        li.appendChild(verified);
      }
      results.appendChild(li);
    });
    statusNode.textContent = page.total ? t.results_count.replace("{n}", page.total)
                                        : t.no_results;
  }

  var lastQuery = null;

  function runSearch(force) {
    var p = params();
    if (force !== true && p.toString() === lastQuery) { return; }  // nothing changed
    lastQuery = p.toString();
    var mine = ++sequence;
    statusNode.textContent = t.searching;
    var shown = new URLSearchParams(p);
    shown.set("lang", lang);
    history.replaceState(null, "", "/?" + shown.toString());
    var query = new URLSearchParams(p);
    query.set("limit", "20");
    fetch("/v1/search?" + query.toString(), { headers: headers() })
      .then(function (r) {
        if (r.status === 404) { return fallbackSearch(p); }
        if (r.status === 401) { lastQuery = null; return Promise.reject(r); }
        return r.ok ? r.json() : Promise.reject(r);
      })
      .then(function (page) { if (mine === sequence) { render(page); } })
      .catch(function () {
        if (mine === sequence) { lastQuery = null; statusNode.textContent = t.search_failed; }
      });
  }

  function links() { return Array.prototype.slice.call(results.querySelectorAll("a")); }

  if (form && results && q) {
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { runSearch(false); }, 150);
    });
    form.addEventListener("change", function (event) {
      if (event.target !== q) { runSearch(false); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault(); runSearch(true);
    });
    q.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = links()[0];
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
    results.addEventListener("keydown", function (event) {
      var all = links();
      var at = all.indexOf(document.activeElement);
      if (at === -1) { return; }
      if (event.key === "ArrowDown" && at < all.length - 1) {
        event.preventDefault(); all[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (at === 0) { q.focus(); } else { all[at - 1].focus(); }
      } else if (event.key === "Escape") {
        event.preventDefault(); q.focus();
      }
    });
    runSearch(true);
  }

  // ------------------------------------------------ the authority on /request-access
  // Without JavaScript the search box is a GET form listing the matches as choices; with
  // it, the choices follow the box as the visitor types (the same /v1/search).
  var picker = document.getElementById("authority-q");
  var choices = document.getElementById("authority-choices");
  var pickerStatus = document.getElementById("authority-status");
  var pickerQuery = document.getElementById("authority-q-posted");
  var pickerTimer = null;
  var pickerSequence = 0;

  function choiceItem(record) {
    var name = pickName(record.name);
    var li = el("li");
    var id = "authority-" + record.id;
    li.appendChild(el("input", { type: "radio", id: id, name: "authority_id",
                                 value: record.id }));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("label", { "for": id, lang: name[0] },
                      name[1] + (record.acronym ? " (" + record.acronym + ")" : "")));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", { "class": "country" }, record.country));
    return li;
  }

  function showChoices(page, text) {
    var list = choices.querySelector("ul.choices");
    var checked = choices.querySelector("input[name=authority_id]:checked");
    var kept = checked ? checked.closest("li") : null;
    if (!list) {
      list = el("ul", { "class": "choices" });
      choices.insertBefore(list, pickerStatus);
    }
    Array.prototype.slice.call(choices.querySelectorAll(".choices-hint")).forEach(
      function (node) { node.remove(); });
    list.textContent = "";
    if (kept) { list.appendChild(kept); }
    page.hits.forEach(function (hit) {
      if (!kept || hit.record.id !== kept.querySelector("input").value) {
        list.appendChild(choiceItem(hit.record));
      }
    });
    pickerQuery.value = text;
    pickerStatus.textContent = page.hits.length
      ? t.request_authorities_found.replace("{n}", page.hits.length)
      : t.request_no_authority;
  }

  function pickerSearch() {
    var text = picker.value.trim();
    if (!text) { return; }
    var mine = ++pickerSequence;
    var query = new URLSearchParams({ q: text, limit: "10" });
    fetch("/v1/search?" + query.toString(), { headers: headers() })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
      .then(function (page) { if (mine === pickerSequence) { showChoices(page, text); } })
      .catch(function () { /* the Search button still works without this */ });
  }

  if (picker && choices && pickerStatus && pickerQuery) {
    picker.addEventListener("input", function () {
      clearTimeout(pickerTimer);
      pickerTimer = setTimeout(pickerSearch, 200);
    });
  }
})();
