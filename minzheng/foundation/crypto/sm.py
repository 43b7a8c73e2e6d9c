"""SM4-GCM encryption and HMAC-SM3 blind index (GB/T 32907, GB/T 32905) via ``cryptography``."""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import os
from binascii import a2b_base64, b2a_base64

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .keys import keyring

try:  # what Cipher(...).encryptor() calls once its argument checks pass; the checks cost as much
    # as the encryption of a short value, so the bulk path calls it directly when it is there
    from cryptography.hazmat.bindings._rust import openssl as _rust_openssl

    _create_encryption_ctx = _rust_openssl.ciphers.create_encryption_ctx
    _create_decryption_ctx = _rust_openssl.ciphers.create_decryption_ctx
except (ImportError, AttributeError):  # pragma: no cover - another cryptography layout
    _create_encryption_ctx = _create_decryption_ctx = None

PREFIX = "sm4g"
NONCE = 12
TAG = 16


class DecryptionError(Exception):
    pass


@functools.lru_cache(maxsize=16)
def _sm4(key: bytes) -> algorithms.SM4:
    """The algorithm object of a key, built (and its key checked) once; every message still gets
    its own GCM context with a fresh random nonce."""
    return algorithms.SM4(key)


def encrypt(plaintext: str, *, aad: bytes = b"") -> str:
    """``sm4g:<kid>:<base64(nonce | ciphertext | tag)>``."""
    kid, key = keyring().current
    nonce = os.urandom(NONCE)
    enc = Cipher(_sm4(key), modes.GCM(nonce)).encryptor()
    if aad:
        enc.authenticate_additional_data(aad)
    body = enc.update(plaintext.encode()) + enc.finalize()
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + body + enc.tag).decode()}"


def encrypt_many(plaintexts: list[str]) -> list[str]:
    """``[encrypt(p) for p in plaintexts]`` for bulk loads, the same tokens in less time: one key
    lookup and one ``os.urandom`` call for all the nonces (each message still has its own random
    12-byte nonce and its own GCM context; an empty plaintext stays ``""``)."""
    kid, key = keyring().current
    alg = _sm4(key)
    head = f"{PREFIX}:{kid}:"
    nonces = os.urandom(NONCE * len(plaintexts))
    gcm = modes.GCM
    create = _create_encryption_ctx or (lambda alg, mode: Cipher(alg, mode).encryptor())
    out = []
    for i, plaintext in enumerate(plaintexts):
        if not plaintext:
            out.append("")
            continue
        nonce = nonces[i * NONCE : i * NONCE + NONCE]
        enc = create(alg, gcm(nonce))
        body = enc.update(plaintext.encode()) + enc.finalize()
        out.append(head + b2a_base64(nonce + body + enc.tag, newline=False).decode())
    return out


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection while a bulk loop makes millions of short-lived objects (a
    cipher context per value): the collector's passes over a large process cost as much as the
    crypto itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decrypt_many(tokens: list[str]) -> list[str]:
    """``[decrypt(t) if t else "" for t in tokens]`` for exports, the same values in less time: one
    key lookup per key id and the GCM context built directly (``cryptography``'s ``Cipher`` checks
    its arguments on every call, which costs as much as decrypting a short value); each value is
    still authenticated by its own tag."""
    ring = keyring()
    algs: dict[str, algorithms.SM4] = {}
    gcm = modes.GCM
    create = _create_decryption_ctx or (lambda alg, mode: Cipher(alg, mode).decryptor())
    out = []
    with gc_paused():
        for token in tokens:
            if not token:
                out.append("")
                continue
            parts = token.split(":", 2)
            if len(parts) != 3 or parts[0] != PREFIX:
                raise DecryptionError("不是加密值")
            alg = algs.get(parts[1])
            if alg is None:
                alg = algs[parts[1]] = _sm4(ring.get(parts[1]))
            raw = a2b_base64(parts[2])
            dec = create(alg, gcm(raw[:NONCE], raw[-TAG:]))
            try:
                out.append((dec.update(raw[NONCE:-TAG]) + dec.finalize()).decode())
            except InvalidTag:
                raise DecryptionError("密文校验失败（密钥不符或数据被篡改）") from None
    return out


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
    dec = Cipher(_sm4(key), modes.GCM(nonce, tag)).decryptor()
    if aad:
        dec.authenticate_additional_data(aad)
    try:
        return (dec.update(body) + dec.finalize()).decode()
    except InvalidTag:
        raise DecryptionError("密文校验失败（密钥不符或数据被篡改）") from None


@functools.lru_cache(maxsize=64)
def _index_mac(key: bytes, purpose: str) -> hmac.HMAC:
    """HMAC-SM3 keyed and fed ``purpose + NUL``: callers ``copy()`` it rather than set up the key
    again per value (never update or finalize this one)."""
    h = hmac.HMAC(key, hashes.SM3())
    h.update(purpose.encode() + b"\x00")
    return h


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SM3 over ``purpose`` and the normalised value, hex. Equal inputs give equal indexes."""
    h = _index_mac(keyring().index_key, purpose).copy()
    h.update(value.encode())
    return h.finalize().hex()


def blind_indexes(values: list[str], *, purpose: str) -> list[str]:
    """``[blind_index(v, purpose=purpose) for v in values]``, for bulk loads."""
    base = _index_mac(keyring().index_key, purpose)
    out = []
    for value in values:
        h = base.copy()
        h.update(value.encode())
        out.append(h.finalize().hex())
    return out


@functools.lru_cache(maxsize=16)
def hmac_sm3_base(key: bytes, domain: bytes) -> hmac.HMAC:
    """HMAC-SM3 keyed with ``key`` and fed ``domain + NUL`` (so one key serves several purposes
    without one MAC standing for another); callers ``copy()`` it, never update this one."""
    h = hmac.HMAC(key, hashes.SM3())
    h.update(domain + b"\x00")
    return h


def hmac_sm3_hex(key: bytes, domain: bytes, data: bytes) -> str:
    h = hmac_sm3_base(key, domain).copy()
    h.update(data)
    return h.finalize().hex()


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()
