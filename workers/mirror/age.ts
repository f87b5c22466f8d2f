// age encryption of the tarball stream (X25519 recipients, 64 KiB ChaCha20-Poly1305 STREAM chunks), through
// the age-encryption library, which streams both ways; files interoperate with the `age` command-line tool.

import { Decrypter, Encrypter } from "age-encryption";
import { relabelErrors } from "./streams";

/** Splits SYNC_RECIPIENTS (comma, space or newline separated; `#` comments allowed) into age1… recipients. */
export function parseRecipients(text: string | undefined): string[] {
  const recipients = (text ?? "")
    .split("\n")
    .map((line) => line.replace(/#.*$/, ""))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter(Boolean);
  if (!recipients.length)
    throw new Error("SYNC_RECIPIENTS is not set: the producer needs at least one age recipient (age1…)");
  for (const r of recipients)
    if (!/^age1[02-9ac-hj-np-z]{58}$/.test(r))
      throw new Error(`SYNC_RECIPIENTS: ${JSON.stringify(r.slice(0, 80))} is not an X25519 age recipient (age1…)`);
  return recipients;
}

/** Reads SYNC_IDENTITY: one or more AGE-SECRET-KEY-1… lines (an age-keygen file works as it is). */
export function parseIdentities(text: string | undefined): string[] {
  const identities = (text ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  if (!identities.length)
    throw new Error("SYNC_IDENTITY is not set: the consumer needs its age identity (AGE-SECRET-KEY-1…)");
  for (const id of identities)
    if (!/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/.test(id))
      throw new Error("SYNC_IDENTITY holds a line that is not an X25519 age identity");
  return identities;
}

/** Encrypts a stream to every recipient; the header goes out first, then 64 KiB chunks as they fill. */
export async function encryptStream(
  plain: ReadableStream<Uint8Array>,
  recipients: string[],
): Promise<ReadableStream<Uint8Array>> {
  const encrypter = new Encrypter();
  for (const r of recipients) encrypter.addRecipient(r);
  return encrypter.encrypt(plain);
}

/** An age file that cannot be opened: wrong identity, bad header, corrupted or truncated payload. */
export class AgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgeError";
  }
}

/**
 * Decrypts a stream. The header is checked before this resolves (a wrong identity fails here); a corrupted or
 * truncated payload errors the returned stream at the bad chunk, as an AgeError.
 */
export async function decryptStream(
  cipher: ReadableStream<Uint8Array>,
  identities: string[],
): Promise<ReadableStream<Uint8Array>> {
  const decrypter = new Decrypter();
  for (const id of identities) decrypter.addIdentity(id);
  let plain: ReadableStream<Uint8Array>;
  try {
    plain = await decrypter.decrypt(relabelErrors(cipher, (err) => new SourceFailure(err)));
  } catch (err) {
    if (err instanceof SourceFailure) throw err.original;
    const text = messageOf(err);
    if (/no identity matched/.test(text))
      throw new AgeError("the object is not encrypted to this consumer's identity (SYNC_IDENTITY)");
    throw new AgeError(`not a valid age file: ${text}`);
  }
  return relabelErrors(plain, (err) =>
    err instanceof SourceFailure
      ? err.original
      : new AgeError(`the encrypted payload is corrupted or truncated: ${messageOf(err)}`),
  );
}

/** Wraps an error of the ciphertext's own source (e.g. the bucket) so it is not taken for bad ciphertext. */
class SourceFailure extends Error {
  constructor(readonly original: unknown) {
    super(messageOf(original));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
