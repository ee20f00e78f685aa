/* OneTrip statistics dashboard: draws the ECharts charts from the JSON embedded in the page (#stats-charts).
   ECharts is served locally (vendor/echarts); nothing is fetched from elsewhere. */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("stats-charts");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    var colours = ["#1e40af", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2"];

    function chart(id, option) {
      var el = document.getElementById(id);
      if (!el) { return; }
      var c = window.echarts.init(el, null, { renderer: "svg" });
      option.color = option.color || colours;
      option.textStyle = { fontFamily: "inherit" };
      c.setOption(option);
      charts.push(c);
    }

    function percent(v) { return v === null || v === undefined ? "—" : v + "%"; }

    var t = data.trend;
    chart("chart-trend", {
      title: { text: t.unit === "day" ? "每日受理与办结" : "每月受理与办结", left: 8, top: 4, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { top: 4, right: 8, data: ["受理", "办结", "按时办结率"] },
      grid: { left: 48, right: 48, top: 44, bottom: 32 },
      xAxis: { type: "category", data: t.labels },
      yAxis: [
        { type: "value", name: "件", minInterval: 1 },
        { type: "value", name: "%", min: 0, max: 100 }
      ],
      series: [
        { name: "受理", type: "bar", data: t.accepted },
        { name: "办结", type: "bar", data: t.completed },
        { name: "按时办结率", type: "line", yAxisIndex: 1, data: t.on_time_rate, connectNulls: true,
          tooltip: { valueFormatter: percent } }
      ]
    });

    var d = data.departments;
    chart("chart-departments", {
      title: { text: "部门按时办结率（前15）", left: 8, top: 4, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 40, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, name: "%" },
      yAxis: { type: "category", inverse: true, data: d.names, axisLabel: { width: 120, overflow: "truncate" } },
      series: [{ name: "按时办结率", type: "bar", data: d.on_time_rate, label: { show: true, position: "right", formatter: function (p) { return percent(p.value); } },
        tooltip: { valueFormatter: percent } }]
    });

    function pie(id, title, rows, colours) {
      chart(id, {
        title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14 } },
        tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
        legend: { bottom: 0, type: "scroll" },
        color: colours,
        series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "50%"], data: rows,
          label: { formatter: "{b}\n{c}" } }]
      });
    }
    pie("chart-ratings", "好差评", data.ratings, ["#16a34a", "#65a30d", "#ca8a04", "#ea580c", "#dc2626"]);
    pie("chart-trips", "跑动次数（办结件）", data.trips, ["#16a34a", "#1e40af", "#dc2626"]);
    pie("chart-channels", "申请渠道（受理件）", data.channels);

    var h = data.histogram;
    chart("chart-histogram", {
      title: { text: "办理用时分布（工作日）", left: 8, top: 4, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: h.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "办结件数", type: "bar", data: h.values }]
    });

    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
