// The report's behaviour: the checks table's filters and sorting, and the
// charts drawn by vega-embed. When every chart is drawn (or failed), the
// body says so for tests and benchmarks: data-ready, data-charts-rendered,
// data-render-ms (from navigation start), data-errors, data-warnings and
// data-resources (requests the page made: none, as everything is inline).
(function () {
  "use strict";

  function setUpChecksTable() {
    var table = document.getElementById("checks-table");
    if (!table) return;
    var text = document.getElementById("check-filter");
    var status = document.getElementById("status-filter");
    var requirement = document.getElementById("requirement-filter");
    var counter = document.getElementById("check-count");
    var bodies = Array.prototype.slice.call(table.querySelectorAll("tbody.check"));
    function filter() {
      var words = text.value.toLowerCase();
      var shown = 0;
      bodies.forEach(function (body) {
        var visible = (!words || body.dataset.text.toLowerCase().indexOf(words) >= 0) &&
          (!status.value || body.dataset.status === status.value) &&
          (!requirement.value || body.dataset.requirement === requirement.value);
        body.hidden = !visible;
        if (visible) shown += 1;
      });
      counter.textContent = shown + " of " + bodies.length + " checks";
    }
    [text, status, requirement].forEach(function (input) {
      input.addEventListener("input", filter);
    });
    table.querySelectorAll("thead th[data-sort]").forEach(function (header) {
      header.addEventListener("click", function () {
        var column = Number(header.dataset.sort);
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        function key(body) {
          var cell = body.rows[0].cells[column];
          return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
        }
        bodies.sort(function (a, b) {
          var x = key(a), y = key(b);
          var nx = parseFloat(x), ny = parseFloat(y);
          var order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
          return ascending ? order : -order;
        });
        bodies.forEach(function (body) { table.appendChild(body); });
      });
    });
    filter();
  }

  // Items of Vega marks of `type` in the view's scenegraph: what was drawn.
  function countItems(view, type) {
    var n = 0;
    (function walk(mark) {
      if (!mark || !mark.items) return;
      if (mark.marktype === type && mark.role === "mark") n += mark.items.length;
      if (mark.marktype === "group") {
        mark.items.forEach(function (group) { (group.items || []).forEach(walk); });
      }
    })(view.scenegraph().root);
    return n;
  }

  function drawCharts() {
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure.chart"));
    var drawn = 0;
    var jobs = figures.map(function (figure) {
      var target = figure.querySelector(".vega");
      var spec;
      try {
        spec = JSON.parse(figure.querySelector("script.spec").textContent);
      } catch (error) {
        window.rwidErrors.push(figure.id + ": " + error);
        return Promise.resolve();
      }
      return vegaEmbed(target, spec, {
        renderer: "svg",
        actions: { export: true, source: false, compiled: false, editor: false },
        downloadFileName: figure.id
      }).then(function (result) {
        figure.dataset.marks = countItems(result.view, figure.dataset.mark);
        var svg = target.querySelector("svg");
        figure.dataset.svgPaths = svg ? svg.querySelectorAll("path").length : 0;
        figure.dataset.rendered = "true";
        drawn += 1;
      }).catch(function (error) {
        figure.dataset.rendered = "false";
        window.rwidErrors.push(figure.id + ": " + error);
      });
    });
    return Promise.all(jobs).then(function () { return [drawn, figures.length]; });
  }

  function finish(counts) {
    var body = document.body;
    body.dataset.chartsRendered = counts[0];
    body.dataset.charts = counts[1];
    body.dataset.renderMs = Math.round(performance.now());
    body.dataset.errors = window.rwidErrors.length;
    body.dataset.warnings = window.rwidWarnings.length;
    body.dataset.resources = performance.getEntriesByType("resource").length;
    var log = document.getElementById("script-errors");
    log.textContent = window.rwidErrors.concat(window.rwidWarnings).join("\n");
    body.dataset.ready = "true";
  }

  try {
    setUpChecksTable();
  } catch (error) {
    window.rwidErrors.push("checks table: " + error);
  }
  drawCharts().then(finish, function (error) {
    window.rwidErrors.push(String(error));
    finish([0, 0]);
  });
})();
