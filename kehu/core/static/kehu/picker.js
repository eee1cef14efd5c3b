/* Kehu pickers (kehu/core/pickers.py): a search box over a relation, one or many chosen records.
 * Markup: div[data-picker][data-url][data-name][data-multiple?][data-empty-label?] holding
 * .picker-chips, input.picker-input, ul.picker-list and input[type=hidden][data-picker-value].
 * Event delegation only (no inline scripts, works for content HTMX swaps in). */
(function () {
  "use strict";

  var DELAY = 150;
  var seq = 0;

  function pickerOf(el) { return el && el.closest ? el.closest("[data-picker]") : null; }
  function state(p) {
    if (!p._picker) p._picker = { items: [], active: -1, timer: null, ctrl: null, open: false };
    return p._picker;
  }
  function input(p) { return p.querySelector(".picker-input"); }
  function list(p) { return p.querySelector(".picker-list"); }
  function multiple(p) { return p.hasAttribute("data-multiple"); }
  function t(p, key, fallback) { return p.getAttribute("data-" + key) || fallback; }

  function close(p) {
    var s = state(p);
    s.open = false;
    s.active = -1;
    list(p).hidden = true;
    input(p).setAttribute("aria-expanded", "false");
    input(p).removeAttribute("aria-activedescendant");
  }

  function restore(p) {
    // leaving without choosing: the single picker shows its value's label again
    if (multiple(p)) { input(p).value = ""; return; }
    var box = input(p);
    if (box.value.trim() === "" && p.hasAttribute("data-empty-label")) { choose(p, null); return; }
    box.value = box.getAttribute("data-label") || "";
  }

  function render(p) {
    var s = state(p), ul = list(p), box = input(p);
    ul.textContent = "";
    if (!s.items.length) {
      var none = document.createElement("li");
      none.className = "list-group-item text-secondary small picker-empty";
      none.textContent = t(p, "no-results", "—");
      ul.appendChild(none);
    }
    s.items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.className = "list-group-item list-group-item-action picker-option" + (i === s.active ? " active" : "");
      li.id = box.id + "-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === s.active ? "true" : "false");
      li.dataset.index = String(i);
      li.dataset.value = item.value;
      var label = document.createElement("span");
      label.className = "picker-option-label";
      label.textContent = item.label;
      li.appendChild(label);
      if (item.context) {
        var ctx = document.createElement("span");
        ctx.className = "picker-option-context small";
        ctx.textContent = item.context;
        li.appendChild(ctx);
      }
      if (item.empty) li.classList.add("fst-italic");
      ul.appendChild(li);
    });
    ul.hidden = false;
    s.open = true;
    box.setAttribute("aria-expanded", "true");
    if (s.active >= 0) {
      box.setAttribute("aria-activedescendant", box.id + "-opt-" + s.active);
      var el = ul.children[s.active];
      if (el && el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }

  function chosenValues(p) {
    return Array.prototype.map.call(p.querySelectorAll("input[data-picker-value]"), function (h) { return h.value; });
  }

  function search(p) {
    var s = state(p), box = input(p), q = box.value;
    if (!multiple(p) && q === box.getAttribute("data-label")) q = "";  // focus on a chosen value: browse
    var url = new URL(p.getAttribute("data-url"), window.location.href);
    url.searchParams.set("q", q.trim());
    if (s.ctrl) s.ctrl.abort();
    s.ctrl = window.AbortController ? new AbortController() : null;
    var mine = ++seq;
    s.seq = mine;
    p.classList.add("picker-loading");
    fetch(url.toString(), { credentials: "same-origin", headers: { "Accept": "application/json" }, signal: s.ctrl ? s.ctrl.signal : undefined })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        if (s.seq !== mine || document.activeElement !== box) return;
        var taken = multiple(p) ? chosenValues(p) : [];
        var items = (data.results || []).filter(function (r) { return taken.indexOf(r.value) < 0; });
        if (!multiple(p) && p.hasAttribute("data-empty-label") && !q.trim()) {
          items.unshift({ value: "", label: p.getAttribute("data-empty-label"), context: "", empty: true });
        }
        s.items = items;
        s.active = items.length ? 0 : -1;
        render(p);
      })
      .catch(function () { /* aborted or offline: the next keystroke asks again */ })
      .then(function () { if (s.seq === mine) p.classList.remove("picker-loading"); });
  }

  function schedule(p) {
    var s = state(p);
    clearTimeout(s.timer);
    s.timer = setTimeout(function () { search(p); }, DELAY);
  }

  function hiddenInput(p, value) {
    var h = document.createElement("input");
    h.type = "hidden";
    h.name = p.getAttribute("data-name");
    h.value = value;
    h.setAttribute("data-picker-value", "");
    if (p.getAttribute("data-form")) h.setAttribute("form", p.getAttribute("data-form"));
    return h;
  }

  function choose(p, item) {
    var box = input(p);
    if (multiple(p)) {
      if (item && item.value !== "" && chosenValues(p).indexOf(item.value) < 0) {
        p.appendChild(hiddenInput(p, item.value));
        var chip = document.createElement("span");
        chip.className = "badge picker-chip";
        chip.dataset.value = item.value;
        chip.appendChild(document.createTextNode(item.label));
        if (item.context) {
          var small = document.createElement("small");
          small.className = "picker-chip-context";
          small.textContent = " " + item.context;
          chip.appendChild(small);
        }
        chip.appendChild(document.createTextNode(" "));
        var x = document.createElement("button");
        x.type = "button";
        x.className = "btn-close";
        x.setAttribute("data-picker-remove", "");
        x.setAttribute("aria-label", (t(p, "remove", "×")) + " " + item.label);
        chip.appendChild(x);
        p.querySelector(".picker-chips").appendChild(chip);
      }
      box.value = "";
    } else {
      var hidden = p.querySelector("input[data-picker-value]");
      if (!hidden) { hidden = hiddenInput(p, ""); p.appendChild(hidden); }
      hidden.value = item ? item.value : "";
      box.value = item && !item.empty ? item.label : "";
      box.setAttribute("data-label", box.value);
      var ctx = p.querySelector(".picker-context");
      if (ctx) ctx.textContent = item && item.context ? item.context : "";
    }
    close(p);
    changed(p);
  }

  // The picker's own "change" (a record chosen or removed) comes from its search box, so
  // ``hx-trigger="change from:#id_x"`` works; the box's native change (typing) is not one.
  function changed(p) {
    var ev = new Event("change", { bubbles: true });
    ev.kehuPicker = true;
    input(p).dispatchEvent(ev);
  }
  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("picker-input") && !e.kehuPicker) {
      e.stopImmediatePropagation();
    }
  }, true);

  function removeChip(p, chip) {
    var value = chip.dataset.value;
    p.querySelectorAll("input[data-picker-value]").forEach(function (h) { if (h.value === value) h.remove(); });
    chip.remove();
    changed(p);
  }

  document.addEventListener("input", function (e) {
    if (!e.target.classList || !e.target.classList.contains("picker-input")) return;
    if (e.isComposing) return;  // IME: ask once the characters are composed
    schedule(pickerOf(e.target));
  });
  document.addEventListener("compositionend", function (e) {
    if (e.target.classList && e.target.classList.contains("picker-input")) schedule(pickerOf(e.target));
  });
  document.addEventListener("focusin", function (e) {
    if (!e.target.classList || !e.target.classList.contains("picker-input")) return;
    // focus alone opens nothing (HTMX gives focus back after a swap): a click, typing or ↓ does
    if (!multiple(pickerOf(e.target))) e.target.select();
  });
  document.addEventListener("focusout", function (e) {
    if (!e.target.classList || !e.target.classList.contains("picker-input")) return;
    var p = pickerOf(e.target);
    clearTimeout(state(p).timer);
    if (state(p).open) close(p);
    restore(p);
  });
  document.addEventListener("keydown", function (e) {
    if (!e.target.classList || !e.target.classList.contains("picker-input") || e.isComposing) return;
    var p = pickerOf(e.target), s = state(p), n = s.items.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!s.open) { search(p); return; }
      if (!n) return;
      s.active = e.key === "ArrowDown" ? (s.active + 1) % n : (s.active - 1 + n) % n;
      render(p);
    } else if (e.key === "Enter") {
      if (s.open) {
        e.preventDefault();  // choosing never submits the form
        if (s.active >= 0 && s.items[s.active]) choose(p, s.items[s.active]);
      }
    } else if (e.key === "Escape") {
      if (s.open) { e.preventDefault(); e.stopPropagation(); close(p); restore(p); }
    } else if (e.key === "Backspace" && multiple(p) && e.target.value === "") {
      var chips = p.querySelectorAll(".picker-chip");
      if (chips.length) removeChip(p, chips[chips.length - 1]);
    }
  });
  // mousedown, not click: choosing happens before the input loses focus
  document.addEventListener("mousedown", function (e) {
    var option = e.target.closest && e.target.closest(".picker-option");
    if (!option) return;
    e.preventDefault();
    var p = pickerOf(option);
    choose(p, state(p).items[Number(option.dataset.index)]);
  });
  document.addEventListener("click", function (e) {
    var x = e.target.closest && e.target.closest("[data-picker-remove]");
    if (x) { e.preventDefault(); removeChip(pickerOf(x), x.closest(".picker-chip")); return; }
    var p = pickerOf(e.target);
    if (!p || e.target.closest(".picker-list")) return;
    input(p).focus();
    if (!state(p).open) schedule(p);
  });

  // Attachments: drop files on the card's drop zone (the file input's change submits it)
  function zone(e) { return e.target.closest ? e.target.closest("[data-dropzone]") : null; }
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var z = zone(e);
      if (!z) return;
      e.preventDefault();
      z.classList.add("dropzone-over");
    });
  });
  document.addEventListener("dragleave", function (e) {
    var z = zone(e);
    if (z && !z.contains(e.relatedTarget)) z.classList.remove("dropzone-over");
  });
  document.addEventListener("drop", function (e) {
    var z = zone(e);
    if (!z) return;
    e.preventDefault();
    z.classList.remove("dropzone-over");
    var fileInput = z.querySelector("input[type=file]");
    if (!fileInput || !e.dataTransfer || !e.dataTransfer.files.length) return;
    fileInput.files = e.dataTransfer.files;
    fileInput.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
