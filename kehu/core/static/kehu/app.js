/* Kehu front-end glue: no inline scripts (CSP), behaviour hangs off data- attributes. */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function defaultOption(data) {
    var text = cssVar("--bs-secondary-color", "#6c757d");
    return {
      color: [cssVar("--bs-primary", "#0d6efd")],
      textStyle: { fontFamily: cssVar("--bs-body-font-family", "sans-serif") },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 16, bottom: 8, top: 24, containLabel: true },
      xAxis: {
        type: "category",
        data: data.map(function (d) { return d.label; }),
        axisTick: { show: false },
        axisLabel: { color: text }
      },
      yAxis: {
        type: "value",
        minInterval: 1,
        axisLabel: { color: text },
        splitLine: { lineStyle: { color: cssVar("--bs-border-color", "#dee2e6"), type: "dashed" } }
      },
      series: [{
        type: "bar",
        barMaxWidth: 56,
        itemStyle: { borderRadius: [4, 4, 0, 0] },
        label: { show: true, position: "top", color: text },
        data: data.map(function (d) { return d.count; })
      }],
      animationDuration: 400
    };
  }

  function renderCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.rendered || el.dataset.rendering) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      el.dataset.rendering = "1";
      // data-rendered marks a finished drawing (animation included): tests and screenshots wait on it.
      chart.on("finished", function () { el.dataset.rendered = "1"; });
      chart.setOption(data.option || defaultOption(data));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("click", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var form = all.closest("form");
      form.querySelectorAll("input[name=pk]").forEach(function (box) { box.checked = all.checked; });
    }
    if (event.target.closest("[data-history-back]")) {
      if (window.history.length > 1) { window.history.back(); } else { window.location.href = "/"; }
    }
    var confirmer = event.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Saved views: the list's filters live in the URL (HTMX pushes it), so save what it says now.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-saved-view-form]");
    if (form && form.elements.query) {
      form.elements.query.value = window.location.search.replace(/^\?/, "");
    }
  });

  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { renderCharts(event.target); });
})();
