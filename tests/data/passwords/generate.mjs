// Regenerates vectors.json: password-hash test vectors made by implementations independent of
// reverify (hash-wasm, bcryptjs, node-argon2, Node's crypto, Python's hashlib).
//   mkdir /tmp/vectors && cd /tmp/vectors && npm init -y && npm install bcryptjs hash-wasm argon2
//   NODE_PATH=/tmp/vectors/node_modules node tests/data/passwords/generate.mjs > tests/data/passwords/vectors.json
// Salts are random, so each run writes different (equally valid) vectors.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(process.env.NODE_PATH ?? process.cwd(), 'x.js'));
const hashwasm = require('hash-wasm');
const bcryptjs = require('bcryptjs');
const nodeArgon2 = require('argon2');

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = [];
const add = (method, hash, password, source, extra = {}) =>
  vectors.push({ method, hash, password, source, ...extra });

const passwords = ['correct horse battery staple', 'pässwörd-日本語-🔑', 'with "quotes" \\ and spaces'];

// --- Argon2 via hash-wasm (the library Logto uses) ---
const hw = async (fn, name, password, opts, note) => {
  const salt = crypto.randomBytes(opts.saltLength ?? 16);
  const encoded = await hashwasm[fn]({
    password, salt, iterations: opts.t, parallelism: opts.p, memorySize: opts.m,
    hashLength: opts.len ?? 32, outputType: 'encoded',
  });
  add(name, encoded, password, `hash-wasm ${fn}`, note ? { note } : {});
  return encoded;
};
for (const pw of passwords.slice(0, 2)) {
  await hw('argon2i', 'Argon2i', pw, { t: 8, p: 1, m: 8192 }, "Logto's default form (hash-wasm, m=8192,t=8,p=1)");
}
const id = await hw('argon2id', 'Argon2id', passwords[0], { t: 3, p: 1, m: 4096 });
await hw('argon2id', 'Argon2id', passwords[1], { t: 2, p: 4, m: 2048, saltLength: 8, len: 24 }, 'p=4, 8-byte salt, 24-byte tag');
await hw('argon2id', 'Argon2id', passwords[2], { t: 1, p: 1, m: 1024, saltLength: 33, len: 17 }, '33-byte salt, 17-byte tag');
await hw('argon2d', 'Argon2d', passwords[0], { t: 2, p: 1, m: 1024 });
await hw('argon2d', 'Argon2d', passwords[1], { t: 1, p: 3, m: 1536, saltLength: 12, len: 64 }, 'p=3, 12-byte salt, 64-byte tag');
await hw('argon2i', 'Argon2i', passwords[2], { t: 1, p: 2, m: 1024 }, 'argon2i with t=1 (below libsodium minimum) and p=2');
{
  // Same hash, parameters written in another order (PHC allows any order).
  const reordered = id.replace(/m=(\d+),t=(\d+),p=(\d+)/, 't=$2,p=$3,m=$1');
  add('Argon2id', reordered, passwords[0], 'hash-wasm argon2id, parameters rewritten as t,p,m', { note: 'reordered params' });
}

// --- Argon2 via node-argon2 (the reference C implementation; writes m,p,t and supports v=16) ---
const na = async (type, name, password, opts, note) => {
  const encoded = await nodeArgon2.hash(password, { type, ...opts });
  add(name, encoded, password, `node-argon2 ${opts.version === 0x10 ? 'v=16' : 'v=19'}`, note ? { note } : {});
  return encoded;
};
await na(nodeArgon2.argon2i, 'Argon2i', passwords[0], { version: 0x10, memoryCost: 1024, timeCost: 2, parallelism: 2 }, 'v=16');
await na(nodeArgon2.argon2id, 'Argon2id', passwords[1], { memoryCost: 4096, timeCost: 2, parallelism: 2 }, 'p=2, m,p,t order');
const d16 = await na(nodeArgon2.argon2d, 'Argon2d', passwords[2], { version: 0x10, memoryCost: 1024, timeCost: 3, parallelism: 1 }, 'v=16');
add('Argon2d', d16.replace('$v=16$', '$'), passwords[2], 'node-argon2 v=16 with the version field removed',
  { note: 'no version field (means 0x10)' });

// --- bcrypt: bcryptjs writes $2b$, hash-wasm writes $2a$; PHP's $2y$ is the same algorithm as $2b$ ---
for (const pw of passwords) add('Bcrypt', bcryptjs.hashSync(pw, 4), pw, 'bcryptjs 3 ($2b$, cost 4)');
add('Bcrypt', bcryptjs.hashSync(passwords[0], 6), passwords[0], 'bcryptjs 3 ($2b$, cost 6)');
{
  const hashed = await hashwasm.bcrypt({ password: passwords[1], salt: crypto.randomBytes(16), costFactor: 5, outputType: 'encoded' });
  add('Bcrypt', hashed, passwords[1], 'hash-wasm bcrypt ($2a$, cost 5)');
  const b = bcryptjs.hashSync(passwords[2], 4);
  add('Bcrypt', b.replace(/^\$2b\$/, '$2y$'), passwords[2], 'bcryptjs 3 $2b$ relabelled $2y$ (PHP prefix, same algorithm)');
  const long = 'L'.repeat(70) + 'ü' + 'tail-beyond-72-bytes';  // 'ü' is 2 bytes: bytes 71..72
  add('Bcrypt', bcryptjs.hashSync(long, 4), long, 'bcryptjs 3, 91-byte password (bcrypt uses the first 72 bytes)',
    { truncates_at: 72 });
}

// --- Legacy firebase-scrypt via Node's crypto, following Firebase's published scheme:
// key = scrypt(password, salt || separator, N = 2^memCost, r = rounds, p = 1, 32 bytes);
// hash = base64(AES-256-CTR(key, iv = 16 zero bytes, signerKey)).
const firebase = (password, salt, signer, sep, rounds, memCost) => {
  const key = crypto.scryptSync(Buffer.from(password, 'utf8'), Buffer.concat([salt, sep]), 32,
    { N: 2 ** memCost, r: rounds, p: 1, maxmem: 256 * 1024 * 1024 });
  const cipher = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16, 0));
  return Buffer.concat([cipher.update(signer), cipher.final()]).toString('base64');
};
{
  const salt = crypto.randomBytes(12), signer = crypto.randomBytes(64), sep = Buffer.from([0x07]);
  const tuple = ['firebase-scrypt', [salt.toString('base64'), signer.toString('base64'), sep.toString('base64'), '8', '14', '@'],
    firebase(passwords[0], salt, signer, sep, 8, 14)];
  add('Legacy', JSON.stringify(tuple), passwords[0], "Node crypto scrypt + aes-256-ctr (Firebase's scheme, rounds 8, memCost 14)");
  const salt2 = crypto.randomBytes(16), signer2 = crypto.randomBytes(48), sep2 = crypto.randomBytes(2);
  const tuple2 = ['firebase-scrypt', [salt2.toString('base64url'), signer2.toString('base64url'), sep2.toString('base64'), '4', '12', '@'],
    firebase(passwords[1], salt2, signer2, sep2, 4, 12)];
  add('Legacy', JSON.stringify(tuple2), passwords[1], 'Node crypto, Firebase scheme, URL-safe unpadded base64 inputs', { note: 'url-safe base64' });
  // Firebase's own published example (firebase/scrypt README; also in Logto's password tests).
  const known = ['firebase-scrypt', ['42xEC+ixf3L2lw==',
    'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==', 'Bw==', '8', '14', '@'],
    'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=='];
  const check = firebase('user1password', Buffer.from(known[1][0], 'base64'), Buffer.from(known[1][1], 'base64'),
    Buffer.from(known[1][2], 'base64'), 8, 14);
  if (check !== known[2]) throw new Error('Firebase scheme does not reproduce the published example');
  add('Legacy', JSON.stringify(known), 'user1password', "Firebase's published example (reproduced by Node crypto above)");
}
// pbkdf2 through Node's crypto as well (Python's hashlib makes the others).
{
  const salt = crypto.randomBytes(10).toString('hex');
  const dk = crypto.pbkdf2Sync(passwords[2], Buffer.from(salt, 'hex'), 1500, 40, 'sha384').toString('hex');
  add('Legacy', JSON.stringify(['pbkdf2Sync', [`hex:${salt}`, '1500', '40', 'sha384', '@'], dk]), passwords[2], 'Node crypto.pbkdf2Sync (sha384, hex: salt)');
}

// --- Python's hashlib: MD5/SHA1/SHA256 and Legacy digest/pbkdf2 tuples ---
const py = JSON.parse(execFileSync('python3', [path.join(here, 'generate_hashlib.py')], { encoding: 'utf8' }));
vectors.push(...py);

process.stdout.write(JSON.stringify({
  generated_by: 'tests/data/passwords/generate.mjs (see README.md)',
  vectors,
}, null, 2) + '\n');
