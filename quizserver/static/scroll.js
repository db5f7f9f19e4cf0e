// Boxes that scroll sideways (wide tables, wide display formulas) are one named tab stop each, and only
// while their content overflows, so a keyboard user can scroll them with the arrow keys; a box that fits
// adds no tab stop. Tables come wrapped in <div class="scroll" data-scroll-label="..."> from the server;
// a display formula gets such a wrapper here (render.py emits bare <math display="block">).
(function () {
  "use strict";

  // numbered, so that two wide formulas on one page are two landmarks a screen reader can tell apart
  var FORMULA = "Formula {n}, scrolls sideways";
  var LABELS = { "question-text": "Question text, scrolls sideways" };
  var pending = false;

  var formulas = 0;

  function wrap(math, tag, className) {
    var box = document.createElement(tag);
    box.className = className;
    formulas += 1;
    box.setAttribute("data-scroll-label", FORMULA.replace("{n}", String(formulas)));
    math.parentElement.insertBefore(box, math);
    box.appendChild(math);
  }

  // What a formula needs, not the box it got: the stylesheet caps a formula at its paragraph's width.
  function inkWidth(math) {
    var box = math.getBoundingClientRect();
    var left = box.left;
    var right = box.right;
    math.querySelectorAll("*").forEach(function (part) {
      var r = part.getBoundingClientRect();
      if (r.width) {
        left = Math.min(left, r.left);
        right = Math.max(right, r.right);
      }
    });
    return right - left;
  }

  function wrapFormulas() {
    document.querySelectorAll('math[display="block"]').forEach(function (math) {
      var parent = math.parentElement;
      if (parent && !parent.classList.contains("scroll")) {
        wrap(math, "div", "scroll math-scroll");
      }
    });
    // An inline formula wider than its paragraph gets a line and a scroll box of its own, rather than making
    // the whole question text or solution scroll (where a keyboard could not reach it and nothing shows it).
    document.querySelectorAll('math:not([display="block"])').forEach(function (math) {
      var parent = math.parentElement;
      var text = math.closest("p, li, td, th, dd, label, section, div");
      if (!parent || !text || parent.classList.contains("scroll") || math.closest(".scroll")) {
        return;
      }
      if (inkWidth(math) > text.clientWidth + 1) {
        wrap(math, "span", "scroll math-scroll math-scroll-inline");
      }
    });
  }

  function update() {
    pending = false;
    wrapFormulas();
    // .question-text scrolls as a whole when an inline formula is wider than the screen
    document.querySelectorAll(".scroll, .question-text").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", box.getAttribute("data-scroll-label") || LABELS[box.className] || "Scrolls sideways");
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  function later() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(update);
    }
  }

  update();
  window.addEventListener("resize", later);
  window.addEventListener("load", later); // the math font may widen a formula once it arrives
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(later);
  }
  // quiz.js replaces a question's markup after an answer or a reveal
  if (window.MutationObserver) {
    new MutationObserver(later).observe(document.body, { childList: true, subtree: true });
  }
})();
