// Quiz page enhancements. Every form works without this file (it posts and the server redirects
// back to the question); with it, a submit is sent with fetch() and only that question and the score
// header are replaced, so answers typed into other questions stay where they are. An answer that changed
// nothing but its feedback and the attempts line replaces only those, and the week's score stays.
(function () {
  "use strict";

  var list = document.querySelector("ol.questions");
  if (!list || !window.fetch || !window.FormData || !window.URLSearchParams || !("content" in document.createElement("template"))) {
    return;
  }
  var statusRegion = document.getElementById("quiz-status");
  // The page's language (static/i18n.js): gettext("… {name} …", {name: value}); English when it is missing.
  var i18n = window.quizI18n || {
    gettext: function (text, values) {
      return text.replace(/\{(\w+)\}/g, function (whole, name) { return values && name in values ? values[name] : whole; });
    },
    feedback: function (message) { return message; },
  };
  var gettext = i18n.gettext;
  var OFFLINE = gettext("Could not reach the server, so nothing was sent. Your answer is still in the box: try again.");

  function squash(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }

  // What a screen reader would say: the text without the decorative icons.
  function spoken(element) {
    if (!element) {
      return "";
    }
    var copy = element.cloneNode(true);
    copy.querySelectorAll("[aria-hidden=true]").forEach(function (hidden) {
      hidden.remove();
    });
    return squash(copy.textContent);
  }

  function announce(text) {
    if (!statusRegion) {
      return;
    }
    statusRegion.textContent = "";
    // Clearing first and writing a moment later makes a repeated message be read out again.
    window.setTimeout(function () {
      statusRegion.textContent = text;
    }, 60);
  }

  function fragmentFrom(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  function elementFrom(html) {
    return fragmentFrom(html).firstElementChild;
  }

  // Each element of the fragment replaces the element of the question with the same id.
  function putInPlace(item, html) {
    Array.prototype.slice.call(fragmentFrom(html).children).forEach(function (element) {
      var old = element.id && item.querySelector("#" + CSS.escape(element.id));
      if (old) {
        old.replaceWith(element);
      }
    });
  }

  // ------------------------------------------------------------------ sending forms

  // Where focus was inside the question, as (form action, index of the control), to restore it after the swap.
  function focusLocator(item) {
    var active = document.activeElement;
    if (!active || !item.contains(active)) {
      return null;
    }
    if (active.form) {
      return { action: active.form.getAttribute("action"), index: Array.prototype.indexOf.call(active.form.elements, active) };
    }
    return active.id ? { id: active.id } : null;
  }

  function restoreFocus(item, locator) {
    var target = null;
    if (locator && locator.id) {
      target = document.getElementById(locator.id);
    } else if (locator && locator.action) {
      var forms = item.querySelectorAll("form");
      for (var i = 0; i < forms.length; i += 1) {
        if (forms[i].getAttribute("action") === locator.action) {
          target = forms[i].elements[locator.index] || null;
        }
      }
    }
    if (target && target.type === "hidden") {
      target = null;
    }
    target = target || item.querySelector(".solution") || item.querySelector("textarea, input[type=text]");
    target = target || item.querySelector("h2");
    if (target) {
      if (!target.hasAttribute("tabindex") && !target.matches("a, button, input, textarea, select")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }

  function summary(item, kind) {
    var parts = [spoken(item.querySelector("h2")) + "."];
    if (kind === "answer") {
      parts.push(spoken(item.querySelector(".feedback")));
    } else {
      var note = item.querySelector(".result-note");
      if (kind === "reveal") {
        parts.push(gettext("The worked solution is shown below the question."));
      } else if (!note) {
        parts.push(gettext("New numbers: the question has changed."));
      }
      if (note) {
        parts.push(squash(note.textContent));
      }
    }
    return parts.join(" ");
  }

  function showProblem(item, text) {
    var box = item.querySelector(".feedback");
    if (box) {
      var p = document.createElement("p");
      p.className = "result result-invalid";
      var icon = document.createElement("span");
      icon.className = "result-icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "⚠";
      var strong = document.createElement("strong");
      strong.textContent = gettext("Not sent.") + " ";
      p.appendChild(icon);
      p.appendChild(strong);
      p.appendChild(document.createTextNode(text));
      box.replaceChildren(p);
    }
    announce(text);
  }

  function kindOf(form) {
    var action = form.getAttribute("action") || "";
    if (/\/reveal$/.test(action)) {
      return "reveal";
    }
    return /\/new$/.test(action) ? "new" : "answer";
  }

  function send(form, submitter) {
    var item = form.closest("li.question");
    // URL-encoded, as the form posts without JavaScript: it carries no files, and the server reads this
    // encoding at a fraction of the cost of multipart (docs/deploy.md, "Capacity: measured").
    var body = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) {
      body.append(submitter.name, submitter.value);
    }
    form.setAttribute("data-busy", "1");
    item.setAttribute("aria-busy", "true");
    var done = function () {
      form.removeAttribute("data-busy");
      item.removeAttribute("aria-busy");
    };
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(
        function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) {
            // An error page or the log-in page (session ended): let the browser show it as without JavaScript.
            done();
            HTMLFormElement.prototype.submit.call(form);
            return;
          }
          return response.json().then(function (data) {
            done();
            if (!response.ok || !(data.question_html || data.answered_html)) {
              showProblem(item, data.error || gettext("The server could not take this answer. Please reload the page."));
              return;
            }
            var locator = focusLocator(item);
            if (!data.question_html) {
              // Only the form's actions and the feedback changed: each takes the place of the element with its id.
              putInPlace(item, data.answered_html);
              var box = document.getElementById("q-" + data.question_id + "-answer");
              if (box && data.invalid) {
                box.setAttribute("aria-invalid", "true"); // described by the feedback, as the page marks it
              } else if (box) {
                box.removeAttribute("aria-invalid");
              }
              restoreFocus(item, locator);
              announce(summary(item, "answer"));
              return;
            }
            var replacement = elementFrom(data.question_html);
            item.replaceWith(replacement);
            var score = document.getElementById("week-progress");
            if (score && data.score_html) {
              score.replaceWith(elementFrom(data.score_html));
            }
            refreshPreviews(replacement);
            restoreFocus(replacement, locator);
            announce(summary(replacement, kindOf(form)));
          });
        },
        function () {
          done();
          showProblem(item, OFFLINE);
        }
      )
      .catch(function () {
        done();
        showProblem(item, gettext("Something went wrong while showing the result. Please reload the page."));
      });
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.closest("li.question")) {
      return;
    }
    event.preventDefault();
    if (form.hasAttribute("data-busy")) {
      return; // a double click sends once
    }
    send(form, event.submitter);
  });

  // ------------------------------------------------------------------ matrix shape preview
  // What the grader will make of the text, read by answer-shape.js with the grader's own rules: the shape,
  // whether it is the expected one, or why the answer cannot be read. The server remains the judge.

  var MAX_PREVIEW_CELLS = 144;
  var shapes = window.QuizAnswerShape;

  function expectedShape(form) {
    var raw = (form && form.getAttribute("data-shape")) || "";
    return raw ? raw.split("x").map(Number) : null;
  }

  function shown(x) {
    return String(Number(x.toPrecision(4)));
  }

  function fillGrid(table, m) {
    var body = table.tBodies[0] || table.createTBody();
    body.replaceChildren();
    if (!m || m.error || m.shape.length === 0 || m.cells.length * m.cells[0].length > MAX_PREVIEW_CELLS) {
      table.hidden = true;
      return;
    }
    m.cells.forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (entry) {
        tr.insertCell().textContent = shown(entry);
      });
    });
    table.hidden = false;
  }

  // A shape in words, as answer-shape.js says it in English, in the page's language.
  function describe(shape) {
    if (shape.length === 0) {
      return gettext("a single number");
    }
    if (shape.length === 1) {
      return shape[0] === 1 ? gettext("a vector of 1 entry") : gettext("a vector of {count} entries", { count: shape[0] });
    }
    return gettext("{rows}×{columns} matrix", { rows: shape[0], columns: shape[1] });
  }

  // [text, state] for the line under the box.
  function previewText(m, shape) {
    if (m.error) {
      if (/^The answer is missing a closing/.test(m.error)) {
        var lowered = m.error.charAt(0).toLowerCase() + m.error.slice(1);
        return [gettext("⚠ The brackets do not match yet: {error}", { error: i18n.language === "en" ? lowered : i18n.feedback(m.error) }), "pending"];
      }
      return [gettext("⚠ Check would not read this yet: {error}", { error: i18n.feedback(m.error) }), "pending"];
    }
    var typed = describe(m.shape);
    if (!shape) {
      return [gettext("You typed {typed}.", { typed: typed }), ""];
    }
    var verdict = shapes.verdict(m.shape, shape);
    if (verdict === "match") {
      return [gettext("✔ You typed {typed}: the expected shape.", { typed: typed }), "match"];
    }
    var expected = shape.length === 2 ? shape[0] + "×" + shape[1] : describe(shape);
    if (verdict === "size") {
      return [gettext("⚠ You typed {typed}; the answer is {expected}. Check will say so without using an attempt.",
        { typed: typed, expected: expected }), "mismatch"];
    }
    var transposed = shape.length === 2 && m.shape.length === 2 && m.shape[0] === shape[1] && m.shape[1] === shape[0];
    if (transposed) {
      return [gettext("⚠ You typed {typed}; the answer is {expected} (is it transposed?). As typed, Check counts it as a wrong attempt.",
        { typed: typed, expected: expected }), "mismatch"];
    }
    return [gettext("⚠ You typed {typed}; the answer is {expected}. As typed, Check counts it as a wrong attempt.",
      { typed: typed, expected: expected }), "mismatch"];
  }

  function updatePreview(area) {
    var box = document.getElementById(area.getAttribute("data-preview"));
    if (!box || !shapes) {
      return;
    }
    var status = box.querySelector(".shape-status");
    var plain = area.form && area.form.getAttribute("data-expressions") === "off";
    var m = area.value.trim() ? shapes.read(area.value, { expressions: !plain }) : null;
    var text = "";
    var state = "";
    if (m) {
      var said = previewText(m, expectedShape(area.form));
      text = said[0];
      state = said[1];
    }
    box.hidden = !m;
    box.setAttribute("data-state", state);
    status.textContent = text;
    fillGrid(box.querySelector(".matrix-preview"), m);
    announceShape(area, text);
  }

  // The shape is read out once the typing pauses, and only when it changed, not at every keystroke.
  var announceTimers = {};
  function announceShape(area, text) {
    var live = document.getElementById(area.getAttribute("data-preview") + "-live");
    if (!live) {
      return;
    }
    window.clearTimeout(announceTimers[area.id]);
    announceTimers[area.id] = window.setTimeout(function () {
      if (live.textContent !== text) {
        live.textContent = text;
      }
    }, 900);
  }

  function refreshPreviews(root) {
    root.querySelectorAll("textarea[data-preview]").forEach(updatePreview);
  }

  // At once, not debounced: the preview appearing moves the Check button, which must not happen mid-click.
  list.addEventListener("input", function (event) {
    var area = event.target;
    if (area instanceof HTMLTextAreaElement && area.hasAttribute("data-preview")) {
      updatePreview(area);
    }
  });

  // Ctrl+Enter (or Cmd+Enter) in a matrix box checks the answer; a plain Enter starts a new row.
  list.addEventListener("keydown", function (event) {
    var area = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && area instanceof HTMLTextAreaElement && area.form) {
      event.preventDefault();
      area.form.requestSubmit();
    }
  });

  refreshPreviews(list);
})();
