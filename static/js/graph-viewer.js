// The attribution-graph page: circuit-tracer's viewer (its scripts load before this one) fed
// from our API instead of its local server's files, and the saved/featured subgraph panel.
// The viewer reads `./graph_data/{slug}.json` through util.getFile, whose cache we fill with
// the stored graph; feature panels fetch `./graph-features/{layer}-{set}/{index}.json`
// (graphs/pages.py `feature`), because a scan starting with "custom-" makes the viewer take
// each layer's feature location from `metadata.transcoder_list`.
"use strict";

(function () {
  var config = JSON.parse(document.getElementById("graph-config").textContent);

  function prepare(graph) {
    var meta = graph.metadata;
    var details = meta.feature_details || {};
    var set = String(details.neuronpedia_source_set || config.sourceSet || "").split("/").pop();
    var list = [];
    // Graphs from circuit-tracer (schema_version 1, as our workers write them) carry each
    // transcoder node's feature as the Cantor pairing of layer and index; our feature pages and
    // graph-features files are by index, so the viewer gets plain indices (schema 0).
    var paired = (meta.schema_version || 0) > 0;
    meta.schema_version = 0;
    graph.nodes.forEach(function (node) {
      if (node.feature_type !== "cross layer transcoder" || !set) return;
      if (paired) node.feature = util.cantorUnpair(node.feature)[1];
      var source = node.layer + "-" + set;
      list[node.layer] = "./graph-features/" + source;
      node.vis_link = "/" + config.modelId + "/" + source + "/" + node.feature;
    });
    meta.scan = "custom-" + config.modelId;
    meta.transcoder_list = list;
    return graph;
  }

  function start(graph) {
    // "Local serving" keeps util.getFile from sending ./graph_data/ paths to Anthropic's CDN.
    window.isLocalServing = true;
    window.__datacache = window.__datacache || {};
    window.__datacache["./graph_data/" + config.slug + ".json"] = Promise.resolve(graph);
    var options = { clickedIdCb: function (id) { util.params.set("clickedId", id); }, isGridsnap: true };
    var clicked = util.params.get("clickedId");
    if (clicked && clicked !== "null") options.clickedId = clicked;
    if (typeof graph.metadata.node_threshold === "number") {
      options.pruningThreshold = util.params.get("pruningThreshold") || graph.metadata.node_threshold;
    }
    d3.select(".nav").html("").append("div.graph-prompt").text(graph.metadata.prompt);
    initCg(d3.select(".cg"), config.slug, options);
    document.body.dataset.graphReady = "true";
  }

  fetch(config.jsonUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("graph file: HTTP " + response.status);
      return response.json();
    })
    .then(function (graph) { start(prepare(graph)); })
    .catch(function (error) {
      d3.select(".cg").append("p.graph-missing").text("Could not load the graph: " + error.message);
    });

  // -- subgraphs: list featured and yours, open one (URL parameters the viewer reads), save ----
  if (config.embed) return;
  var key = { modelId: config.modelId, slug: config.slug };
  var status = document.getElementById("subgraph-status");

  function openSubgraph(sub) {
    var url = new URL(window.location);
    url.searchParams.set("pinnedIds", sub.pinnedIds.join(","));
    url.searchParams.set("supernodes", JSON.stringify(sub.supernodes));
    url.searchParams.set("clerps", JSON.stringify(sub.clerps));
    if (sub.pruningThreshold !== null) url.searchParams.set("pruningThreshold", sub.pruningThreshold);
    window.location = url.toString();
  }

  function fill(listId, subgraphs) {
    var list = document.getElementById(listId);
    if (!list) return;
    list.textContent = "";
    if (!subgraphs.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "None yet.";
      list.appendChild(none);
    }
    subgraphs.forEach(function (sub) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = (sub.displayName || "Untitled") + " (" + sub.pinnedIds.length + " pinned, by " + sub.user.name + ")";
      button.addEventListener("click", function () { openSubgraph(sub); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  function load() {
    NP.postJson("/api/graph/subgraph/list-featured", key).then(function (result) {
      if (result.ok) fill("featured-subgraphs", result.data.subgraphs);
    });
    if (config.loggedIn) {
      NP.postJson("/api/graph/subgraph/list", key).then(function (result) {
        if (result.ok) fill("own-subgraphs", result.data.subgraphs);
      });
    }
  }

  function param(name, fallback) {
    var value = util.params.get(name);
    if (value === undefined || value === null || value === "null" || value === "") return fallback;
    return value;
  }

  var form = document.getElementById("save-subgraph");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var pinned = param("pinnedIds", "");
      var body = Object.assign({}, key, {
        displayName: document.getElementById("subgraph-name").value || null,
        pinnedIds: Array.isArray(pinned) ? pinned : String(pinned).split(",").filter(Boolean),
        supernodes: JSON.parse(param("supernodes", "[]")),
        clerps: JSON.parse(param("clerps", "[]")),
        pruningThreshold: Number(param("pruningThreshold", "")) || null,
        densityThreshold: null,
      });
      NP.setStatus(status, "Saving...");
      NP.postJson("/api/graph/subgraph/save", body).then(function (result) {
        if (!result.ok) return NP.setStatus(status, NP.errorMessage(result, "save the subgraph"), true);
        NP.setStatus(status, "Saved.");
        load();
      });
    });
  }
  load();
})();
