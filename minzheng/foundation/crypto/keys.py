"""Key ring: data keys with key ids, and one blind-index key.

``MINZHENG_KEYS`` holds ``kid=hex`` entries separated by commas, each key 16 bytes (32 hex
digits, SM4's key size). The first data key encrypts; every listed data key decrypts (so a
rotation can proceed while old values remain). The entry named ``index`` is the HMAC-SM3 key of
the blind indexes; it is not rotated by ``keys rotate`` because every index would change.

Without ``MINZHENG_KEYS`` the embedded default keeps a generated key ring in ``var/keys`` and
warns: fine for a demo, not for production (the key would sit next to the data).

The audit chain has a key of its own, ``MINZHENG_AUDIT_KEY`` (:func:`audit_key`, HMAC-SM3 over
every audit row and checkpoint, ADR 0014): whoever holds the data keys (to decrypt, rotate, run
the database) must not thereby be able to rewrite the audit trail. The embedded default keeps a
generated one in ``var/audit_key``, a file apart from ``var/keys``.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("minzheng.crypto")


class KeyError_(Exception):
    pass


@dataclass(frozen=True)
class KeyRing:
    data_keys: tuple[tuple[str, bytes], ...]  # (kid, key); first is current
    index_key: bytes
    source: str

    @property
    def current(self) -> tuple[str, bytes]:
        return self.data_keys[0]

    def get(self, kid: str) -> bytes:
        for k, key in self.data_keys:
            if k == kid:
                return key
        raise KeyError_(f"未知的密钥编号 {kid}：请在 MINZHENG_KEYS 中保留旧密钥直至轮换完成")


def parse_keys(text: str, source: str) -> KeyRing:
    data, index = [], None
    for entry in text.replace("\n", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        kid, sep, hexkey = entry.partition("=")
        kid, hexkey = kid.strip(), hexkey.strip()
        if not sep or not kid:
            raise KeyError_(f"密钥条目格式应为 编号=十六进制密钥：{entry[:12]}…")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            raise KeyError_(f"密钥 {kid} 不是十六进制") from None
        if len(key) != 16:
            raise KeyError_(f"密钥 {kid} 应为16字节（32位十六进制），实际 {len(key)} 字节")
        if kid == "index":
            index = key
        else:
            data.append((kid, key))
    if not data:
        raise KeyError_("MINZHENG_KEYS 中没有数据密钥")
    if index is None:
        raise KeyError_("MINZHENG_KEYS 中缺少 index=… 盲索引密钥")
    return KeyRing(tuple(data), index, source)


def new_key_entry(kid: str) -> str:
    return f"{kid}={secrets.token_hex(16)}"


def _key_file() -> Path:
    return Path(settings.MINZHENG_KEY_FILE)


def ensure_local_key_file() -> Path:
    path = _key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_key_entry("k1") + "\n" + new_key_entry("index") + "\n")
        os.chmod(path, 0o600)
        logger.warning("已生成本地密钥文件 %s（仅用于演示；生产环境请设置 MINZHENG_KEYS）", path)
    return path


@functools.cache
def keyring() -> KeyRing:
    if settings.MINZHENG_KEYS:
        return parse_keys(settings.MINZHENG_KEYS, "MINZHENG_KEYS")
    path = ensure_local_key_file()
    return parse_keys(path.read_text(), str(path))


def reset_keyring() -> None:
    keyring.cache_clear()
    audit_key.cache_clear()


AUDIT_KEY_MIN_BYTES = 16


def parse_audit_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise KeyError_(f"审计密钥（{source}）不是十六进制") from None
    if not AUDIT_KEY_MIN_BYTES <= len(key) <= 64:
        raise KeyError_(f"审计密钥（{source}）应为16至64字节（32至128位十六进制），实际 {len(key)} 字节")
    return key


def _write_new_file(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` (mode 0600) unless it exists: written aside, then linked into
    place, so two processes starting at once never read a half-written key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


@functools.cache
def audit_key() -> bytes:
    """The HMAC-SM3 key of the audit chain: ``MINZHENG_AUDIT_KEY`` (hex), else ``var/audit_key``
    generated once (a warning: in production the key belongs to the audit administrator, not in
    ``var/`` next to the database). Refused when equal to a data or blind-index key."""
    if settings.MINZHENG_AUDIT_KEY:
        key = parse_audit_key(settings.MINZHENG_AUDIT_KEY, "MINZHENG_AUDIT_KEY")
    else:
        path = Path(settings.MINZHENG_AUDIT_KEY_FILE)
        if not path.exists():
            _write_new_file(path, secrets.token_hex(32) + "\n")
            logger.warning("已生成本地审计密钥文件 %s（仅用于演示；生产环境请设置 MINZHENG_AUDIT_KEY）", path)
        key = parse_audit_key(path.read_text(), str(path))
    ring = keyring()
    if key == ring.index_key or any(key == k for _, k in ring.data_keys):
        raise KeyError_("审计密钥不得与数据密钥或盲索引密钥相同：请为 MINZHENG_AUDIT_KEY 另行生成密钥")
    return key
