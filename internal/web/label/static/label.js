// Keyboard shortcuts of the labeling workbench. The forms work without
// this script; it only adds keys for every action:
//   1-9 choose a response (in rank mode: append it to the ranking)
//   r   rank mode on/off      j / k  next / previous response
//   a s d f  rate the focused response ideal / acceptable / unacceptable / disallowed
//   c   clauses     m  comment     Enter  save     Esc  back to the keys
//   n   next task (after saving)
(function () {
  "use strict";
  var ratings = { a: "ideal", s: "acceptable", d: "unacceptable", f: "disallowed" };

  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
      (el.tagName === "INPUT" && el.type !== "radio" && el.type !== "checkbox"));
  }

  function taskPage(form) {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".response"));
    var ranking = document.getElementById("ranking");
    var focus = 0;
    var rankMode = ranking.value !== "";
    var pending = null; // an element to focus when the key is released

    function show() {
      cards.forEach(function (c, i) { c.classList.toggle("focused", i === focus); });
      var order = ranking.value ? ranking.value.split(",") : [];
      cards.forEach(function (c) {
        var at = order.indexOf(c.dataset.id);
        c.querySelector(".rank").textContent = at >= 0 ? "rank " + (at + 1) : "";
      });
      document.body.classList.toggle("rankmode", rankMode);
    }
    function setFocus(i) {
      focus = (i + cards.length) % cards.length;
      cards[focus].scrollIntoView({ block: "nearest" });
      show();
    }
    function choose(i) {
      if (i >= cards.length) { return; }
      var id = cards[i].dataset.id;
      if (rankMode) {
        var order = ranking.value ? ranking.value.split(",") : [];
        if (order.indexOf(id) < 0) { order.push(id); }
        ranking.value = order.join(",");
        if (order.length === 1) { cards[i].querySelector('input[name="choice"]').checked = true; }
      } else {
        cards[i].querySelector('input[name="choice"]').checked = true;
      }
      setFocus(i);
    }
    function rate(r) {
      var input = cards[focus].querySelector('input[value="' + r + '"]');
      if (input) { input.checked = true; }
      if (focus < cards.length - 1) { setFocus(focus + 1); } else { show(); }
    }

    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.key === "Escape") { if (t && t.blur) { t.blur(); } return; }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); return; }
      if (typing(t) || e.ctrlKey || e.metaKey || e.altKey) { return; }
      var k = e.key;
      if (k >= "1" && k <= "9") { e.preventDefault(); choose(Number(k) - 1); return; }
      if (ratings[k]) { e.preventDefault(); rate(ratings[k]); return; }
      switch (k) {
        case "j": e.preventDefault(); setFocus(focus + 1); break;
        case "k": e.preventDefault(); setFocus(focus - 1); break;
        case "r":
          e.preventDefault();
          rankMode = !rankMode;
          ranking.value = "";
          show();
          break;
        case "c": {
          e.preventDefault();
          var box = document.querySelector('#clauses input[type="checkbox"]');
          if (box) { box.focus(); }
          break;
        }
        case "m":
          // Focus on the key's release: the character this key press
          // types must not land in the comment.
          e.preventDefault();
          pending = document.getElementById("comment");
          break;
        case "Enter": e.preventDefault(); form.requestSubmit(); break;
      }
    });
    document.addEventListener("keyup", function (e) {
      if (pending && e.key === "m") { pending.focus(); pending = null; }
    });
    ranking.addEventListener("input", show);
    show();
  }

  function donePage(next) {
    document.addEventListener("keydown", function (e) {
      if (!typing(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === "n") {
        e.preventDefault();
        window.location.assign(next.href);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("labelform");
    if (form) { taskPage(form); }
    var next = document.getElementById("nexttask");
    if (next) { donePage(next); }
  });
})();
