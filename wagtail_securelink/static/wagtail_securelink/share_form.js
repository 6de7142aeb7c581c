// Progressive enhancement for the share form: show only the fields that apply to the
// chosen audience. Without JavaScript every field stays on the page, and the server
// ignores those that do not apply (ShareForm.service_kwargs).
(function () {
  'use strict';

  // Field name → the audiences it applies to.
  var APPLIES = {
    recipients: ['specific'],
    language: ['specific'],
    send_invitations: ['specific'],
    password: ['anyone'],
  };

  function wrapper(form, name) {
    var field = form.querySelector('[name="' + name + '"]');
    if (!field) return null;
    return field.closest('[data-field-wrapper]') || field.closest('.w-field__wrapper');
  }

  function update(form) {
    var chosen = form.querySelector('input[name="audience"]:checked');
    var audience = chosen ? chosen.value : null;
    Object.keys(APPLIES).forEach(function (name) {
      var element = wrapper(form, name);
      if (element && audience) element.hidden = APPLIES[name].indexOf(audience) === -1;
    });
  }

  function init() {
    var audiences = document.querySelectorAll('input[name="audience"]');
    if (!audiences.length) return;
    var form = audiences[0].form;
    audiences.forEach(function (input) {
      input.addEventListener('change', function () {
        update(form);
      });
    });
    update(form);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
