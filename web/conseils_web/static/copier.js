// "Copier l'adresse": progressive enhancement. Without JavaScript (or without the
// Clipboard API) the button stays hidden and the address stays visible and selectable.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  document.querySelectorAll("button[data-copier]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copier"));
    var announce = document.getElementById(button.getAttribute("data-annonce"));
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value || field.textContent).then(function () {
        if (announce) {
          announce.textContent = "";
          window.setTimeout(function () { announce.textContent = "Adresse copiée"; }, 50);
        }
      }, function () {
        field.focus();
        if (field.select) { field.select(); }
        if (announce) { announce.textContent = "Copie impossible : l'adresse est sélectionnée, copiez-la avec votre téléphone."; }
      });
    });
  });
})();
