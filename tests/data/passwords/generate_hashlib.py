"""Prints (as JSON) the vectors made with Python's hashlib; called by generate.mjs."""
import hashlib
import json
import os

PASSWORDS = ["correct horse battery staple", "pässwörd-日本語-🔑", 'with "quotes" \\ and spaces']
out = []


def add(method, stored, password, source, **extra):
    out.append({"method": method, "hash": stored, "password": password, "source": source, **extra})


for pw in PASSWORDS:
    raw = pw.encode("utf-8")
    add("MD5", hashlib.md5(raw).hexdigest(), pw, "Python hashlib.md5 hexdigest")
    add("SHA1", hashlib.sha1(raw).hexdigest(), pw, "Python hashlib.sha1 hexdigest")
    add("SHA256", hashlib.sha256(raw).hexdigest(), pw, "Python hashlib.sha256 hexdigest")


def digest_tuple(algorithm, python_name, args, pw, note=None):
    joined = "".join(pw if a == "@" else a for a in args).encode("utf-8")
    expected = hashlib.new(python_name, joined).hexdigest()
    extra = {"note": note} if note else {}
    add("Legacy", json.dumps([algorithm, args, expected], ensure_ascii=False), pw,
        f"Python hashlib.new({python_name!r}) over the joined args", **extra)


salt = os.urandom(6).hex()
digest_tuple("sha256", "sha256", ["salt123", "@"], "password123", "Logto's documented example")
digest_tuple("md5", "md5", ["@"], PASSWORDS[0])
digest_tuple("sha1", "sha1", ["prefix", "@", "suffix"], PASSWORDS[1])
digest_tuple("sha512", "sha512", [salt, "@", "pepper"], PASSWORDS[2])
digest_tuple("sha3-256", "sha3_256", ["@", salt], PASSWORDS[0])
digest_tuple("blake2b512", "blake2b", [salt, "@"], PASSWORDS[1])
digest_tuple("sha256", "sha256", ["@", "@"], PASSWORDS[2], "two '@' elements: the password twice")
digest_tuple("sha1", "sha1", ["a@b", "@"], PASSWORDS[0], "'@' inside an element is literal")


def pbkdf2_tuple(algorithm, salt_text, salt_bytes, iterations, keylen, digest, pw):
    dk = hashlib.pbkdf2_hmac(digest, pw.encode("utf-8"), salt_bytes, iterations, keylen).hex()
    add("Legacy", json.dumps([algorithm, [salt_text, str(iterations), str(keylen), digest, "@"], dk], ensure_ascii=False),
        pw, f"Python hashlib.pbkdf2_hmac({digest!r}, {iterations}, {keylen})")


plain_salt = "salt-" + os.urandom(4).hex()
pbkdf2_tuple("pbkdf2", plain_salt, plain_salt.encode(), 1000, 32, "sha256", PASSWORDS[0])
hex_salt = os.urandom(16)
pbkdf2_tuple("pbkdf2", "hex:" + hex_salt.hex(), hex_salt, 2000, 64, "sha512", PASSWORDS[1])
pbkdf2_tuple("pbkdf2Sync", "NaCl", b"NaCl", 1, 20, "sha1", PASSWORDS[2])

print(json.dumps(out, ensure_ascii=False))
