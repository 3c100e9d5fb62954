// The UMAP pane of a source page: POST /api/umap, draw the source's features as points on a
// canvas; wheel or the +/− buttons zoom, dragging pans, hovering shows a feature's explanation
// and clicking a point opens its feature page.
"use strict";

(function () {
  var pane = document.getElementById("umap");
  var canvas = document.getElementById("umap-canvas");
  if (!pane || !canvas) return;
  var frame = pane.querySelector(".umap-frame");
  var status = document.getElementById("umap-status");
  var tip = document.getElementById("umap-tip");
  var ctx = canvas.getContext("2d");
  var HEIGHT = 380;
  var PAD = 16;
  var HIT = 12; // px: how close the pointer must be to a point
  var points = [];
  var bounds = null;
  var view = { scale: 1, x: 0, y: 0 }; // screen = fit(data) * scale + (x, y)
  var hover = -1;
  var drag = null;

  function featureUrl(p) {
    return "/" + encodeURIComponent(pane.dataset.model) + "/" + encodeURIComponent(p.layer) + "/" + encodeURIComponent(p.index);
  }

  function width() { return canvas.clientWidth || frame.clientWidth; }

  // Data coordinates -> canvas pixels at zoom 1 (the whole map fits, aspect kept).
  function fit(p) {
    var w = width() - 2 * PAD, h = HEIGHT - 2 * PAD;
    var spanX = bounds.maxX - bounds.minX || 1, spanY = bounds.maxY - bounds.minY || 1;
    var k = Math.min(w / spanX, h / spanY);
    var offX = PAD + (w - spanX * k) / 2, offY = PAD + (h - spanY * k) / 2;
    return [offX + (p.umap_x - bounds.minX) * k, offY + (bounds.maxY - p.umap_y) * k];
  }

  function screen(p) {
    var f = fit(p);
    return [f[0] * view.scale + view.x, f[1] * view.scale + view.y];
  }

  function colour(p) {
    // Denser features are warmer; no density: slate.
    var s = p.umap_log_feature_sparsity;
    if (s === null || s === undefined) return "rgba(71, 85, 105, 0.75)";
    var t = Math.min(Math.max((s + 6) / 6, 0), 1);
    return "hsla(" + Math.round(220 - 200 * t) + ", 70%, 45%, 0.8)";
  }

  function draw() {
    var ratio = window.devicePixelRatio || 1;
    var w = width();
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(HEIGHT * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, HEIGHT);
    var r = Math.min(3.5 + Math.log2(view.scale), 8);
    points.forEach(function (p, i) {
      if (i === hover) return;
      var s = screen(p);
      if (s[0] < -r || s[1] < -r || s[0] > w + r || s[1] > HEIGHT + r) return;
      ctx.fillStyle = colour(p);
      ctx.beginPath();
      ctx.arc(s[0], s[1], r, 0, 2 * Math.PI);
      ctx.fill();
    });
    if (hover >= 0) {
      var s = screen(points[hover]);
      ctx.fillStyle = "#f59e0b";
      ctx.strokeStyle = "#111827";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(s[0], s[1], r + 3, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }

  function pointer(event) {
    var rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  function nearest(at) {
    var best = -1, bestD = HIT * HIT;
    points.forEach(function (p, i) {
      var s = screen(p);
      var d = (s[0] - at[0]) * (s[0] - at[0]) + (s[1] - at[1]) * (s[1] - at[1]);
      if (d <= bestD) { best = i; bestD = d; }
    });
    return best;
  }

  function showTip(i, at) {
    if (i < 0) { tip.hidden = true; return; }
    var p = points[i];
    tip.textContent = "";
    var head = document.createElement("strong");
    head.textContent = p.layer + " · " + p.index;
    tip.appendChild(head);
    tip.appendChild(document.createTextNode(" " + (p.description || "no explanation")));
    tip.dataset.index = p.index;
    tip.hidden = false;
    // CSSOM positions (allowed by the Content-Security-Policy, unlike style attributes).
    var left = Math.min(at[0] + 12, Math.max(width() - tip.offsetWidth - 4, 0));
    tip.style.left = left + "px";
    tip.style.top = Math.max(at[1] - tip.offsetHeight - 10, 0) + "px";
  }

  function zoomAt(at, factor) {
    var scale = Math.min(Math.max(view.scale * factor, 1), 64);
    factor = scale / view.scale;
    view.x = at[0] - (at[0] - view.x) * factor;
    view.y = at[1] - (at[1] - view.y) * factor;
    view.scale = scale;
    draw();
  }

  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    zoomAt(pointer(event), event.deltaY < 0 ? 1.25 : 0.8);
  }, { passive: false });

  canvas.addEventListener("pointerdown", function (event) {
    drag = { at: pointer(event), x: view.x, y: view.y, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });

  canvas.addEventListener("pointermove", function (event) {
    var at = pointer(event);
    if (drag) {
      var dx = at[0] - drag.at[0], dy = at[1] - drag.at[1];
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        view.x = drag.x + dx;
        view.y = drag.y + dy;
        tip.hidden = true;
        draw();
        return;
      }
    }
    var found = nearest(at);
    canvas.classList.toggle("over-point", found >= 0);
    if (found !== hover) { hover = found; draw(); }
    showTip(found, at);
  });

  canvas.addEventListener("pointerup", function (event) {
    var wasDrag = drag && drag.moved;
    drag = null;
    if (wasDrag) return;
    var found = nearest(pointer(event));
    if (found >= 0) window.location.href = featureUrl(points[found]);
  });

  canvas.addEventListener("pointerleave", function () {
    if (drag) return;
    hover = -1;
    tip.hidden = true;
    draw();
  });

  function centre() { return [width() / 2, HEIGHT / 2]; }
  document.getElementById("umap-reset").addEventListener("click", function () {
    view = { scale: 1, x: 0, y: 0 };
    draw();
  });
  document.getElementById("umap-zoom-in").addEventListener("click", function () { zoomAt(centre(), 1.5); });
  document.getElementById("umap-zoom-out").addEventListener("click", function () { zoomAt(centre(), 1 / 1.5); });
  window.addEventListener("resize", function () { if (points.length) draw(); });

  NP.postJson("/api/umap", { modelId: pane.dataset.model, layers: [pane.dataset.source] }).then(function (answer) {
    if (!answer.ok || !answer.data) {
      NP.setStatus(status, NP.errorMessage(answer, "load the map"), true);
      return;
    }
    points = answer.data[pane.dataset.source] || [];
    if (!points.length) {
      NP.setStatus(status, "The map has no points yet.", false);
      return;
    }
    bounds = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
    points.forEach(function (p) {
      bounds.minX = Math.min(bounds.minX, p.umap_x); bounds.maxX = Math.max(bounds.maxX, p.umap_x);
      bounds.minY = Math.min(bounds.minY, p.umap_y); bounds.maxY = Math.max(bounds.maxY, p.umap_y);
    });
    canvas.dataset.points = String(points.length);
    frame.hidden = false;
    NP.setStatus(status, points.length + " features. Scroll or use +/− to zoom, drag to pan, hover for an explanation, click to open a feature.", false);
    draw();
  }).catch(function () {
    NP.setStatus(status, "Could not reach the server. Check your connection and try again.", true);
  });
})();
