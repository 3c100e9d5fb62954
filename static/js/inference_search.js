// Search via inference: POST /api/search-all/ and list the top features of the text.
"use strict";

(function () {
  var form = document.getElementById("infer-form");
  if (!form) return;
  var status = document.getElementById("infer-status");
  var tokensOut = document.getElementById("infer-tokens");
  var table = document.getElementById("infer-results");
  var body = table.querySelector("tbody");
  var submit = document.getElementById("infer-submit");
  // Always-on features ("." or "the") crowd out the rest unless hidden, as on Neuronpedia.
  var hideDense = document.getElementById("infer-hide-dense");

  function cell(row, content) {
    var td = row.insertCell();
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    return td;
  }

  function explanationOf(result) {
    var neuron = result.neuron;
    if (neuron && neuron.explanations && neuron.explanations.length) return neuron.explanations[0].description;
    return "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = document.getElementById("infer-text").value;
    if (!text.trim()) return;
    submit.disabled = true;
    table.hidden = true;
    tokensOut.hidden = true;
    NP.setStatus(status, "Running the model…", false);
    NP.postJson("/api/search-all/", {
      modelId: form.dataset.model,
      sourceSet: document.getElementById("infer-set").value,
      text: text,
      selectedLayers: [],
      sortIndexes: [],
      ignoreBos: document.getElementById("infer-ignore-bos").checked,
      densityThreshold: hideDense && hideDense.checked ? Number(hideDense.dataset.threshold) : -1,
      numResults: 50,
    }).then(function (answer) {
      if (!answer.ok || !answer.data || !answer.data.result) {
        NP.setStatus(status, NP.errorMessage(answer, "search via inference"), true);
        return;
      }
      var results = answer.data.result;
      var tokens = answer.data.tokens || [];
      body.textContent = "";
      results.forEach(function (r) {
        var row = body.insertRow();
        var link = document.createElement("a");
        link.href = "/" + encodeURIComponent(r.modelId) + "/" + encodeURIComponent(r.layer) + "/" + encodeURIComponent(r.index);
        link.textContent = r.layer + " · " + r.index;
        cell(row, link);
        cell(row, explanationOf(r) || "—");
        cell(row, NP.formatValue(r.maxValue)).className = "num";
        cell(row, tokens[r.maxValueIndex] !== undefined ? "“" + tokens[r.maxValueIndex] + "”" : "");
      });
      if (results.length) {
        var best = results[0];
        NP.renderTokens(tokensOut, tokens, best.values || [], best.maxValue);
        tokensOut.hidden = false;
        table.hidden = false;
      }
      NP.setStatus(status, results.length
        ? results.length + " features fire on your text; shading shows the top one (" + results[0].layer + " · " + results[0].index + ")."
        : "No feature fires on your text.", false);
    }).catch(function () {
      NP.setStatus(status, "Could not reach the server. Check your connection and try again.", true);
    }).finally(function () {
      submit.disabled = false;
    });
  });
})();
