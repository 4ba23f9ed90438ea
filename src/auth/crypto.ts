// Random tokens and SHA-256 live in shared/, so market data (the simulated gateway) need not import auth.
// Only the SHA-256 digest of a bearer secret is stored, so a database leak yields no usable credential.
export { randomToken, sha256Hex } from "../shared/digest";

export function timingSafeEqualText(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return crypto.timingSafeEqual(ab, bb);
}
