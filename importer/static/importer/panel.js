/* The import panel (/admin/importer/): bucket tree, actions, live progress, report.
   Plain JavaScript, no dependencies; every number comes from importer/urls.py endpoints. */
(function () {
  "use strict";
  var panel = document.getElementById("importer-panel");
  if (!panel) return;
  var urls = panel.dataset;
  var csrf = panel.querySelector("[name=csrfmiddlewaretoken]").value;
  var fromInput = document.getElementById("importer-from");
  var endpointInput = document.getElementById("importer-endpoint");
  var message = document.getElementById("importer-message");
  var jobsBox = document.getElementById("importer-jobs");
  var treeBox = document.getElementById("importer-tree");
  var reportBox = document.getElementById("importer-report");
  var openModels = {};   // modelId -> container element
  var activeIds = "";

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "text") node.textContent = attrs[k];
      else if (k === "onclick") node.addEventListener("click", attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function say(text, isError) {
    message.textContent = text || "";
    message.className = "importer-message" + (isError ? " error" : "");
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-CSRFToken": csrf } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.message || data.error || response.statusText);
        return data;
      });
    });
  }

  function withLocation(body) {
    if (fromInput.value.trim()) body.from = fromInput.value.trim();
    if (endpointInput.value.trim()) body.endpointUrl = endpointInput.value.trim();
    return body;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 60) return seconds + "s";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m " + (seconds % 60) + "s";
    return Math.floor(seconds / 3600) + "h " + Math.floor((seconds % 3600) / 60) + "m";
  }

  function number(n) { return Number(n || 0).toLocaleString(); }

  /* --- actions --- */

  function startImport(modelId, sourceId, resync) {
    say("Starting " + modelId + "/" + sourceId + "…");
    request("POST", urls.startUrl, withLocation({ modelId: modelId, sourceId: sourceId, resync: !!resync }))
      .then(function (job) { say(job.label + ": " + job.progressText); poll(); refreshModel(modelId); })
      .catch(function (e) { say(e.message, true); });
  }

  function startSet(modelId, setName) {
    request("POST", urls.startSetUrl, withLocation({ modelId: modelId, setName: setName }))
      .then(function (data) { say(data.started.length + " import(s) queued for " + setName + "."); poll(); refreshModel(modelId); })
      .catch(function (e) { say(e.message, true); });
  }

  function cancelJob(id) {
    request("POST", urls.jobUrl.replace(/0$/, id) + "/cancel")
      .then(function (job) { say(job.label + ": cancel requested."); poll(); })
      .catch(function (e) { say(e.message, true); });
  }

  function showReport(id) {
    reportBox.textContent = "Checking…";
    request("GET", urls.jobUrl.replace(/0$/, id) + "?verify=1")
      .then(renderReport)
      .catch(function (e) { reportBox.textContent = e.message; });
  }

  document.getElementById("importer-sync-config").addEventListener("click", function () {
    request("POST", urls.configUrl, withLocation({}))
      .then(function (job) { say("Config sync queued (job " + job.id + ")."); poll(); })
      .catch(function (e) { say(e.message, true); });
  });

  document.getElementById("importer-location").addEventListener("submit", function (event) {
    event.preventDefault();
    openModels = {};
    loadModels(true);
  });

  /* --- the tree --- */

  function loadModels(refresh) {
    treeBox.textContent = "Listing…";
    request("POST", urls.treeUrl, withLocation(refresh ? { refresh: true } : {}))
      .then(function (data) {
        if (!fromInput.value) fromInput.placeholder = data.location;
        treeBox.textContent = "";
        if (!data.models.length) treeBox.appendChild(el("p", { "class": "importer-muted", text: "No models at " + data.location + "." }));
        data.models.forEach(function (modelId) {
          var body = el("div", {}, el("p", { "class": "importer-muted", text: "Listing…" }));
          var details = el("details", { "class": "importer-model", "data-model": modelId }, el("summary", { text: modelId }), body);
          details.addEventListener("toggle", function () {
            if (details.open) { openModels[modelId] = body; refreshModel(modelId); }
            else delete openModels[modelId];
          });
          treeBox.appendChild(details);
        });
      })
      .catch(function (e) { treeBox.textContent = e.message; });
  }

  function refreshModel(modelId) {
    var body = openModels[modelId];
    if (!body) return;
    request("POST", urls.treeUrl, withLocation({ modelId: modelId }))
      .then(function (data) { renderModel(body, data); })
      .catch(function (e) { body.textContent = e.message; });
  }

  function renderModel(body, data) {
    body.textContent = "";
    data.sets.forEach(function (set) {
      var rows = set.sources.map(function (source) {
        var busy = source.state === "running" || source.state === "queued";
        return el("tr", {},
          el("td", { text: "L" + source.layer }),
          el("td", { text: source.id }),
          el("td", {}, el("span", { "class": "importer-state " + source.state, text: source.state })),
          el("td", {},
            source.state === "imported" ? null : el("button", { type: "button", "class": "button", disabled: busy ? "disabled" : null, text: source.state === "new" ? "Import" : "Resume", onclick: function () { startImport(data.modelId, source.id, false); } }),
            " ",
            source.state === "imported" ? el("button", { type: "button", "class": "button", text: "Re-sync", onclick: function () { startImport(data.modelId, source.id, true); } }) : null,
            " ",
            source.jobId ? el("button", { type: "button", "class": "button", text: "Report", onclick: function () { showReport(source.jobId); } }) : null));
      });
      body.appendChild(el("div", { "class": "importer-set" },
        el("h3", {}, set.name + " — " + set.imported + " of " + set.total + " imported "),
        el("button", { type: "button", "class": "button", text: "Import all in set", onclick: function () { startSet(data.modelId, set.name); } }),
        el("table", {}, el("tbody", {}, ...rows))));
    });
  }

  /* --- jobs and progress --- */

  function renderJob(job, active) {
    var speed = job.rowsPerSecond ? number(Math.round(job.rowsPerSecond)) + " rows/s" : "";
    return el("div", { "class": "importer-job", "data-job": job.id },
      el("div", { "class": "importer-line" },
        el("span", { "class": "importer-label", text: job.label }),
        el("span", { "class": "importer-state " + job.displayState, text: job.displayState }),
        el("span", { text: Math.round(job.progress * 100) + "%" }),
        el("span", { text: number(job.rowsDone) + " rows" }),
        speed ? el("span", { text: speed }) : null,
        active ? el("span", { text: "ETA " + duration(job.etaSeconds) }) : null,
        active ? el("button", { type: "button", "class": "button", text: "Cancel", onclick: function () { cancelJob(job.id); } }) : null,
        el("button", { type: "button", "class": "button", text: "Report", onclick: function () { showReport(job.id); } })),
      active ? el("progress", { max: "1", value: String(job.progress), "aria-label": job.label + " progress" }) : null,
      el("div", { "class": "importer-muted", text: job.progressText }));
  }

  function poll() {
    request("GET", urls.statusUrl).then(function (data) {
      jobsBox.textContent = "";
      if (!data.active.length) jobsBox.appendChild(el("p", { "class": "importer-muted", text: "No import running." }));
      data.active.forEach(function (job) { jobsBox.appendChild(renderJob(job, job.displayState === "running" || job.displayState === "queued")); });
      if (data.recent.length) {
        var recent = el("details", {}, el("summary", { text: "Recent jobs (" + data.recent.length + ")" }));
        data.recent.forEach(function (job) { recent.appendChild(renderJob(job, false)); });
        jobsBox.appendChild(recent);
      }
      var ids = data.active.map(function (j) { return j.id; }).join(",");
      if (ids !== activeIds) {  // a job started or ended: states in the tree changed
        activeIds = ids;
        Object.keys(openModels).forEach(refreshModel);
      }
    }).catch(function (e) { say(e.message, true); });
  }

  function renderReport(job) {
    var r = job.report;
    reportBox.textContent = "";
    reportBox.className = "importer-report";
    reportBox.appendChild(el("p", {}, el("strong", { text: job.label + " (job " + job.id + "): " }),
      r.complete ? "complete" : "incomplete", " — files " + r.files.done + " of " + r.files.planned + " done" +
      (r.files.failed ? ", " + r.files.failed + " failed" : "")));
    var rows = Object.keys(r.tables).map(function (table) {
      var t = r.tables[table];
      return el("tr", {}, el("td", { text: table }), el("td", { text: t.filesDone + "/" + t.files }),
        el("td", { text: number(t.expected) }), el("td", { text: number(t.present) }),
        el("td", { text: number(t.missing) }), el("td", { text: number(t.inserted) }));
    });
    reportBox.appendChild(el("table", {},
      el("thead", {}, el("tr", {}, el("th", { text: "table" }), el("th", { text: "files" }),
        el("th", { text: "rows expected" }), el("th", { text: "present" }), el("th", { text: "missing" }),
        el("th", { text: "inserted" }))),
      el("tbody", {}, ...rows)));
    (r.failedFiles || []).forEach(function (p) { reportBox.appendChild(el("p", { "class": "importer-muted", text: "failed: " + p })); });
    (r.newFiles || []).forEach(function (p) { reportBox.appendChild(el("p", { "class": "importer-muted", text: "new since the import (re-sync to get it): " + p })); });
  }

  loadModels(false);
  poll();
  setInterval(poll, 1000);
})();
