// The graph list page's generate form: POST /api/graph/generate with the session, then open
// the new graph.
"use strict";

(function () {
  var form = document.getElementById("generate-graph");
  if (!form) return;
  var status = document.getElementById("generate-status");
  function number(id) { return Number(document.getElementById(id).value); }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      modelId: form.dataset.model,
      prompt: document.getElementById("g-prompt").value,
      slug: document.getElementById("g-slug").value,
      maxNLogits: number("g-max-n-logits"),
      desiredLogitProb: number("g-desired-logit-prob"),
      nodeThreshold: number("g-node-threshold"),
      edgeThreshold: number("g-edge-threshold"),
      maxFeatureNodes: number("g-max-feature-nodes"),
    };
    NP.setStatus(status, "Tracing the prompt; this can take a while...");
    form.querySelector("button").disabled = true;
    NP.postJson("/api/graph/generate", body).then(function (result) {
      form.querySelector("button").disabled = false;
      if (!result.ok) return NP.setStatus(status, NP.errorMessage(result, "generate a graph"), true);
      NP.setStatus(status, "Done: " + result.data.numNodes + " nodes, " + result.data.numLinks + " links.");
      window.location = result.data.url;
    });
  });
})();
