// Passkeys on the visitor pages: "Save a passkey" after a code, "Use a passkey" on the
// verify page. The server decides everything; this file only carries the WebAuthn
// options to navigator.credentials and the answer back. Without it (or without
// passkeys in the browser) the sections stay hidden and the email code is the way in.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) {
    return;
  }

  function fromBase64url(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(section, url, body) {
    var token = section.querySelector("input[name=csrfmiddlewaretoken]").value;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(
        function (data) {
          return { ok: response.ok, data: data };
        },
        function () {
          return { ok: false, data: {} };
        }
      );
    });
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: fromBase64url(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    var key = options.publicKey;
    key.challenge = fromBase64url(key.challenge);
    key.user.id = fromBase64url(key.user.id);
    key.excludeCredentials = descriptors(key.excludeCredentials);
    return { publicKey: key };
  }

  function requestOptions(options) {
    var key = options.publicKey;
    key.challenge = fromBase64url(key.challenge);
    if (key.allowCredentials) {
      key.allowCredentials = descriptors(key.allowCredentials);
    }
    return { publicKey: key };
  }

  function registration(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
    };
  }

  function assertion(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
      },
    };
  }

  function wire(section, ceremony) {
    var button = section.querySelector("[data-passkey-button]");
    var status = section.querySelector("[data-passkey-status]");
    section.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "";
      post(section, section.dataset.optionsUrl)
        .then(function (begun) {
          if (!begun.ok) {
            throw begun.data;
          }
          return ceremony(begun.data);
        })
        .then(function (answer) {
          return post(section, section.dataset.url, answer);
        })
        .then(function (finished) {
          if (finished.ok && finished.data.redirect) {
            window.location.assign(finished.data.redirect);
            return;
          }
          status.textContent = finished.data.message || "";
          if (finished.ok) {
            button.hidden = true;
          }
        })
        .catch(function (error) {
          // The browser's own dialog was cancelled, or the server said no.
          var server = error && !(error instanceof Error) && error.message;
          status.textContent = server || section.dataset.cancelled || "";
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  document.querySelectorAll("[data-passkey-save]").forEach(function (section) {
    wire(section, function (options) {
      return navigator.credentials.create(creationOptions(options)).then(registration);
    });
  });
  document.querySelectorAll("[data-passkey-sign-in]").forEach(function (section) {
    wire(section, function (options) {
      return navigator.credentials.get(requestOptions(options)).then(assertion);
    });
  });
})();
