// Feature dashboard: "test your own text" (POST /api/activation/new) and "add to a list"
// (POST /api/list/new, /api/list/add-features) with the logged-in session.
"use strict";

(function () {
  var testForm = document.getElementById("test-form");
  if (testForm) {
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
    var nameLabel = listForm.querySelector("label[for=new-list-name]");
    var toggleName = function () {
      var creating = select.value === "";
      nameInput.hidden = !creating;
      nameLabel.hidden = !creating;
    };
    select.addEventListener("change", toggleName);
    toggleName();

    var feature = { modelId: listForm.dataset.model, layer: listForm.dataset.layer, index: listForm.dataset.index };
    var showAdded = function (listId, listName) {
      listStatus.classList.remove("error");
      listStatus.textContent = "Added to ";
      var link = document.createElement("a");
      link.href = "/list/" + encodeURIComponent(listId);
      link.textContent = listName;
      listStatus.appendChild(link);
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
            showAdded(answer.data.id, name);
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
})();
