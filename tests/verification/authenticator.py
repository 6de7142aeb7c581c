"""A software WebAuthn authenticator for the passkey tests.

It holds an EC P-256 key made with ``cryptography`` and answers the options our
endpoints send as a browser would pass on a platform authenticator's answer:
attestation ``none``, user present and verified, a counter that grows on every use.
fido2's data classes build the CBOR and the client data (tests only: the package
itself never writes either).
"""

import hashlib
import json
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

ORIGIN = "https://share.example.test"  # tests/settings.py WAGTAIL_SECURELINK_BASE_URL
RP_ID = "share.example.test"

FLAGS = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.UV


class SoftAuthenticator:
    def __init__(self, rp_id: str = RP_ID, origin: str = ORIGIN):
        self.rp_id = rp_id
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.counter = 0
        self.user_handle = b""

    @property
    def id(self) -> str:
        return websafe_encode(self.credential_id)

    def _rp_hash(self) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest()

    def create(self, options: dict, flags=FLAGS) -> dict:
        """The answer to ``navigator.credentials.create(options)``."""
        key = options["publicKey"]
        self.user_handle = websafe_decode(key["user"]["id"])
        client_data = CollectedClientData.create(
            type="webauthn.create",
            challenge=websafe_decode(key["challenge"]),
            origin=self.origin,
        )
        credential = AttestedCredentialData.create(
            Aaguid.NONE,
            self.credential_id,
            ES256.from_cryptography_key(self.key.public_key()),
        )
        self.counter += 1
        auth_data = AuthenticatorData.create(
            self._rp_hash(),
            flags | AuthenticatorData.FLAG.AT,
            self.counter,
            bytes(credential),
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(bytes(client_data)),
                "attestationObject": websafe_encode(bytes(attestation)),
                "transports": ["internal"],
            },
        }

    def get(self, options: dict, *, counter=None, flags=FLAGS) -> dict:
        """The answer to ``navigator.credentials.get(options)``."""
        key = options["publicKey"]
        client_data = CollectedClientData.create(
            type="webauthn.get",
            challenge=websafe_decode(key["challenge"]),
            origin=self.origin,
        )
        if counter is None:
            self.counter += 1
            counter = self.counter
        auth_data = AuthenticatorData.create(self._rp_hash(), flags, counter)
        signature = self.key.sign(
            bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(bytes(client_data)),
                "authenticatorData": websafe_encode(bytes(auth_data)),
                "signature": websafe_encode(signature),
                "userHandle": websafe_encode(self.user_handle),
            },
        }


def post_json(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _url(name, link):
    return reverse(f"wagtail_securelink:{name}", args=[link.token])


def save_passkey(client, link, authenticator):
    """Save ``authenticator``'s passkey in ``client``, just verified on ``link``."""
    options = post_json(client, _url("passkey_register_begin", link))
    assert options.status_code == 200, options.content
    answer = authenticator.create(options.json())
    return post_json(client, _url("passkey_register_finish", link), answer)


def sign_in(client, link, authenticator, **kwargs):
    """Press "Use a passkey" on ``link``'s verify page, answered by ``authenticator``."""
    options = post_json(client, _url("passkey_sign_in_begin", link))
    assert options.status_code == 200, options.content
    answer = authenticator.get(options.json(), **kwargs)
    return post_json(client, _url("passkey_sign_in", link), answer)
