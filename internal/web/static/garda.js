// Garda's only script: small conveniences that the pages work without.
// No framework, nothing fetched; loaded from /static so the CSP needs no
// 'unsafe-inline'.
(function () {
  "use strict";

  // A form with data-confirm asks before it is sent (disabling an account).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      ev.preventDefault();
    }
  });

  // Rows of a table marked data-href-rows open their first link when
  // clicked anywhere, which is handier on a touch screen.
  document.addEventListener("click", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr");
    if (!row || ev.target.closest("a, button, input, select, textarea, summary")) return;
    if (!row.closest("table[data-href-rows]")) return;
    var link = row.querySelector("a[href]");
    if (link) link.click();
  });

  // On a phone the navigation is a strip that scrolls sideways: bring the
  // current page's entry into view.
  if (window.matchMedia("(max-width: 760px)").matches) {
    var current = document.querySelector(".sidenav a.current");
    if (current) current.scrollIntoView({ block: "nearest", inline: "center" });
  }
})();
