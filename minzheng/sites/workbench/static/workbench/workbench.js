/* minzheng workbench — the page's own behaviour, no inline script or handler (the CSP allows only
   this site's script files). Loaded with defer after htmx. */
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (a <noscript> button stays for no JS)
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });

  // <button data-remove-on-success hx-post=…>: a reveal is offered once; gone after it succeeded
  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail && event.detail.elt;
    if (el && el.hasAttribute && el.hasAttribute("data-remove-on-success") && event.detail.successful) {
      el.remove();
    }
  });

  // a refused htmx request that explains itself in plain text (e.g. 429 查看明文过多) is shown in
  // the page's alert area instead of failing silently
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr) { return; }
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/plain") !== 0 || !xhr.responseText) { return; }
    var box = document.getElementById("page-alert");
    if (!box) { return; }
    box.textContent = xhr.responseText;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  });
})();
