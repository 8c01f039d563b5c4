// Human passwords: argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
import argon2 from 'argon2';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

// Verifying against this when the email is unknown keeps both answers equally slow.
const dummyHash = hashPassword('latchkey-timing-equaliser');

/** True when the password matches; with no hash (unknown user) it still spends the same time. */
export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash ?? await dummyHash, password) && hash !== undefined;
  } catch {
    return false;
  }
}
