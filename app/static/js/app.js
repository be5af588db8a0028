/* Hongxin: ask before a destructive plain form post (<form data-confirm="…">). htmx forms use
   hx-confirm instead. A file, not an inline script: the Content-Security-Policy allows only 'self'. */
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
/* A "print" button (<button data-print>): the printable slip of an organizer's one-time code. */
document.addEventListener("click", function (event) {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
/* The "copy link" button of an activity (<button data-copy="input id" data-copied="message">). WeChat's
   browser may refuse the Clipboard API, so the input is selected as well: a long press then copies it. */
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
/* "Choose all" (<input type="checkbox" data-check-all="name">) ticks every box of that name in its form. */
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box instanceof HTMLInputElement && box.dataset.checkAll && box.form) {
    /* form.elements includes the boxes outside the form that name it in their form attribute. */
    Array.prototype.forEach.call(box.form.elements, function (other) {
      if (other.type === "checkbox" && other.name === box.dataset.checkAll) { other.checked = box.checked; }
    });
  }
});
