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

  function wrapFormulas() {
    document.querySelectorAll('math[display="block"]').forEach(function (math, index) {
      var parent = math.parentElement;
      if (!parent || parent.classList.contains("scroll")) {
        return;
      }
      var box = document.createElement("div");
      box.className = "scroll math-scroll";
      box.setAttribute("data-scroll-label", FORMULA.replace("{n}", String(index + 1)));
      parent.insertBefore(box, math);
      box.appendChild(math);
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
