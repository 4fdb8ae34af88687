/** A verbatim piece of a file shown to the model. */
export interface ContextSection {
  /** First line (1-based) of the piece in the base commit's file. */
  start: number;
  /** Last line (1-based, inclusive). */
  end: number;
  /** The lines themselves, exactly as in the file (so SEARCH blocks can be copied from them). */
  text: string;
}

/** Why a file is in the context, strongest evidence first. */
/** `model`: named by the model step (`--localize model`). */
export type ContextReason =
  | "mentioned"
  | "traceback"
  | "symbol"
  | "message"
  | "imported"
  | "called"
  | "ancestor"
  | "module"
  | "retrieved"
  | "model";

/** One file as the model is shown it: whole, or an outline plus chosen pieces. */
export interface ContextFile {
  /** Path relative to the checkout. */
  path: string;
  /** The strongest evidence that chose it. */
  reason: ContextReason;
  /** Line ranges shown verbatim, 1-based and inclusive; null when the whole file is shown. */
  ranges: [number, number][] | null;
  /** Lines in the file. */
  lineCount: number;
  /** The verbatim pieces, in line order (the whole file is one piece). */
  sections: ContextSection[];
  /** Outline lines (`line: signature`) shown before the pieces of a partly shown file; absent for whole files. */
  outline?: string;
}

/**
 * How one file appears in the first message. Code inside the fences is the file's own text, never
 * prefixed, so a SEARCH block can be copied from it; line numbers sit outside, in the headers.
 */
export function renderContextFile(file: ContextFile): string {
  if (file.ranges === null) {
    const text = file.sections[0]?.text ?? "";
    return `${file.path} (whole file, ${file.lineCount} lines)\n${fence("python", text)}`;
  }
  const parts = [
    `${file.path} (${file.lineCount} lines; an outline, then the full text of the parts most likely involved)`,
  ];
  if (file.outline) parts.push(`Outline of ${file.path} (line: definition):\n${fence("text", file.outline)}`);
  for (const section of file.sections)
    parts.push(`${file.path} lines ${section.start}-${section.end}:\n${fence("python", section.text)}`);
  return parts.join("\n");
}

function fence(language: string, text: string): string {
  return `\`\`\`${language}\n${text}${text.endsWith("\n") || text === "" ? "" : "\n"}\`\`\``;
}
