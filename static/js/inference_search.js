// Search via inference: POST /api/search-all/ and list the top features of the text; clicking
// a token searches again sorted by the activations at that token (upstream's sortIndexes).
"use strict";

(function () {
  var form = document.getElementById("infer-form");
  if (!form) return;
  var status = document.getElementById("infer-status");
  var tokensOut = document.getElementById("infer-tokens");
  var table = document.getElementById("infer-results");
  var body = table.querySelector("tbody");
  var submit = document.getElementById("infer-submit");
  var lastText = "";
  var sortIndexes = [];
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

  // Each token is a button: a click (or Enter) re-sorts by that token; again, back to the max.
  function makeTokensSortable(tokens) {
    Array.prototype.forEach.call(tokensOut.querySelectorAll(".tok"), function (span, i) {
      span.tabIndex = 0;
      span.setAttribute("role", "button");
      var sorted = sortIndexes.indexOf(i) !== -1;
      span.classList.toggle("sort-by", sorted);
      span.setAttribute("aria-pressed", sorted ? "true" : "false");
      span.title = "Sort by this token (" + span.title + ")";
      function choose() { search(lastText, sorted ? [] : [i]); }
      span.addEventListener("click", choose);
      span.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(); }
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search(document.getElementById("infer-text").value, []);
  });

  function search(text, sortBy) {
    if (!text.trim()) return;
    lastText = text;
    sortIndexes = sortBy;
    submit.disabled = true;
    table.hidden = true;
    tokensOut.hidden = true;
    NP.setStatus(status, "Running the model…", false);
    NP.postJson("/api/search-all/", {
      modelId: form.dataset.model,
      sourceSet: document.getElementById("infer-set").value,
      text: text,
      selectedLayers: [],
      sortIndexes: sortIndexes,
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
        makeTokensSortable(tokens);
        tokensOut.hidden = false;
        table.hidden = false;
      }
      var sortedBy = sortIndexes.length ? " Sorted by the token “" + tokens[sortIndexes[0]] + "” (click it again to undo)." : " Click a token to sort by it.";
      NP.setStatus(status, results.length
        ? results.length + " features fire on your text; shading shows the top one (" + results[0].layer + " · " + results[0].index + ")." + sortedBy
        : "No feature fires on your text.", false);
    }).catch(function () {
      NP.setStatus(status, "Could not reach the server. Check your connection and try again.", true);
    }).finally(function () {
      submit.disabled = false;
    });
  }
})();
