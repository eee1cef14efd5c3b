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

  // ECharts (1 MB) is loaded only by pages that draw a chart: base.html names its (hashed) URL.
  var echartsLoading = null;
  function loadECharts(done) {
    if (window.echarts) { done(); return; }
    var src = document.documentElement.dataset.echarts;
    if (!src) return;
    if (!echartsLoading) {
      echartsLoading = [];
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () { echartsLoading.forEach(function (fn) { fn(); }); };
      document.head.appendChild(script);
    }
    echartsLoading.push(done);
  }

  function renderCharts(root) {
    if (!root.querySelector || !root.querySelector("[data-chart]")) return;
    if (!window.echarts) { loadECharts(function () { renderCharts(root); }); return; }
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

  // --- Lists ---------------------------------------------------------------------------------

  // The search box filters as one types, pastes or ends an IME composition (拼音输入), debounced
  // by the form's hx-trigger ("kehu:search delay:350ms"); not during a composition.
  var lastSearch = {};
  function searchChanged(input) {
    var form = input.form;
    if (!form || !form.hasAttribute("data-list-filter") || !window.htmx) return;
    if (lastSearch[form.id] === input.value) return;
    lastSearch[form.id] = input.value;
    htmx.trigger(form, "kehu:search");
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.name === "q" && !event.isComposing) searchChanged(input);
  });
  document.addEventListener("compositionend", function (event) {
    if (event.target.name === "q") searchChanged(event.target);
  });

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  // Keyboard: "/" focuses the list's search, "n" opens a new record (not while typing).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target) || document.querySelector(".modal.show")) return;
    if (event.key === "/") {
      var search = document.querySelector("[data-list-filter] input[name=q]") ||
        document.querySelector("input[type=search]");
      if (search) {
        event.preventDefault();
        var collapse = search.closest(".collapse");
        if (collapse && !collapse.classList.contains("show") && window.bootstrap) {
          bootstrap.Collapse.getOrCreateInstance(collapse).show();
        }
        search.focus();
        search.select();
      }
    } else if (event.key === "n" || event.key === "N") {
      var add = document.querySelector("[data-shortcut-new]");
      if (add) { event.preventDefault(); window.location.href = add.href; }
    }
  });

  // Inline editing: the pencil of a cell fetches its editor into the cell.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-cell-edit]");
    if (!button || !window.htmx) return;
    var td = button.closest("td[data-cell]");
    var table = button.closest("table[data-cell-url]");
    if (!td || !table) return;
    event.preventDefault();
    var url = table.dataset.cellUrl.replace("{pk}", td.dataset.pk) + "?field=" +
      encodeURIComponent(td.dataset.cell) + (td.classList.contains("cell-title") ? "&first=1" : "");
    htmx.ajax("GET", url, { target: td, swap: "innerHTML" }).then(function () {
      var input = td.querySelector("input:not([type=hidden]), select");
      if (input) input.focus();
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("[data-cell-form]");
    var cancel = form && form.querySelector("[hx-get]");
    if (cancel) cancel.click();
  });
  // An edit refused (422) or based on a stale version (409) shows its message in the cell.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 409 || status === 422) && event.detail.elt.closest("[data-cell-form], td[data-cell]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Mass update: the value control of the chosen field only (the others are disabled).
  function showMassValue(root) {
    root.querySelectorAll("[data-mass-update]").forEach(function (box) {
      var chosen = box.querySelector("[data-mass-field]").value;
      box.querySelectorAll("[data-mass-value]").forEach(function (span) {
        var on = span.dataset.massValue === chosen;
        span.classList.toggle("d-none", !on);
        span.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !on; });
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-mass-field]")) showMassValue(document);
    // A select that applies itself (a page's period): submit its form, no button needed.
    if (event.target.matches("select[data-autosubmit]") && event.target.form) {
      event.target.form.requestSubmit();
    }
  });
  document.addEventListener("click", function (event) {
    var apply = event.target.closest("[data-mass-apply]");
    if (!apply) return;
    var form = document.getElementById("bulk-form");
    if (form && !form.querySelector("input[name=pk]:checked")) {
      event.preventDefault();
      window.alert(apply.dataset.none || apply.textContent.trim());
    }
  });

  // The column chooser keeps the list's other parameters (filters, sort, page size).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-columns-form]");
    if (!form) return;
    if (event.submitter && event.submitter.hasAttribute("data-columns-reset")) {
      form.querySelectorAll("input[name=cols]").forEach(function (box) { box.checked = false; });
    }
    form.querySelectorAll("input[data-carried]").forEach(function (el) { el.remove(); });
    new URLSearchParams(window.location.search).forEach(function (value, key) {
      if (["cols", "after", "before", "last", "view"].indexOf(key) !== -1) return;
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = key; hidden.value = value;
      hidden.setAttribute("data-carried", "");
      form.appendChild(hidden);
    });
  });

  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); showMassValue(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showMassValue(document); });
  document.addEventListener("htmx:afterSwap", function (event) { renderCharts(event.target); });
})();
