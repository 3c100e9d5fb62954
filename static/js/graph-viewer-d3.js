// d3-jetpack 2.1.0 (the last build that extends a global d3) predates d3 v6: its nestBy needs
// d3.nest and its tooltips read d3.event, both gone from d3 v7, which circuit-tracer's viewer
// is written for. The helpers the viewer calls, rewritten for d3 v7.
"use strict";

d3.nestBy = function (array, key) {
  return d3.groups(array, key).map(function (group) {
    var items = group[1];
    items.key = String(group[0]);
    return items;
  });
};

d3.attachTooltip = function (sel, tooltipSel, fieldFns) {
  if (!sel.size()) return;
  tooltipSel = tooltipSel || d3.select(".tooltip");
  var datum = sel.datum();
  fieldFns = fieldFns || Object.keys(datum)
    .filter(function (name) { return typeof datum[name] !== "object"; })
    .map(function (name) { return function (d) { return name + ": <b>" + d[name] + "</b>"; }; });

  sel
    .on("mouseover.attachTooltip", function (event, d) {
      tooltipSel.classed("tooltip-hidden", false).html("")
        .appendMany("div", fieldFns).html(function (fn) { return fn(d); });
      d3.select(this).classed("tooltipped", true);
    })
    .on("mousemove.attachTooltip", function (event) {
      if (!tooltipSel.size()) return;
      var box = tooltipSel.node().getBoundingClientRect();
      var left = Math.max(20, Math.min(event.clientX - box.width / 2, window.innerWidth - box.width - 20));
      var top = innerHeight > event.clientY + 20 + box.height ? event.clientY + 20 : event.clientY - box.height - 20;
      tooltipSel.style("left", left + "px").style("top", top + "px");
    })
    .on("mouseout.attachTooltip", function () {
      tooltipSel.classed("tooltip-hidden", true);
      d3.selectAll(".tooltipped").classed("tooltipped", false);
    });
};

// The viewer calls `c.drawAxis(svg)` on what d3.conventions returns; 2.1.0 has d3.drawAxis(c).
var jetpackConventions = d3.conventions;
d3.conventions = function (c) {
  c = jetpackConventions(c);
  c.drawAxis = function (svg) {
    var target = svg || c.svg;
    var xAxisSel = target.append("g").attr("class", "x axis")
      .attr("transform", "translate(0," + c.height + ")").call(c.xAxis);
    var yAxisSel = target.append("g").attr("class", "y axis").call(c.yAxis);
    return { xAxisSel: xAxisSel, yAxisSel: yAxisSel };
  };
  return c;
};
