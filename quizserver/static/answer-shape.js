// How the grader will read a typed vector or matrix, in the browser: the rules of quizserver/grading/parse.py
// (rows, entries, brackets, expressions) and the shape rule of grading/grade.py, message for message, so the
// preview under an answer box never promises what Check then refuses. tests/e2e/test_answer_syntax.py runs one
// table of answers through both and fails when they disagree. The server stays the judge; this only reads.
(function () {
  "use strict";

  var MAX_ANSWER_LENGTH = 5000;
  var MAX_ENTRY_LENGTH = 500;
  var DASHES = /[\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d]/g;
  var TIMES = /[\u00d7\u00b7\u22c5]/g;
  var SPACES = /[\u00a0\u2009\u202f\u2007\u3000\t\r]/g;
  var OPERATORS = "+-*/^";
  var CONSTANTS = { pi: Math.PI, "\u03c0": Math.PI, e: Math.E };

  function sigmoid(x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    var z = Math.exp(x);
    return z / (1 + z);
  }

  function logarithm(log) {
    return function (x) {
      if (x <= 0) {
        throw new AnswerError("The logarithm of zero or a negative number is not a real number.");
      }
      return log(x);
    };
  }

  var FUNCTIONS = {
    exp: Math.exp, log: logarithm(Math.log), ln: logarithm(Math.log), log10: logarithm(Math.log10),
    log2: logarithm(Math.log2), abs: Math.abs, sin: Math.sin, cos: Math.cos, tan: Math.tan, tanh: Math.tanh,
    sigmoid: sigmoid,
    sqrt: function (x) {
      if (x < 0) {
        throw new AnswerError("The square root of a negative number is not a real number.");
      }
      return Math.sqrt(x);
    },
  };

  var EMPTY_ENTRY = "There is an empty entry: check for two commas in a row or a trailing comma.";
  var NESTED_TOO_DEEP = "Brackets are nested more than two levels deep; a matrix looks like [[1, 2], [3, 4]].";
  var MIXED_STYLES = "Write a matrix either as [[1, 2], [3, 4]] or as [1 2; 3 4], not a mix of both.";
  var ROW_BRACKETS = "Every row needs its own brackets, e.g. [[1, 2], [3, 4]]; a vector is [1, 2, 3].";
  var NOT_ALLOWED = "Only numbers, + - * / ^, parentheses and functions such as sqrt(2) are allowed.";

  function AnswerError(message) {
    this.message = message;
  }

  function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function finite(x) {
    if (isNaN(x)) {
      throw new AnswerError("The result is not a number (nan).");
    }
    if (!isFinite(x)) {
      throw new AnswerError("The number is too large.");
    }
    return x;
  }

  // ------------------------------------------------------------------ one entry: a number or an expression

  var TOKEN = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_\u03c0][A-Za-z0-9_]*)|(\*\*|[-+*/^(),]))/y;

  function tokens(text) {
    var list = [];
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < text.length) {
      var start = TOKEN.lastIndex;
      var match = TOKEN.exec(text);
      if (!match) {
        if (/^\s*$/.test(text.slice(start))) {
          break;
        }
        return { error: start };
      }
      if (match[1] !== undefined) {
        list.push({ kind: "number", text: match[1], at: start });
      } else if (match[2] !== undefined) {
        list.push({ kind: "name", text: match[2], at: start });
      } else {
        list.push({ kind: "op", text: match[3] === "**" ? "^" : match[3], at: start });
      }
    }
    return { list: list };
  }

  function unknownName(text) {
    var names = text.match(/(^|[^0-9.A-Za-z_])([A-Za-z_\u03c0][A-Za-z0-9_]*)/g) || [];
    for (var i = 0; i < names.length; i += 1) {
      var name = names[i].replace(/^[^A-Za-z_\u03c0]/, "");
      var folded = name.toLowerCase();
      if (!has(CONSTANTS, folded) && !has(FUNCTIONS, folded)) {
        return name;
      }
    }
    return null;
  }

  function near(text, index) {
    var start = Math.max(0, index - 4);
    var end = Math.min(text.length, index + 6);
    while (start > 0 && start > index - 24 && /[A-Za-z0-9_.]/.test(text.charAt(start - 1))) {
      start -= 1;
    }
    while (end < text.length && end < index + 24 && /[A-Za-z0-9_.]/.test(text.charAt(end))) {
      end += 1;
    }
    return text.slice(start, end).trim() || text.trim();
  }

  function syntaxError(text) {
    if (/(?:\d(?![eE][+-]?\d)|\))\s*[A-Za-z_(\u03c0]/.test(text)) {
      return new AnswerError("Multiplication needs an explicit *, e.g. 2*pi or 3*(1+x).");
    }
    var unknown = unknownName(text);
    if (unknown !== null) {
      return new AnswerError("Unknown name '" + unknown + "'.");
    }
    return new AnswerError("Could not read the answer.");
  }

  // A recursive-descent reading of Python's arithmetic, as ast.parse + parse._evaluate allow it.
  function Reader(list, text) {
    this.list = list;
    this.at = 0;
    this.text = text;
  }
  Reader.prototype.peek = function () {
    return this.list[this.at] || null;
  };
  Reader.prototype.isOp = function (ops) {
    var token = this.peek();
    return token !== null && token.kind === "op" && ops.indexOf(token.text) !== -1;
  };
  Reader.prototype.fail = function () {
    throw syntaxError(this.text);
  };
  Reader.prototype.sum = function () {
    var value = this.product();
    while (this.isOp(["+", "-"])) {
      var op = this.list[this.at++].text;
      var right = this.product();
      value = finite(op === "+" ? value + right : value - right);
    }
    return value;
  };
  Reader.prototype.product = function () {
    var value = this.unary();
    while (this.isOp(["*", "/"])) {
      var op = this.list[this.at++].text;
      var right = this.unary();
      if (op === "/" && right === 0) {
        throw new AnswerError("Division by zero.");
      }
      value = finite(op === "*" ? value * right : value / right);
    }
    return value;
  };
  Reader.prototype.unary = function () {
    if (this.isOp(["-"])) {
      this.at += 1;
      return -this.unary();
    }
    if (this.isOp(["+"])) {
      this.at += 1;
      return this.unary();
    }
    return this.power();
  };
  Reader.prototype.power = function () {
    var base = this.atom();
    if (!this.isOp(["^"])) {
      return base;
    }
    this.at += 1;
    var exponent = this.unary(); // right-associative, and -x binds inside: 2^-3
    if (base === 0 && exponent < 0) {
      throw new AnswerError("Division by zero.");
    }
    if (base < 0 && !Number.isInteger(exponent)) {
      throw new AnswerError("A negative number to a fractional power is not a real number.");
    }
    var result = Math.pow(base, exponent);
    if (!isFinite(result)) {
      throw new AnswerError("The number is too large.");
    }
    return result;
  };
  Reader.prototype.atom = function () {
    var token = this.peek();
    if (token === null) {
      this.fail();
    }
    this.at += 1;
    if (token.kind === "number") {
      if (/^0\d/.test(token.text) && !/^0+(?:[.eE]|$)/.test(token.text)) {
        throw new AnswerError("Numbers cannot start with 0 unless a decimal point follows (write 7, not 07).");
      }
      return finite(Number(token.text));
    }
    if (token.kind === "op" && token.text === "(") {
      var inner = this.sum();
      if (!this.isOp([")"])) {
        this.fail();
      }
      this.at += 1;
      return inner;
    }
    if (token.kind === "name") {
      return this.named(token.text);
    }
    this.fail();
  };
  Reader.prototype.named = function (name) {
    var folded = name.toLowerCase();
    var call = this.isOp(["("]);
    if (!call) {
      if (has(CONSTANTS, folded)) {
        return CONSTANTS[folded];
      }
      if (has(FUNCTIONS, folded)) {
        throw new AnswerError(folded + " is a function: write " + folded + "(...).");
      }
      if (folded === "nan") {
        throw new AnswerError("nan (not a number) is not accepted.");
      }
      if (folded === "inf" || folded === "infinity" || folded === "oo") {
        throw new AnswerError("Infinite values are not accepted.");
      }
      throw new AnswerError("Unknown name '" + name + "'.");
    }
    this.at += 1;
    var args = [];
    if (!this.isOp([")"])) {
      args.push(this.sum());
      while (this.isOp([","])) {
        this.at += 1;
        args.push(this.sum());
      }
    }
    if (!this.isOp([")"])) {
      this.fail();
    }
    this.at += 1;
    if (!has(FUNCTIONS, folded)) {
      if (has(CONSTANTS, folded)) {
        throw new AnswerError(folded + " is a constant, not a function; write " + folded + "*(...) to multiply.");
      }
      throw new AnswerError("Unknown function '" + name + "'.");
    }
    if (args.length !== 1) {
      throw new AnswerError(folded + " takes one argument, got " + args.length + ".");
    }
    return finite(FUNCTIONS[folded](args[0]));
  };

  var PLAIN_NUMBER = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*(?:\/\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*)?$/;
  var expressionsAllowed = true; // a question may switch expressions off: plain numbers and fractions only

  function readEntry(text) {
    text = text.trim();
    if (text.length > MAX_ENTRY_LENGTH) {
      throw new AnswerError("A number or expression is too long (over " + MAX_ENTRY_LENGTH + " characters).");
    }
    if (!expressionsAllowed && !PLAIN_NUMBER.test(text)) {
      readExpression(text); // an unreadable entry gets the more specific message
      throw new AnswerError("Expressions are switched off for this question: enter a plain number such as 0.25 or 1/4.");
    }
    return readExpression(text);
  }

  function readExpression(text) {
    var lexed = tokens(text);
    if (lexed.error !== undefined) {
      throw syntaxError(text);
    }
    if (!lexed.list.length) {
      throw new AnswerError("Could not read the answer.");
    }
    var reader = new Reader(lexed.list, text);
    var value = reader.sum();
    if (reader.peek() !== null) {
      if (reader.isOp([","])) {
        throw new AnswerError("Put several entries in square brackets, e.g. [1, 2, 3].");
      }
      reader.fail();
    }
    return value;
  }

  // ------------------------------------------------------------------ rows and entries

  function checkBrackets(text) {
    var opened = [];
    var closing = { "(": ")", "[": "]" };
    for (var i = 0; i < text.length; i += 1) {
      var c = text.charAt(i);
      if (c === "(" || c === "[") {
        opened.push(c);
      } else if (c === ")" || c === "]") {
        if (!opened.length) {
          throw new AnswerError("There is a " + c + " with no matching opening bracket (at '" + near(text, i) + "').");
        }
        var expected = closing[opened.pop()];
        if (c !== expected) {
          throw new AnswerError("A " + expected + " is missing before the " + c + " (at '" + near(text, i) + "').");
        }
      }
    }
    if (opened.length) {
      throw new AnswerError("The answer is missing a closing " + closing[opened[opened.length - 1]] + ".");
    }
    if (/[{}]/.test(text)) {
      throw new AnswerError("Use square brackets [ ] for matrices and round ones ( ) for grouping, not { }.");
    }
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

  function hasTopLevel(text, separators) {
    return splitTop(text, separators).length > 1;
  }

  function splitOnSpaces(text) {
    var parts = splitTop(text, " \n").map(function (p) { return p.trim(); }).filter(Boolean);
    var joined = [];
    parts.forEach(function (part) {
      // `sin (1)` is one call, not the entries `sin` and `(1)`
      if (joined.length && part.charAt(0) === "(" && has(FUNCTIONS, joined[joined.length - 1].toLowerCase())) {
        part = joined.pop() + " " + part;
      }
      joined.push(part);
    });
    return joined;
  }

  function isOperatorGap(chunks) {
    return chunks.some(function (chunk) {
      return OPERATORS.indexOf(chunk.charAt(chunk.length - 1)) !== -1 || "*/^".indexOf(chunk.charAt(0)) !== -1;
    });
  }

  function matchingClose(text) {
    var depth = 0;
    for (var i = 0; i < text.length; i += 1) {
      var c = text.charAt(i);
      if (c === "(" || c === "[") {
        depth += 1;
      } else if (c === ")" || c === "]") {
        depth -= 1;
        if (depth === 0) {
          return i;
        }
      }
    }
    return -1;
  }

  function bracketed(text) {
    return text.charAt(0) === "[" && matchingClose(text) === text.length - 1;
  }

  function entriesOfRow(row) {
    row = row.trim();
    if (!row) {
      return [];
    }
    if (row.indexOf("[") !== -1) {
      throw new AnswerError(NESTED_TOO_DEEP);
    }
    if (!hasTopLevel(row, ",")) {
      var pieces = splitOnSpaces(row);
      if (pieces.length > 1 && isOperatorGap(pieces)) {
        throw new AnswerError(
          "Spaces around an operator make it unclear where one entry ends: separate entries with commas, e.g. [1 - 2, 3]."
        );
      }
      return pieces.map(readEntry);
    }
    return splitTop(row, ",").map(function (piece) {
      piece = piece.trim();
      if (!piece) {
        throw new AnswerError(EMPTY_ENTRY);
      }
      try {
        return readEntry(piece);
      } catch (error) {
        var chunks = splitOnSpaces(piece);
        if (error instanceof AnswerError && chunks.length > 1 && !isOperatorGap(chunks)) {
          throw new AnswerError("Separate entries either all with commas or all with spaces, not a mix.");
        }
        throw error;
      }
    });
  }

  function entries(n) {
    return n === 1 ? "1 entry" : n + " entries";
  }

  function readRows(rows) {
    var matrix = rows.map(function (row, index) {
      try {
        return entriesOfRow(row);
      } catch (error) {
        if (error instanceof AnswerError && rows.length > 1) {
          var message = error.message;
          throw new AnswerError("Row " + (index + 1) + ": " + message.charAt(0).toLowerCase() + message.slice(1));
        }
        throw error;
      }
    });
    if (matrix.every(function (row) { return !row.length; })) {
      throw new AnswerError("The matrix is empty.");
    }
    for (var r = 1; r < matrix.length; r += 1) {
      if (matrix[r].length !== matrix[0].length) {
        throw new AnswerError("Row " + (r + 1) + " has " + entries(matrix[r].length) + ", row 1 has " +
          matrix[0].length + ".");
      }
    }
    return matrix;
  }

  function readNestedRows(inner) {
    if (hasTopLevel(inner, ";")) {
      throw new AnswerError(MIXED_STYLES);
    }
    var items = splitTop(inner, ",").map(function (item) { return item.trim(); });
    if (items.length === 1) {
      items = splitOnSpaces(inner);
    }
    if (items.some(function (item) { return !item; })) {
      throw new AnswerError(EMPTY_ENTRY);
    }
    if (!items.every(bracketed)) {
      throw new AnswerError(ROW_BRACKETS);
    }
    var rows = items.map(function (item) { return item.slice(1, -1); });
    if (rows.some(function (row) { return hasTopLevel(row, ";"); })) {
      throw new AnswerError(MIXED_STYLES);
    }
    var matrix = readRows(rows);
    return { shape: [matrix.length, matrix[0].length], cells: matrix };
  }

  function readInside(inner) {
    if (inner.trim().charAt(0) === "[") {
      return readNestedRows(inner);
    }
    var rows = splitTop(inner, ";\n").filter(function (row) { return row.trim(); });
    if (!rows.length) {
      throw new AnswerError("The matrix is empty.");
    }
    rows.forEach(function (row) {
      if (splitTop(row, ", ").some(function (item) { return bracketed(item.trim()); })) {
        throw new AnswerError(rows.length > 1 ? MIXED_STYLES : ROW_BRACKETS);
      }
    });
    var matrix = readRows(rows);
    if (rows.length === 1) {
      return { shape: [matrix[0].length], cells: matrix };
    }
    return { shape: [matrix.length, matrix[0].length], cells: matrix };
  }

  function severalEntries(whole) {
    if (whole.charAt(0) === "[") {
      return true;
    }
    if (whole.indexOf("[") !== -1) {
      return false;
    }
    if (hasTopLevel(whole, ",;\n")) {
      return true;
    }
    var chunks = splitOnSpaces(whole);
    return chunks.length > 1 && !isOperatorGap(chunks);
  }

  function readArray(text) {
    if (text.length > MAX_ANSWER_LENGTH) {
      throw new AnswerError("The answer is too long (over " + MAX_ANSWER_LENGTH + " characters).");
    }
    text = text.replace(DASHES, "-").replace(TIMES, "*").replace(SPACES, " ").replace(/\u00f7/g, "/");
    if (!text.trim()) {
      throw new AnswerError("The answer is empty.");
    }
    checkBrackets(text);
    var whole = text.trim();
    if (bracketed(whole)) {
      return readInside(whole.slice(1, -1));
    }
    if (severalEntries(whole)) {
      return readInside(whole);
    }
    if (whole.indexOf("[") !== -1) {
      throw new AnswerError("Square brackets go around a whole vector or matrix, e.g. [1, 2, 3]; use ( ) for grouping.");
    }
    return { shape: [], cells: [[readEntry(whole)]] };
  }

  // {shape: [] | [n] | [r, c], cells: [[number]]} or {error: message}, as parse_array reads the text;
  // options.expressions === false reads it as a question with `expressions: false` does.
  function read(text, options) {
    expressionsAllowed = !(options && options.expressions === false);
    try {
      return readArray(String(text));
    } catch (error) {
      if (error instanceof AnswerError) {
        return { error: error.message };
      }
      return { error: "Could not read the answer." };
    }
  }

  // ------------------------------------------------------------------ the shape rule of grading/grade.py

  function size(shape) {
    return shape.reduce(function (a, b) { return a * b; }, 1);
  }

  function vectorShape(shape) {
    return shape.length === 1 || (shape.length === 2 && (shape[0] === 1 || shape[1] === 1));
  }

  // "match" (graded entry by entry), "arrangement" (as many entries, another shape: graded wrong) or
  // "size" (another number of entries: not graded, no attempt used).
  function verdict(shape, key) {
    if (size(shape) !== size(key)) {
      return "size";
    }
    if (key.length === 0) {
      return "match";
    }
    if (key.length === 1) {
      return shape.length === 0 || vectorShape(shape) ? "match" : "arrangement";
    }
    var answer = shape.length === 0 ? [1, 1] : shape.length === 1 ? [1, shape[0]] : shape;
    return answer[0] === key[0] && answer[1] === key[1] ? "match" : "arrangement";
  }

  function describe(shape) {
    if (shape.length === 0) {
      return "a single number";
    }
    if (shape.length === 1) {
      return "a vector of " + entries(shape[0]);
    }
    return shape[0] + "×" + shape[1] + " matrix";
  }

  window.QuizAnswerShape = { read: read, verdict: verdict, describe: describe, entries: entries };
})();
