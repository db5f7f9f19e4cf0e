// The page's language in its scripts: the translations the server put into #i18n-catalog (quizserver/i18n.py).
// gettext("You typed {shape}.", {shape: "…"}) returns the reader's text; an English page has no catalog and
// gets the English back. feedback(message) translates the grader's sentences as the server does
// (quizserver/grading/messages.py), for the messages answer-shape.js writes in the browser.
(function () {
  "use strict";

  var catalog = {};
  var node = document.getElementById("i18n-catalog");
  if (node) {
    try {
      catalog = JSON.parse(node.textContent) || {};
    } catch (error) {
      catalog = {};
    }
  }
  var strings = catalog.strings || {};
  var known = catalog.feedback || null;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function gettext(message, values) {
    var text = Object.prototype.hasOwnProperty.call(strings, message) && strings[message] ? strings[message] : message;
    return fill(text, values);
  }

  // A pattern this browser cannot compile is left out: its sentence then shows in English, nothing breaks.
  function compile(pairs) {
    var compiled = [];
    (pairs || []).forEach(function (pair) {
      try {
        compiled.push({ sticky: new RegExp(pair[0], "y"), whole: new RegExp("^(?:" + pair[0] + ")$"), text: pair[1] });
      } catch (error) {
        return;
      }
    });
    return compiled;
  }

  var sentences = known ? compile(known.sentences) : [];
  var phrases = known ? compile(known.phrases) : [];
  var NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/;

  function value(name, text) {
    if (name === "tolerance" || name === "shape" || name === "precision") {
      for (var i = 0; i < phrases.length; i++) {
        var found = phrases[i].whole.exec(text);
        if (found) {
          return translated(phrases[i].text, found.groups || {});
        }
      }
      return text;
    }
    return name === "number" && known.comma && NUMBER.test(text) ? text.replace(".", ",") : text;
  }

  function translated(template, groups) {
    var values = {};
    Object.keys(groups).forEach(function (name) {
      if (groups[name] !== undefined) {
        values[name] = value(name, groups[name]);
      }
    });
    return fill(template, values);
  }

  function sentenceAt(message, position) {
    for (var i = 0; i < sentences.length; i++) {
      var pattern = sentences[i].sticky;
      pattern.lastIndex = position;
      var found = pattern.exec(message);
      if (found) {
        var end = position + found[0].length;
        if (end === message.length || /\s/.test(message.charAt(end))) {
          return { end: end, text: translated(sentences[i].text, found.groups || {}) };
        }
      }
    }
    return null;
  }

  function plain(message) {
    var parts = [];
    var position = 0;
    var unknownFrom = 0;
    while (position < message.length) {
      var found = position === 0 || /\s/.test(message.charAt(position - 1)) ? sentenceAt(message, position) : null;
      if (!found) {
        position += 1;
        continue;
      }
      var between = message.slice(unknownFrom, position).trim();
      if (between) {
        parts.push(between);
      }
      parts.push(found.text);
      position = unknownFrom = found.end;
    }
    var rest = message.slice(unknownFrom).trim();
    if (rest) {
      parts.push(rest);
    }
    return parts.join(" ");
  }

  function feedback(message) {
    if (!known || !message) {
      return message;
    }
    var row = /^Row (\d+): ([\s\S]+)$/.exec(message);
    if (row) {
      var inner = row[2].charAt(0).toUpperCase() + row[2].slice(1);
      return fill(known.row, { row: row[1], message: plain(inner) });
    }
    return plain(message);
  }

  window.quizI18n = { gettext: gettext, feedback: feedback, language: document.documentElement.lang || "en" };
})();
