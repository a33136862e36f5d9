"""Tipline's cryptography: thin, typed wrappers over libsodium (PyNaCl).

Pure Python, no Django imports. Nothing here invents a primitive: every
operation is a libsodium construction (XSalsa20-Poly1305 secretbox,
X25519 sealed boxes, XChaCha20-Poly1305 secretstream, Argon2id, BLAKE2b).
"""
