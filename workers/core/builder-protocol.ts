// The builder protocol, version 1 (modelled on tag2upload's manager↔oracle protocol): each line is one
// WebSocket text message, a data block one binary message. Plain functions: parse a builder's line, and
// the lines the server sends.

export const PROTOCOL_VERSION = 1;
export const MAX_LINE = 4096;

export type BuilderMode = "testing" | "production";

/** A line from a builder, parsed; `violation` when it is not one the protocol allows. */
export type BuilderLine =
  | { kind: "version"; version: string }
  | { kind: "id"; id: string; mode: BuilderMode }
  | { kind: "ack" }
  | { kind: "message"; text: string }
  | { kind: "uploaded" }
  | { kind: "irrecoverable" }
  | { kind: "protocol-violation"; text: string }
  | { kind: "violation"; why: string };

const BUILDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isBuilderId(s: string): boolean {
  return BUILDER_ID.test(s);
}

export function parseBuilderLine(line: string): BuilderLine {
  if (line.length > MAX_LINE) return { kind: "violation", why: `line longer than ${MAX_LINE} characters` };
  if (/[\r\n\0]/.test(line)) return { kind: "violation", why: "line contains a newline or NUL" };
  const space = line.indexOf(" ");
  const word = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? null : line.slice(space + 1);
  switch (word) {
    case "builder-version":
      return rest && /^\d+$/.test(rest)
        ? { kind: "version", version: rest }
        : { kind: "violation", why: "builder-version needs a number" };
    case "builder-id": {
      const parts = rest?.split(" ") ?? [];
      if (parts.length !== 2 || !isBuilderId(parts[0]!) || (parts[1] !== "testing" && parts[1] !== "production"))
        return { kind: "violation", why: "expected builder-id <ID> testing|production" };
      return { kind: "id", id: parts[0]!, mode: parts[1] as BuilderMode };
    }
    case "ack":
    case "uploaded":
    case "irrecoverable":
      return rest === null ? { kind: word } : { kind: "violation", why: `${word} takes no arguments` };
    case "message":
      return rest !== null && rest.length > 0
        ? { kind: "message", text: rest }
        : { kind: "violation", why: "message needs a text" };
    case "protocol-violation":
      return { kind: "protocol-violation", text: rest ?? "" };
    default:
      return { kind: "violation", why: `unknown line ${JSON.stringify(line.slice(0, 60))}` };
  }
}

/** The lines that hand a job to a builder; the tag object goes as one binary message between them. */
export function jobLines(
  jobId: string,
  source: string,
  repoUrl: string,
  tagBytes: number,
): { head: string[]; tail: string[] } {
  return { head: [`job ${jobId} ${source} ${repoUrl}`, `data-block ${tagBytes}`], tail: ["data-end"] };
}
