/* Keyboard focus across htmx partial updates (the wizard, the heat map): the swapped-out
   control was focused, so without this focus falls back to the page. After the swap focus
   goes to what the trigger asked for (data-focus-after-swap="#selector"), else the same
   control in the new markup (by id, by name and value, by aria-label), else the region's
   first heading. */
(function () {
  "use strict";
  var REGIONS = "#wizard, #heatmap";
  var pending = new WeakMap();

  function cssString(value) {
    return '"' + String(value).replace(/["\\]/g, "\\$&") + '"';
  }

  function focusable(el) {
    if (!el) return null;
    if (!el.matches("a[href], button, input, select, textarea, [tabindex]")) {
      el.setAttribute("tabindex", "-1");
    }
    return el;
  }

  function findAgain(region, was) {
    if (was.focusAfter) return focusable(document.querySelector(was.focusAfter));
    if (was.id) {
      var byId = document.getElementById(was.id);
      if (byId && region.contains(byId)) return byId;
    }
    if (was.name) {
      var byName = region.querySelector(
        "[name=" + cssString(was.name) + "][value=" + cssString(was.value) + "]"
      );
      if (byName) return byName;
    }
    if (was.label) {
      var byLabel = region.querySelector("[aria-label=" + cssString(was.label) + "]");
      if (byLabel) return byLabel;
    }
    return focusable(region.querySelector("h2, h3"));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var region = event.detail.target;
    if (!region || !region.matches || !region.matches(REGIONS)) return;
    var active = document.activeElement;
    var trigger = event.detail.elt;
    var from = trigger && trigger.getAttribute("data-focus-after-swap") ? trigger : active;
    if (!from || !region.contains(from)) return;
    pending.set(region, {
      focusAfter: from.getAttribute("data-focus-after-swap"),
      id: from.id,
      name: from.getAttribute("name"),
      value: from.value,
      label: from.getAttribute("aria-label"),
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.detail.target;
    var was = region && pending.get(region);
    if (!was) return;
    pending.delete(region);
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var next = findAgain(region, was);
    if (next) next.focus();
  });
})();

/* Behaviour the templates ask for with data attributes, so pages need no inline handlers
   and run under a Content-Security-Policy with script-src 'self' (together/security.py). */
(function () {
  "use strict";

  // <form data-confirm="Question?">: submit only once the person says yes.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // A series occurrence's Include box enables or disables that occurrence's time.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches(".occ-include")) return;
    var value = box.closest("li").querySelector(".occ-value");
    if (value) value.disabled = !box.checked;
  });

  // An input with data-send-value-as="name" sends its own current value under that name
  // with its htmx request (instead of an hx-vals "js:" expression, which needs eval).
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var name = elt && elt.getAttribute && elt.getAttribute("data-send-value-as");
    if (name) event.detail.parameters[name] = elt.value;
  });
})();
