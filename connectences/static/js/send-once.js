/* A form carrying a read stamp (hidden "lu_le": workflows.read_stamp, the guard against
   lost updates) is sent once. A double click, or a second tap while the next page loads,
   sent it again with the same stamp: the first sending saved, the second was refused as
   "modified by someone else meanwhile", and that refusal is the answer the browser shows.
   The form may be sent again after a few seconds (an answer that never came, a download
   that left the page as it was) or when the page comes back from the history. Without
   JavaScript the server's guard still keeps every change; only the message may mislead.
   A form marked data-une-fois is sent once the same way: each sending makes something
   anew that ends the one before (an invitation's link, an API token's secret), so a
   double click would mail a link already dead, or make a second token.
   A page answering a form sent (a refusal, its errors shown: body[data-reponse-envoi])
   keeps its address but becomes a plain page in the history: going back to it after the
   form was sent again and accepted opened « Confirmer le nouvel envoi du formulaire »
   (the refused form, sent anew), now the form's page, loaded afresh. */
(function () {
  "use strict";
  if (document.body && document.body.hasAttribute("data-reponse-envoi") && window.history.replaceState) {
    window.history.replaceState(window.history.state, "", window.location.href);
  }
  var AGAIN_AFTER_MS = 8000;
  var sentAt = new WeakMap();
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form || !form.querySelector) { return; }
    if (!form.hasAttribute("data-une-fois") &&
        !form.querySelector("input[type=hidden][name=lu_le]")) { return; }
    var at = sentAt.get(form);
    if (at && Date.now() - at < AGAIN_AFTER_MS) {
      event.preventDefault();
      return;
    }
    sentAt.set(form, Date.now());
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { sentAt = new WeakMap(); }
  });
})();
