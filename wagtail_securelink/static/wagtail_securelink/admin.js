// Progressive enhancement for the share result page: a "Copy link" button.
// Without JavaScript the button stays hidden and the read-only field can be
// selected and copied by hand.
(function () {
  'use strict';

  function copy(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    input.select();
    return document.execCommand('copy')
      ? Promise.resolve()
      : Promise.reject(new Error('copy refused'));
  }

  function init() {
    document.querySelectorAll('[data-securelink-copy]').forEach(function (button) {
      var input = document.getElementById(button.dataset.securelinkCopy);
      var status = button.parentNode.querySelector('[data-securelink-copy-status]');
      if (!input) return;
      input.addEventListener('focus', function () {
        input.select();
      });
      button.hidden = false;
      button.addEventListener('click', function () {
        copy(input).then(
          function () {
            if (status) status.textContent = button.dataset.securelinkCopiedLabel;
          },
          function () {
            input.focus();
            input.select();
          }
        );
      });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
