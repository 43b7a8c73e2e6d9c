"""SM4-GCM encryption and HMAC-SM3 blind index (GB/T 32907, GB/T 32905) via ``cryptography``."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .keys import keyring

PREFIX = "sm4g"
NONCE = 12
TAG = 16


class DecryptionError(Exception):
    pass


def encrypt(plaintext: str, *, aad: bytes = b"") -> str:
    """``sm4g:<kid>:<base64(nonce | ciphertext | tag)>``."""
    kid, key = keyring().current
    nonce = os.urandom(NONCE)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    if aad:
        enc.authenticate_additional_data(aad)
    body = enc.update(plaintext.encode()) + enc.finalize()
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + body + enc.tag).decode()}"


def key_id(token: str) -> str | None:
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def decrypt(token: str, *, aad: bytes = b"") -> str:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("不是加密值")
    key = keyring().get(parts[1])
    raw = base64.b64decode(parts[2])
    nonce, body, tag = raw[:NONCE], raw[NONCE:-TAG], raw[-TAG:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    if aad:
        dec.authenticate_additional_data(aad)
    try:
        return (dec.update(body) + dec.finalize()).decode()
    except InvalidTag:
        raise DecryptionError("密文校验失败（密钥不符或数据被篡改）") from None


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SM3 over ``purpose`` and the normalised value, hex. Equal inputs give equal indexes."""
    h = hmac.HMAC(keyring().index_key, hashes.SM3())
    h.update(purpose.encode() + b"\x00" + value.encode())
    return h.finalize().hex()


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()
