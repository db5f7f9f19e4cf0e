// Quiz page enhancements. Every form works without this file (it posts and the server redirects
// back to the question); with it, a submit is sent with fetch() and only that question and the score
// header are replaced, so answers typed into other questions stay where they are.
(function () {
  "use strict";

  var list = document.querySelector("ol.questions");
  if (!list || !window.fetch || !window.FormData || !("content" in document.createElement("template"))) {
    return;
  }
  var statusRegion = document.getElementById("quiz-status");
  var OFFLINE = "Could not reach the server, so nothing was sent. Your answer is still in the box: try again.";

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

  function elementFrom(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
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
        parts.push("The worked solution is shown below the question.");
      } else if (!note) {
        parts.push("New numbers: the question has changed.");
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
      strong.textContent = "Not sent. ";
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
    var body = new FormData(form);
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
            if (!response.ok || !data.question_html) {
              showProblem(item, data.error || "The server could not take this answer. Please reload the page.");
              return;
            }
            var locator = focusLocator(item);
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
        showProblem(item, "Something went wrong while showing the result. Please reload the page.");
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
  // A lenient reading of what was typed, only to show its shape; the server remains the judge.

  var DASHES = /[\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d]/g;
  var SPACES = /[\u00a0\u2009\u202f\u2007\u3000\t\r]/g;
  var MAX_PREVIEW_CELLS = 144;

  function bracketsBalance(text) {
    var depth = 0;
    for (var i = 0; i < text.length; i += 1) {
      var c = text.charAt(i);
      if (c === "[" || c === "(") {
        depth += 1;
      } else if (c === "]" || c === ")") {
        depth -= 1;
        if (depth < 0) {
          return false;
        }
      }
    }
    return depth === 0;
  }

  function splitTop(text, separators) {
    var parts = [];
    var depth = 0;
    var start = 0;
    for (var i = 0; i < text.length; i += 1) {
      var c = text.charAt(i);
      if (c === "[" || c === "(") {
        depth += 1;
      } else if (c === "]" || c === ")") {
        depth -= 1;
      } else if (depth === 0 && separators.indexOf(c) !== -1) {
        parts.push(text.slice(start, i));
        start = i + 1;
      }
    }
    parts.push(text.slice(start));
    return parts;
  }

  function nonBlank(part) {
    return part.trim() !== "";
  }

  function wrapped(text) {
    return text.charAt(0) === "[" && text.charAt(text.length - 1) === "]" && bracketsBalance(text.slice(1, -1));
  }

  function entriesOf(row) {
    row = row.trim();
    var parts = splitTop(row, ",").length > 1 ? splitTop(row, ",") : splitTop(row, " \n");
    return parts.map(function (p) { return p.trim(); }).filter(nonBlank);
  }

  // {cells, rows, cols, vector} or {error}; null for an empty box.
  function readMatrix(raw) {
    var text = raw.replace(DASHES, "-").replace(SPACES, " ").trim();
    if (!text) {
      return null;
    }
    if (!bracketsBalance(text)) {
      return { error: "The brackets do not match yet." };
    }
    var bracketed = wrapped(text);
    var inner = bracketed ? text.slice(1, -1).trim() : text;
    var nested = bracketed && inner.charAt(0) === "[";
    var rows;
    if (nested) {
      var items = splitTop(inner, ",").filter(nonBlank);
      if (items.length === 1) {
        items = splitTop(inner, " \n").filter(nonBlank);
      }
      rows = items.map(function (item) {
        item = item.trim();
        return wrapped(item) ? item.slice(1, -1) : item;
      });
    } else {
      rows = splitTop(inner, ";\n").filter(nonBlank);
    }
    var cells = rows.map(entriesOf).filter(function (r) { return r.length > 0; });
    if (!cells.length) {
      return { error: "The matrix is empty." };
    }
    for (var r = 1; r < cells.length; r += 1) {
      if (cells[r].length !== cells[0].length) {
        return { error: "Row " + (r + 1) + " has " + count(cells[r].length) + ", row 1 has " + cells[0].length + "." };
      }
    }
    return { cells: cells, rows: cells.length, cols: cells[0].length, vector: !nested && cells.length === 1 };
  }

  function count(n) {
    return n === 1 ? "1 entry" : n + " entries";
  }

  function expectedShape(form) {
    var raw = (form && form.getAttribute("data-shape")) || "";
    return raw ? raw.split("x").map(Number) : [];
  }

  function describe(m) {
    if (m.vector) {
      return "a vector of " + count(m.cols);
    }
    return m.rows + "×" + m.cols + " matrix";
  }

  function verdict(m, shape) {
    if (shape.length === 1) {
      var isVector = m.vector || m.rows === 1 || m.cols === 1;
      return isVector && m.rows * m.cols === shape[0];
    }
    if (shape.length === 2) {
      return (m.rows === shape[0] && m.cols === shape[1]) || (m.vector && shape[0] === 1 && m.cols === shape[1]);
    }
    return null;
  }

  function expectedText(shape) {
    return shape.length === 1 ? "a vector of " + count(shape[0]) : shape[0] + "×" + shape[1];
  }

  function fillGrid(table, m) {
    var body = table.tBodies[0] || table.createTBody();
    body.replaceChildren();
    if (!m || m.error || m.rows * m.cols > MAX_PREVIEW_CELLS) {
      table.hidden = true;
      return;
    }
    m.cells.forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (entry) {
        tr.insertCell().textContent = entry.length > 12 ? entry.slice(0, 11) + "…" : entry;
      });
    });
    table.hidden = false;
  }

  function updatePreview(area) {
    var box = document.getElementById(area.getAttribute("data-preview"));
    if (!box) {
      return;
    }
    var status = box.querySelector(".shape-status");
    var m = readMatrix(area.value);
    var shape = expectedShape(area.form);
    var text = "";
    var state = "";
    if (m && m.error) {
      text = "⚠ Not a matrix yet: " + m.error;
      state = "pending";
    } else if (m) {
      var ok = verdict(m, shape);
      if (ok === true) {
        text = "✔ You typed " + describe(m) + ": the expected shape.";
        state = "match";
      } else if (ok === false) {
        var transposed = shape.length === 2 && m.rows === shape[1] && m.cols === shape[0];
        text = "⚠ You typed " + describe(m) + "; the answer is " + expectedText(shape) +
          (transposed ? " (is it transposed?)." : ".");
        state = "mismatch";
      } else {
        text = "You typed " + describe(m) + ".";
      }
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
