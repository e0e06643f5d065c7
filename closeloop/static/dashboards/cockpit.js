/* The cockpit's charts. The data (labels already in the user's language, every figure's list URL)
 * comes from the page as JSON (json_script); nothing here builds markup from strings. */
(function () {
  "use strict";
  const source = document.getElementById("cockpit-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const specs = {};
  [...data.pareto, data.trend, data.ageing].forEach((s) => { specs[s.id] = s; });
  const charts = {};
  window.cockpitCharts = charts; // read by the browser tests and handy in the console
  const FONT = getComputedStyle(document.body).fontFamily || "sans-serif";

  function point(d) {
    if (d === null || typeof d !== "object") return d;
    const out = { value: d.value, url: d.url || "" };
    if (d.color) out.itemStyle = { color: d.color };
    return out;
  }

  function option(spec) {
    const many = spec.categories.length > 6;
    const yAxis = [{ type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f3" } } }];
    if (spec.percentAxis) yAxis.push({ type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } });
    return {
      animation: false,
      // Canvas text does not inherit CSS: name the page's font (the self-hosted Noto Sans SC) outright.
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories, axisTick: { alignWithLabel: true },
               axisLabel: { interval: 0, rotate: many ? 30 : 0, width: 90, overflow: "truncate" } },
      yAxis: yAxis,
      series: spec.series.map((s) => ({
        name: s.name,
        type: s.type,
        stack: spec.stacked ? "total" : undefined,
        yAxisIndex: s.yAxisIndex || 0,
        barMaxWidth: 36,
        color: s.color,
        symbolSize: 6,
        cursor: "pointer",
        data: s.data.map(point),
      })),
    };
  }

  function render(id) {
    const spec = specs[id];
    const el = document.getElementById("chart-" + id);
    if (!spec || !el || charts[id] || !spec.categories.length || el.offsetWidth === 0) return;
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    // Every bar is the list behind it.
    chart.on("click", (p) => { if (p.data && p.data.url) window.location.href = p.data.url; });
    charts[id] = chart;
  }

  // The web font comes in subsets by unicode range: load the ones the charts' labels need before
  // drawing, or the canvas falls back to a font without Chinese glyphs. Draw anyway if loading fails.
  const labels = Object.values(specs)
    .map((s) => [...s.categories, ...s.series.map((x) => x.name)].join(""))
    .join("");
  const ready = document.fonts && document.fonts.load
    ? document.fonts.load("12px " + FONT, labels).catch(() => null)
    : Promise.resolve();
  ready.then(() => {
    Object.keys(specs).forEach(render);
  });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

  document.querySelectorAll("[role=tablist] [data-tab]").forEach((tab) => {
    tab.addEventListener("click", () => {
      tab.parentElement.querySelectorAll("[data-tab]").forEach((other) => {
        const on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        other.classList.toggle("btn-primary", on);
        other.classList.toggle("btn-outline-secondary", !on);
        document.getElementById("panel-" + other.dataset.tab).hidden = !on;
      });
      render(tab.dataset.tab);
      if (charts[tab.dataset.tab]) charts[tab.dataset.tab].resize();
    });
  });

  document.querySelectorAll("[data-table-toggle]").forEach((btn) => {
    btn.addEventListener("click", () => {
      const id = btn.dataset.tableToggle;
      const table = document.getElementById("table-wrap-" + id);
      const chart = document.getElementById("chart-" + id);
      const showTable = table.hidden;
      table.hidden = !showTable;
      chart.hidden = showTable;
      btn.setAttribute("aria-expanded", showTable ? "true" : "false");
      if (!showTable) { render(id); if (charts[id]) charts[id].resize(); }
    });
  });

  document.querySelectorAll("[data-png]").forEach((btn) => {
    btn.addEventListener("click", () => {
      const id = btn.dataset.png;
      render(id);
      if (!charts[id]) return;
      const link = document.createElement("a");
      link.href = charts[id].getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" });
      link.download = "cockpit-" + id + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });

  // The definition of a KPI as a tooltip, where Tabler's Bootstrap is loaded; the title attribute
  // and the visually hidden text carry it otherwise.
  if (window.bootstrap && window.bootstrap.Tooltip) {
    document.querySelectorAll(".cl-help").forEach((el) => new window.bootstrap.Tooltip(el));
  }
})();
