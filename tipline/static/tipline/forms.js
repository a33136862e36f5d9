/* Progressive enhancement only: every form works without this file.
 * A form marked data-send-once is sent once: a second click (a double-click, or an
 * impatient click while Argon2id and file cleaning run) is ignored, and the button says
 * that the form is being sent. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-send-once")) {
      return;
    }
    if (form.getAttribute("data-sending") === "yes") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "yes");
    form.setAttribute("aria-busy", "true");
    /* The form's main button: the report form starts with a hidden default button (for Enter). */
    var button = form.querySelector("button.primary[type=submit]") ||
      form.querySelector("button[type=submit]:not(.visually-hidden), button:not([type])");
    var label = form.getAttribute("data-sending-label");
    if (button && label) {
      button.textContent = label;
    }
  });
  /* Back from the next page (the browser's page cache): the form can be used again. */
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.removeAttribute("aria-busy");
    });
  });
})();
