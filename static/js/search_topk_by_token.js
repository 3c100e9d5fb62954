// Top features by token: POST /api/search-topk-by-token/, show the text's tokens (each one
// clickable) and the features at the chosen token, plus the features across the whole text.
"use strict";

(function () {
  var form = document.getElementById("topk-form");
  if (!form) return;
  var sourcesByModel = JSON.parse(document.getElementById("topk-sources").textContent);
  var modelSelect = document.getElementById("topk-model");
  var sourceSelect = document.getElementById("topk-source");
  var textInput = document.getElementById("topk-text");
  var status = document.getElementById("topk-status");
  var tokensOut = document.getElementById("topk-tokens");
  var tokenPanel = document.getElementById("topk-token-panel");
  var tokenLabel = document.getElementById("topk-token-label");
  var tokenBody = document.querySelector("#topk-token-features tbody");
  var summaryPanel = document.getElementById("topk-summary-panel");
  var summaryBody = document.querySelector("#topk-summary tbody");
  var submit = document.getElementById("topk-submit");
  var positions = [];

  function fillSources(wanted) {
    sourceSelect.textContent = "";
    (sourcesByModel[modelSelect.value] || []).forEach(function (source) {
      var option = new Option(source, source, false, source === wanted);
      sourceSelect.add(option);
    });
  }

  function explanationOf(feature) {
    var neuron = feature.feature;
    if (neuron && neuron.explanations && neuron.explanations.length) return neuron.explanations[0].description;
    return "";
  }

  function featureLink(modelId, source, index) {
    var link = document.createElement("a");
    link.href = "/" + encodeURIComponent(modelId) + "/" + encodeURIComponent(source) + "/" + encodeURIComponent(index);
    link.textContent = source + " · " + index;
    return link;
  }

  function cell(row, content, className) {
    var td = row.insertCell();
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    if (className) td.className = className;
    return td;
  }

  function showToken(i, modelId, source) {
    var position = positions[i];
    Array.prototype.forEach.call(tokensOut.children, function (span, j) {
      span.classList.toggle("selected", j === i);
      span.setAttribute("aria-pressed", j === i ? "true" : "false");
    });
    tokenLabel.textContent = "“" + position.token + "”";
    tokenBody.textContent = "";
    position.topFeatures.forEach(function (f) {
      var row = tokenBody.insertRow();
      cell(row, featureLink(modelId, source, f.featureIndex));
      cell(row, explanationOf(f) || "—");
      cell(row, NP.formatValue(f.activationValue), "num");
    });
    if (!position.topFeatures.length) cell(tokenBody.insertRow(), "No feature fires here.").colSpan = 3;
    tokenPanel.hidden = false;
  }

  function topValue(position) {
    return position.topFeatures.length ? position.topFeatures[0].activationValue : 0;
  }

  // Each token shaded by its strongest feature, relative to the strongest in the text
  // (the shade-N classes of site.css, as NP.renderTokens uses).
  function renderTokens(modelId, source) {
    tokensOut.textContent = "";
    var max = Math.max.apply(null, positions.map(topValue).concat([0]));
    positions.forEach(function (position, i) {
      var button = document.createElement("button");
      var shade = max > 0 && topValue(position) > 0 ? Math.max(1, Math.round(20 * topValue(position) / max)) : 0;
      button.type = "button";
      button.className = "tok tok-button" + (shade ? " shade-" + shade : "");
      button.textContent = position.token === "\n" ? "↵" : position.token;
      button.title = position.topFeatures.length + " features";
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () { showToken(i, modelId, source); });
      tokensOut.appendChild(button);
    });
    tokensOut.hidden = false;
  }

  function renderSummary(modelId, source) {
    var byIndex = {};
    positions.forEach(function (position) {
      position.topFeatures.forEach(function (f) {
        var entry = byIndex[f.featureIndex] || (byIndex[f.featureIndex] = { f: f, count: 0, max: 0 });
        entry.count += 1;
        entry.max = Math.max(entry.max, f.activationValue);
      });
    });
    var entries = Object.keys(byIndex).map(function (k) { return byIndex[k]; });
    entries.sort(function (a, b) { return b.count - a.count || b.max - a.max; });
    summaryBody.textContent = "";
    entries.slice(0, 50).forEach(function (e) {
      var row = summaryBody.insertRow();
      cell(row, featureLink(modelId, source, e.f.featureIndex));
      cell(row, explanationOf(e.f) || "—");
      cell(row, String(e.count), "num");
      cell(row, NP.formatValue(e.max), "num");
    });
    summaryPanel.hidden = entries.length === 0;
  }

  function run() {
    var text = textInput.value;
    if (!text.trim() || !sourceSelect.value) return;
    var modelId = modelSelect.value;
    var source = sourceSelect.value;
    submit.disabled = true;
    tokenPanel.hidden = true;
    summaryPanel.hidden = true;
    tokensOut.hidden = true;
    NP.setStatus(status, "Running the model…", false);
    NP.postJson("/api/search-topk-by-token/", {
      modelId: modelId,
      source: source,
      text: text,
      numResults: 10,
      ignoreBos: document.getElementById("topk-ignore-bos").checked,
      densityThreshold: -1,
    }).then(function (answer) {
      if (!answer.ok || !answer.data || !answer.data.results) {
        NP.setStatus(status, NP.errorMessage(answer, "search top features by token"), true);
        return;
      }
      positions = answer.data.results;
      renderTokens(modelId, source);
      renderSummary(modelId, source);
      var best = 0;
      positions.forEach(function (p, i) { if (topValue(p) > topValue(positions[best])) best = i; });
      if (positions.length) showToken(best, modelId, source);
      NP.setStatus(status, positions.length + " tokens. Click a token to see its top features.", false);
    }).catch(function () {
      NP.setStatus(status, "Could not reach the server. Check your connection and try again.", true);
    }).finally(function () {
      submit.disabled = false;
    });
  }

  modelSelect.addEventListener("change", function () { fillSources(""); });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  fillSources(form.dataset.source);
  if (textInput.value.trim() && form.dataset.model) run();
})();
