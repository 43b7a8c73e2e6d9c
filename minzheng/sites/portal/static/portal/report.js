/* 一键报贫: fill the next level of the place picker in place (the page works without this: the
   "列出下一级" button reloads the form with the next level). No inline script; CSP 'self'. */
(function () {
  "use strict";
  var place = document.getElementById("place");
  if (!place || !window.fetch) { return; }
  var url = place.getAttribute("data-regions-url");
  var pick = document.getElementById("pick");
  var hint = document.getElementById("pick-hint");
  if (pick) { pick.remove(); }
  if (hint) { hint.textContent = "请逐级选择，选到村（社区）；找不到村时选到乡镇（街道）即可。"; }

  function rowOf(select) { return select.closest(".pick-row"); }

  function dropAfter(row) {
    while (row.nextElementSibling && row.nextElementSibling.classList.contains("pick-row")) {
      row.nextElementSibling.remove();
    }
  }

  function addRow(after, data) {
    var row = document.createElement("div");
    row.className = "pick-row";
    row.setAttribute("data-level", data.level);
    var label = document.createElement("label");
    label.htmlFor = "id_" + data.level;
    label.textContent = data.label;
    var select = document.createElement("select");
    select.id = "id_" + data.level;
    select.name = data.level;
    var first = document.createElement("option");
    first.value = "";
    first.textContent = "请选择" + data.label;
    select.appendChild(first);
    data.options.forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = o.code;
      opt.textContent = o.name;
      select.appendChild(opt);
    });
    row.appendChild(label);
    row.appendChild(select);
    after.after(row);
    if (data.options.length === 1) { select.value = data.options[0].code; changed(select); }
  }

  function changed(select) {
    var row = rowOf(select);
    dropAfter(row);
    if (!select.value || row.getAttribute("data-level") === "village") { return; }
    fetch(url + "?parent=" + encodeURIComponent(select.value), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { if (data.options && data.options.length) { addRow(row, data); } })
      .catch(function () { if (pick) { place.appendChild(pick); pick.click(); } });
  }

  place.addEventListener("change", function (e) {
    if (e.target && e.target.tagName === "SELECT") { changed(e.target); }
  });
})();
