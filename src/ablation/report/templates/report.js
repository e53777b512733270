// Sortable and filterable tables, without libraries and without network access. Their
// texts come in the page's language from ablation.report.script_texts (English without them).
(function () {
  "use strict";
  var texts = document.getElementById("table-texts");
  var T = texts ? JSON.parse(texts.textContent) : {sortBy: "Sort by {column}", shown: "{shown} of {total} shown"};

  // T[key] with its {name} placeholders filled from `values`.
  function t(key, values) {
    return T[key].replace(/\{(\w+)\}/g, function (whole, name) {
      return values[name] !== undefined ? String(values[name]) : whole;
    });
  }

  // The value a cell sorts by: its data-sort attribute, else its text.
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }

  // Numbers compare as numbers, text as text; empty values go last in either direction.
  function compare(a, b, direction) {
    if (a === "" && b === "") return 0;
    if (a === "") return 1;
    if (b === "") return -1;
    var x = Number(a), y = Number(b);
    var result = (!isNaN(x) && !isNaN(y)) ? x - y : a.localeCompare(b, undefined, {numeric: true});
    return direction * result;
  }

  function sortTable(table, index, header) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      return compare(cellValue(r1, index), cellValue(r2, index), ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function makeSortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      button.title = t("sortBy", {column: th.textContent});
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () { sortTable(table, index, th); });
    });
  }

  // Show the rows whose text contains every word typed (case-insensitive).
  function makeFilterable(input) {
    var table = document.getElementById(input.getAttribute("data-filter-for"));
    var count = document.getElementById(input.getAttribute("data-count"));
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0, rows = table.tBodies[0].rows;
      Array.prototype.forEach.call(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var keep = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      if (count) count.textContent = t("shown", {shown: shown, total: rows.length});
    }
    input.addEventListener("input", apply);
    apply();
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("input[data-filter-for]").forEach(makeFilterable);
})();
