/**
 * Random tokens and SHA-256, for every layer: the simulated gateway's API key and CRAM as much as
 * the auth layer's session ids and stored token digests (auth/crypto.ts re-exports them).
 */

/** 32 random bytes as base64url: session ids, API tokens, CSRF and setup tokens. */
export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/** SHA-256 of a text in lower-case hex. */
export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}
