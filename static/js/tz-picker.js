/* The time-zone picker (templates/programs/_tz_picker.html): a text field whose htmx
   suggestions become a listbox to arrow through. Enter or a click picks a zone and asks the
   form to re-render (its hx-trigger is "change"); what is typed never does. */
(function () {
  "use strict";
  var INPUT = "[data-tz-picker] input[role=combobox]";

  function parts(picker) {
    return {
      input: picker.querySelector("input[role=combobox]"),
      list: picker.querySelector("[role=listbox]"),
    };
  }

  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[role=option][data-zone]"));
  }

  function setOpen(picker, open) {
    var p = parts(picker);
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) p.input.removeAttribute("aria-activedescendant");
  }

  function activate(picker, index) {
    var p = parts(picker);
    options(p.list).forEach(function (option, i) {
      var active = i === index;
      option.setAttribute("aria-selected", active ? "true" : "false");
      option.classList.toggle("active", active);
      if (active) {
        p.input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function choose(picker, option) {
    var p = parts(picker);
    p.input.value = option.getAttribute("data-zone");
    p.input.setAttribute("data-current", p.input.value);
    setOpen(picker, false);
    if (!p.input.form) return;
    if (window.htmx) window.htmx.trigger(p.input.form, "change");
    else p.input.form.submit();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    var picker = list.closest && list.closest("[data-tz-picker]");
    if (!picker || list.getAttribute("role") !== "listbox") return;
    var focused = document.activeElement === parts(picker).input;
    setOpen(picker, focused && list.children.length > 0);
    if (options(list).length) activate(picker, -1);
  });

  // Typing fires "change" on blur; keep it from re-rendering the form with half a name.
  document.addEventListener(
    "change",
    function (event) {
      if (event.target.matches && event.target.matches(INPUT)) event.stopPropagation();
    },
    true
  );

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(INPUT)) return;
    var picker = input.closest("[data-tz-picker]");
    var list = parts(picker).list;
    var all = options(list);
    var current = all.findIndex(function (o) {
      return o.getAttribute("aria-selected") === "true";
    });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) return;
      event.preventDefault();
      setOpen(picker, true);
      var next = event.key === "ArrowDown" ? current + 1 : current - 1;
      if (next >= all.length) next = 0;
      if (next < 0) next = all.length - 1;
      activate(picker, next);
    } else if (event.key === "Enter") {
      if (all.length && input.value !== input.getAttribute("data-current")) {
        event.preventDefault();
        choose(picker, all[current >= 0 ? current : 0]);
      } else if (input.value === input.getAttribute("data-current")) {
        event.preventDefault();
      }
      // Otherwise the form is submitted as typed and the server says what it understood.
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!list.hidden) setOpen(picker, false);
      else input.value = input.getAttribute("data-current");
    }
  });

  // Keep focus in the field while an option is clicked.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("[data-tz-picker] [role=option]")) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-tz-picker] [role=option][data-zone]");
    if (option) choose(option.closest("[data-tz-picker]"), option);
  });

  document.addEventListener("focusout", function (event) {
    var picker = event.target.closest && event.target.closest("[data-tz-picker]");
    if (!picker || (event.relatedTarget && picker.contains(event.relatedTarget))) return;
    setOpen(picker, false);
  });
})();
