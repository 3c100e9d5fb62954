// Feature dashboard: "test your own text" (POST /api/activation/new) and "add to a list"
// (POST /api/list/new, /api/list/add-features) with the logged-in session.
"use strict";

(function () {
  var testForm = document.getElementById("test-form");
  if (testForm) {
    if (testForm.dataset.autorun && document.getElementById("test-text").value.trim()) {
      setTimeout(function () { testForm.requestSubmit(); }, 0);
    }
    var status = document.getElementById("test-status");
    var result = document.getElementById("test-result");
    var submit = document.getElementById("test-submit");
    testForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = document.getElementById("test-text").value;
      if (!text.trim()) return;
      submit.disabled = true;
      result.hidden = true;
      NP.setStatus(status, "Running the model…", false);
      testForm.setAttribute("aria-busy", "true");
      NP.postJson("/api/activation/new", {
        feature: { modelId: testForm.dataset.model, source: testForm.dataset.source, index: testForm.dataset.index },
        customText: text,
      }).then(function (answer) {
        if (!answer.ok || !answer.data || !answer.data.tokens) {
          NP.setStatus(status, NP.errorMessage(answer, "test your text"), true);
          return;
        }
        var act = answer.data;
        NP.renderTokens(result, act.tokens, act.values, act.maxValue);
        result.hidden = false;
        var top = act.tokens[act.maxValueTokenIndex] !== undefined ? act.tokens[act.maxValueTokenIndex] : "";
        NP.setStatus(status, act.maxValue > 0
          ? "Max activation " + NP.formatValue(act.maxValue) + " on “" + top + "” (" + act.tokens.length + " tokens)."
          : "This feature does not fire on your text (" + act.tokens.length + " tokens).", false);
      }).catch(function () {
        NP.setStatus(status, "Could not reach the server. Check your connection and try again.", true);
      }).finally(function () {
        submit.disabled = false;
        testForm.removeAttribute("aria-busy");
      });
    });
  }

  var listForm = document.getElementById("add-to-list");
  if (listForm) {
    var select = document.getElementById("list-select");
    var nameInput = document.getElementById("new-list-name");
    var listStatus = document.getElementById("list-status");
    var listsShown = document.getElementById("feature-lists");
    var nameLabel = listForm.querySelector("label[for=new-list-name]");
    var toggleName = function () {
      var creating = select.value === "";
      nameInput.hidden = !creating;
      nameLabel.hidden = !creating;
    };
    select.addEventListener("change", toggleName);
    toggleName();

    var feature = { modelId: listForm.dataset.model, layer: listForm.dataset.layer, index: listForm.dataset.index };
    var listLink = function (listId, listName) {
      var link = document.createElement("a");
      link.href = "/list/" + encodeURIComponent(listId);
      link.textContent = listName;
      return link;
    };
    // The panel lists what the server now holds: the new list entry, no "Not in any list".
    var showInPanel = function (listId, listName) {
      if (listsShown.querySelector('li[data-list="' + CSS.escape(String(listId)) + '"]')) return;
      var item = document.createElement("li");
      item.dataset.list = listId;
      item.appendChild(listLink(listId, listName));
      listsShown.appendChild(item);
      listsShown.hidden = false;
      var empty = document.getElementById("no-lists");
      if (empty) empty.remove();
    };
    var report = function (prefix, listId, listName) {
      listStatus.classList.remove("error");
      listStatus.textContent = prefix;
      listStatus.appendChild(listLink(listId, listName));
      listStatus.appendChild(document.createTextNode("."));
    };

    listForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var listId = select.value;
      var name = listId ? select.options[select.selectedIndex].text : nameInput.value.trim();
      if (!name) {
        NP.setStatus(listStatus, "Give the new list a name.", true);
        nameInput.focus();
        return;
      }
      NP.setStatus(listStatus, "Saving…", false);
      var created = listId
        ? Promise.resolve({ ok: true, data: { id: listId } })
        : NP.postJson("/api/list/new", { name: name, description: "" });
      created.then(function (answer) {
        if (!answer.ok) throw answer;
        if (!listId) {
          // Later additions can go to the list just made.
          var option = new Option(name, answer.data.id);
          select.add(option);
          select.value = answer.data.id;
          toggleName();
        }
        return NP.postJson("/api/list/add-features", { listId: answer.data.id, featuresToAdd: [feature] })
          .then(function (added) {
            if (!added.ok) throw added;
            // The API answers the rows it added: none means the feature was already there.
            var isNew = Array.isArray(added.data) ? added.data.length > 0 : true;
            showInPanel(answer.data.id, name);
            report(isNew ? "Added to " : "Already in ", answer.data.id, name);
          });
      }).catch(function (failure) {
        var message = failure && failure.status ? NP.errorMessage(failure, "save to a list") : "Could not reach the server.";
        NP.setStatus(listStatus, message, true);
      });
    });
  }

  var commentForm = document.getElementById("comment-form");
  if (commentForm) {
    var commentText = document.getElementById("comment-text");
    var commentStatus = document.getElementById("comment-status");
    var commentList = document.getElementById("comment-list");
    commentForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = commentText.value.trim();
      if (text.length < 5) {
        NP.setStatus(commentStatus, "Write at least 5 characters.", true);
        commentText.focus();
        return;
      }
      NP.setStatus(commentStatus, "Posting…", false);
      NP.postJson("/api/comment/new", {
        modelId: commentForm.dataset.model,
        layer: commentForm.dataset.layer,
        index: commentForm.dataset.index,
        text: text,
      }).then(function (result) {
        if (!result.ok) {
          NP.setStatus(commentStatus, NP.errorMessage(result, "post your comment"), true);
          return;
        }
        // Newest last, as the page lists them.
        var item = document.createElement("li");
        var body = document.createElement("p");
        body.textContent = result.data.text;
        var byline = document.createElement("p");
        byline.className = "muted small";
        byline.textContent = result.data.user.name + " · " + String(result.data.createdAt).slice(0, 10);
        item.appendChild(body);
        item.appendChild(byline);
        commentList.appendChild(item);
        commentList.hidden = false;
        var empty = document.getElementById("no-comments");
        if (empty) empty.remove();
        commentText.value = "";
        NP.setStatus(commentStatus, "Posted.", false);
      }).catch(function () {
        NP.setStatus(commentStatus, "Could not reach the server.", true);
      });
    });
  }

  // -- show more, copy, bookmark, votes, embed code, autointerp ------------------------------

  var actionStatus = document.getElementById("action-status");
  var say = function (text, isError) {
    if (actionStatus) NP.setStatus(actionStatus, text, isError);
  };

  document.querySelectorAll(".show-more").forEach(function (button) {
    button.addEventListener("click", function () {
      var section = document.getElementById(button.dataset.section);
      var expanded = button.getAttribute("aria-expanded") === "true";
      section.querySelectorAll("li[data-more]").forEach(function (item) { item.hidden = expanded; });
      button.setAttribute("aria-expanded", String(!expanded));
      button.textContent = expanded ? button.dataset.label : "Show fewer";
    });
    button.dataset.label = button.textContent;
  });

  var copyText = function (text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    area.remove();
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  };
  var embedCode = document.getElementById("embed-code");
  if (embedCode) {
    embedCode.value = '<iframe src="' + location.origin + embedCode.dataset.path +
      '" title="Neuronpedia" style="height: 540px; width: 100%; border: 1px solid #ddd;"></iframe>';
  }
  var copyValue = function (button) {
    var kind = button.dataset.copy;
    if (kind === "embed") return Promise.resolve(embedCode.value);
    if (kind === "link") return Promise.resolve(location.origin + button.dataset.value);
    if (kind === "json") {
      return fetch(button.dataset.value, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      });
    }
    return Promise.resolve(button.dataset.value);
  };
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var what = { id: "ID", link: "Link", json: "JSON", embed: "Embed code" }[button.dataset.copy];
      copyValue(button).then(copyText).then(function () {
        say(what + " copied.", false);
      }).catch(function () {
        say("Could not copy the " + what + ".", true);
      });
    });
  });

  var actions = document.getElementById("feature-actions");
  var featureKey = actions ? { modelId: actions.dataset.model, layer: actions.dataset.layer, index: actions.dataset.index } : null;
  var bookmark = document.getElementById("bookmark");
  if (bookmark) {
    bookmark.addEventListener("click", function () {
      var on = bookmark.getAttribute("aria-pressed") === "true";
      bookmark.disabled = true;
      NP.postJson(on ? "/api/bookmark/delete" : "/api/bookmark/add", featureKey).then(function (answer) {
        if (!answer.ok) {
          say(NP.errorMessage(answer, on ? "remove the bookmark" : "bookmark this feature"), true);
          return;
        }
        bookmark.setAttribute("aria-pressed", String(!on));
        bookmark.textContent = on ? "☆ Bookmark" : "★ Bookmarked";
        say(on ? "Bookmark removed." : "Bookmarked.", false);
      }).catch(function () {
        say("Could not reach the server.", true);
      }).finally(function () { bookmark.disabled = false; });
    });
  }

  document.querySelectorAll("button.vote").forEach(function (button) {
    button.addEventListener("click", function () {
      var voted = button.getAttribute("aria-pressed") === "true";
      var url = "/api/explanation/" + encodeURIComponent(button.dataset.id) + (voted ? "/unvote" : "/vote");
      button.disabled = true;
      NP.postJson(url, {}).then(function (answer) {
        if (!answer.ok) {
          say(NP.errorMessage(answer, "vote"), true);
          return;
        }
        var count = button.querySelector(".vote-count");
        count.textContent = String(Math.max(0, Number(count.textContent) + (voted ? -1 : 1)));
        button.setAttribute("aria-pressed", String(!voted));
        button.setAttribute("aria-label", voted ? "Vote for this explanation" : "Withdraw your vote");
        say(voted ? "Vote withdrawn." : "Voted.", false);
      }).catch(function () {
        say("Could not reach the server.", true);
      }).finally(function () { button.disabled = false; });
    });
  });

  // Autointerp: the job runs on a worker; the page reloads to show the saved row.
  var reloadAt = function (anchor) {
    location.hash = anchor;
    location.reload();
  };
  var generateForm = document.getElementById("generate-form");
  if (generateForm) {
    var generateStatus = document.getElementById("generate-status");
    generateForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var submit = document.getElementById("generate-submit");
      submit.disabled = true;
      NP.setStatus(generateStatus, "Asking the LLM… (this can take a minute)", false);
      NP.postJson("/api/explanation/generate", {
        modelId: generateForm.dataset.model,
        layer: generateForm.dataset.layer,
        index: generateForm.dataset.index,
        explanationType: document.getElementById("explainer-type").value,
        explanationModelName: document.getElementById("explainer-model").value,
      }).then(function (answer) {
        if (!answer.ok) {
          NP.setStatus(generateStatus, NP.errorMessage(answer, "generate an explanation"), true);
          return;
        }
        NP.setStatus(generateStatus, "New explanation: " + answer.data.explanation.description, false);
        reloadAt("explanations");
      }).catch(function () {
        NP.setStatus(generateStatus, "Could not reach the server.", true);
      }).finally(function () { submit.disabled = false; });
    });
  }
  document.querySelectorAll("form.score-form").forEach(function (form) {
    var type = form.querySelector(".scorer-type");
    var model = form.querySelector(".scorer-model");
    var status = form.querySelector(".score-status");
    var toggleModel = function () { model.hidden = type.value === model.dataset.embedding; };
    type.addEventListener("change", toggleModel);
    toggleModel();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { explanationId: form.dataset.explanation, scorerType: type.value };
      if (!model.hidden) body.scorerModel = model.value;
      NP.setStatus(status, "Scoring…", false);
      NP.postJson("/api/explanation/score", body).then(function (answer) {
        if (!answer.ok) {
          NP.setStatus(status, NP.errorMessage(answer, "score this explanation"), true);
          return;
        }
        NP.setStatus(status, "Score " + NP.formatValue(answer.data.score.value) + ".", false);
        reloadAt("explanations");
      }).catch(function () {
        NP.setStatus(status, "Could not reach the server.", true);
      });
    });
  });
})();
