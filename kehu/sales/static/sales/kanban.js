/* The sales kanban board: drag a card (or pick "Move to" in its menu) to change the deal's stage.
   The move is a POST to the deal's move URL (CSRF header from <body hx-headers>); a refused move
   shows the server's message and the card snaps back; a lost column asks for the reason first. */
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function show(board, ok, message) {
    var good = document.getElementById("kanban-ok");
    var bad = document.getElementById("kanban-error");
    (ok ? bad : good).classList.add("d-none");
    var el = ok ? good : bad;
    el.textContent = message;
    el.classList.remove("d-none");
  }

  function updateColumns(board, columns) {
    Object.keys(columns || {}).forEach(function (stage) {
      var col = board.querySelector('.kanban-col[data-stage="' + stage + '"]');
      if (!col) return;
      col.querySelector("[data-count]").textContent = columns[stage].count;
      col.querySelector("[data-amount-total]").textContent = columns[stage].amount;
    });
  }

  function askLostReason(done) {
    var modalEl = document.getElementById("lost-modal");
    var form = document.getElementById("lost-form");
    var input = document.getElementById("lost-reason");
    var modal = window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(modalEl) : null;
    if (!modal) {
      done(window.prompt(document.getElementById("kanban").dataset.lostPrompt) || null);
      return;
    }
    var answered = false;
    input.value = "";
    form.onsubmit = function (event) {
      event.preventDefault();
      if (!input.value.trim()) return;
      answered = true;
      modal.hide();
      done(input.value.trim());
    };
    modalEl.addEventListener("hidden.bs.modal", function once() {
      modalEl.removeEventListener("hidden.bs.modal", once);
      if (!answered) done(null);
    });
    modal.show();
    modalEl.addEventListener("shown.bs.modal", function focus() {
      modalEl.removeEventListener("shown.bs.modal", focus);
      input.focus();
    });
  }

  function move(board, card, target, origin, next) {
    var stage = target.dataset.stage;
    var send = function (reason) {
      if (reason === null) {
        snapBack(card, origin, next);
        return;
      }
      var body = new URLSearchParams();
      body.set("stage", stage);
      body.set("version", card.dataset.version);
      if (reason) body.set("lost_reason", reason);
      card.classList.add("opacity-50");
      fetch(card.dataset.moveUrl + "?" + board.dataset.query, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: body,
        credentials: "same-origin"
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          card.classList.remove("opacity-50");
          if (!result.ok || !result.data.ok) {
            snapBack(card, origin, next);
            show(board, false, (result.data && result.data.message) || board.dataset.failed);
            return;
          }
          card.dataset.version = result.data.version;
          card.dataset.stage = result.data.stage;
          updateColumns(board, result.data.columns);
          show(board, true, result.data.message);
          board.dispatchEvent(new CustomEvent("kanban:moved", { detail: result.data }));
        })
        .catch(function () {
          card.classList.remove("opacity-50");
          snapBack(card, origin, next);
          show(board, false, board.dataset.failed);
        });
    };
    if (target.dataset.kind === "lost") askLostReason(send);
    else send("");
  }

  function snapBack(card, origin, next) {
    var cards = origin.querySelector("[data-drop]");
    if (next && next.parentNode === cards) cards.insertBefore(card, next);
    else cards.insertBefore(card, cards.querySelector(".load-more"));
  }

  function place(target, card) {
    var cards = target.querySelector("[data-drop]");
    cards.insertBefore(card, cards.firstChild);
  }

  function init() {
    var board = document.getElementById("kanban");
    if (!board) return;
    var dragged = null;
    var origin = null;
    var next = null;

    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest(".deal-card[draggable=true]");
      if (!card) return;
      dragged = card;
      origin = card.closest(".kanban-col");
      next = card.nextElementSibling;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.deal);
      card.classList.add("dragging");
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      board.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
    });
    board.addEventListener("dragover", function (event) {
      var col = event.target.closest(".kanban-col");
      if (!col || !dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      board.querySelectorAll(".drop-target").forEach(function (c) {
        if (c !== col) c.classList.remove("drop-target");
      });
      col.classList.add("drop-target");
    });
    board.addEventListener("drop", function (event) {
      var col = event.target.closest(".kanban-col");
      if (!col || !dragged) return;
      event.preventDefault();
      col.classList.remove("drop-target");
      var card = dragged;
      dragged = null;
      if (col === origin) return;
      place(col, card);
      move(board, card, col, origin, next);
    });
    // One "Move to" menu for the whole board, copied into a card's menu when it opens (the
    // board renders hundreds of cards: one menu each would be most of the page).
    board.addEventListener("show.bs.dropdown", function (event) {
      var card = event.target.closest(".deal-card");
      var menu = card && card.querySelector("[data-move-menu]");
      var source = document.getElementById("move-menu");
      if (!menu || !source) return;
      var here = card.closest(".kanban-col").dataset.stage;
      menu.replaceChildren(source.content.cloneNode(true));
      menu.querySelectorAll("[data-move-to]").forEach(function (item) {
        if (item.dataset.moveTo === here) item.parentNode.remove();
      });
    });
    board.addEventListener("click", function (event) {
      var item = event.target.closest("[data-move-to]");
      if (!item) return;
      var card = item.closest(".deal-card");
      var col = board.querySelector('.kanban-col[data-stage="' + item.dataset.moveTo + '"]');
      var from = card.closest(".kanban-col");
      var after = card.nextElementSibling;
      if (!col) return;
      place(col, card);
      move(board, card, col, from, after);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
