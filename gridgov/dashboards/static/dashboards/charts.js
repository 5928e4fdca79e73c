/* The command centre's charts (ECharts, canvas renderer): the 30-day trend and the categories. The figures
 * come from a json_script block named by data-source; the series names from data-label-* attributes.
 * Tooltips are drawn on the canvas (renderMode "richText"), so ECharts writes no HTML into the page.
 * Charts inside content htmx swaps in (the big screen's live part) are drawn when it arrives. */
(function () {
  "use strict";

  var charts = [];

  function palette(dark) {
    return dark
      ? { text: "#e2e8f0", axis: "#64748b", split: "#1e293b", series: ["#38bdf8", "#4ade80", "#f87171"] }
      : { text: "#1f2933", axis: "#94a3b8", split: "#e5e7eb", series: ["#1d5fa8", "#15803d", "#b4231b"] };
  }

  function readSource(el) {
    var source = document.getElementById(el.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }

  function trendOption(el, data, colours, dark) {
    var rows = data.trend || [];
    var size = dark ? 22 : 12;
    function series(key, index) {
      return {
        name: el.dataset["label" + key.charAt(0).toUpperCase() + key.slice(1)] || key,
        type: "line",
        smooth: true,
        showSymbol: false,
        lineStyle: { width: dark ? 4 : 2 },
        itemStyle: { color: colours.series[index] },
        data: rows.map(function (row) {
          return row[key];
        }),
      };
    }
    return {
      animation: false,
      textStyle: { color: colours.text, fontSize: size },
      grid: { left: dark ? 70 : 40, right: 20, top: dark ? 60 : 36, bottom: dark ? 50 : 30 },
      tooltip: { trigger: "axis", renderMode: "richText", textStyle: { fontSize: size } },
      legend: { top: 0, textStyle: { color: colours.text, fontSize: size } },
      xAxis: {
        type: "category",
        data: rows.map(function (row) {
          return String(row.day).slice(5);
        }),
        axisLabel: { color: colours.text, fontSize: size },
        axisLine: { lineStyle: { color: colours.axis } },
      },
      yAxis: {
        type: "value",
        minInterval: 1,
        axisLabel: { color: colours.text, fontSize: size },
        splitLine: { lineStyle: { color: colours.split } },
      },
      series: [series("reported", 0), series("closed", 1), series("overdue", 2)],
    };
  }

  function categoriesOption(el, data, colours, dark) {
    var rows = (data.categories || []).slice().reverse();
    var size = dark ? 22 : 12;
    return {
      animation: false,
      textStyle: { color: colours.text, fontSize: size },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", renderMode: "richText", textStyle: { fontSize: size } },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: colours.text, fontSize: size }, splitLine: { lineStyle: { color: colours.split } } },
      yAxis: {
        type: "category",
        data: rows.map(function (row) {
          return row.name;
        }),
        axisLabel: { color: colours.text, fontSize: size },
      },
      series: [
        {
          name: el.dataset.labelReported || "",
          type: "bar",
          itemStyle: { color: colours.series[0] },
          label: { show: true, position: "right", color: colours.text, fontSize: size },
          data: rows.map(function (row) {
            return row.reported;
          }),
        },
      ],
    };
  }

  function draw(el) {
    if (el.dataset.drawn) {
      return;
    }
    var data = readSource(el);
    if (!data || !window.echarts) {
      return;
    }
    var dark = el.dataset.theme === "dark";
    var colours = palette(dark);
    var option = el.dataset.chart === "categories" ? categoriesOption(el, data, colours, dark) : trendOption(el, data, colours, dark);
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    el.dataset.drawn = "true";
    charts.push(chart);
  }

  function drawAll(root) {
    // Charts whose element left the page (swapped out by htmx) are let go.
    charts = charts.filter(function (chart) {
      var dom = chart.getDom();
      if (dom && dom.isConnected) {
        return true;
      }
      chart.dispose();
      return false;
    });
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
  });
  document.addEventListener("htmx:load", function (event) {
    drawAll(event.detail && event.detail.elt ? event.detail.elt.parentNode || document : document);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();
