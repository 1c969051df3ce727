// Maestro console behaviour: metric charts (uPlot); tables are sorted by the server. No inline script
// anywhere: pages carry their data in <script type="application/json"> blocks read from here.
(function () {
  "use strict";

  var PALETTE = ["#0550ae", "#bc4c00", "#1a7f37", "#8250df", "#cf222e",
                 "#116329", "#953800", "#0a3069", "#6e7781", "#bf3989"];

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // One chart: {title, series: [{label, x: [...], y: [...]}]}; series may have different steps.
  function drawChart(container, spec) {
    var tables = spec.series.map(function (s) { return [s.x, s.y]; });
    var data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    var series = [{ label: "step" }].concat(spec.series.map(function (s, i) {
      return { label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true,
               points: { show: s.x.length < 50 } };
    }));
    var width = Math.max(280, Math.min(container.clientWidth || 600, 900));
    var plot = new uPlot({ title: spec.title, width: width, height: 260, series: series,
                           scales: { x: { time: false } }, axes: [{ label: "step" }, {}] },
                         data, container);
    container.setAttribute("data-series-count", String(spec.series.length));
    container.setAttribute("data-drawn", "true");
    return plot;
  }

  function drawCharts(root) {
    root.querySelectorAll("[data-chart]").forEach(function (container) {
      if (container.getAttribute("data-drawn")) { return; }
      var spec = readJson(container.getAttribute("data-chart"));
      if (spec && window.uPlot) { drawChart(container, spec); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
})();
