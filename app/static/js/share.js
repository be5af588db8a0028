/* Hongxin: the "copy link" button of an activity (<button data-copy="input id" data-copied="message">).
   A file, not an inline script: the Content-Security-Policy allows only 'self'. WeChat's browser may
   refuse the Clipboard API, so the input is selected as well: a long press then copies it. */
document.addEventListener("click", function (event) {
  var button = event.target instanceof Element && event.target.closest("[data-copy]");
  if (!button) return;
  var input = document.getElementById(button.dataset.copy);
  var status = document.querySelector("[data-copy-status]");
  input.select();
  function done() { if (status) status.textContent = button.dataset.copied; }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, function () {});
  } else if (document.execCommand && document.execCommand("copy")) {
    done();
  }
});
