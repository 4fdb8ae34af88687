import { estimateTokens } from "./estimate-tokens.js";
import type { Definition, FileOutline } from "./outline-python-files.js";
import type { ScoredDefinition } from "./rank-definitions.js";

/** One line per definition (`  120:     def name(args):`) after one for the imports, up to a token cap. */
export function renderOutline(
  outline: FileOutline,
  lines: string[],
  chosen: readonly ScoredDefinition[],
  maxTokens: number,
): string {
  const entries: { line: number; text: string; level: number }[] = [];
  // Imports are one line: listing them would take the room the signatures need.
  const first = outline.imports[0]?.[0];
  const last = outline.imports.at(-1)?.[1];
  if (first && last)
    entries.push({
      line: first,
      text: `(lines ${first}-${last}: ${outline.imports.length} import statements)`,
      level: 0,
    });
  const chosenClasses = new Set(
    chosen.map((scored) => scored.definition.qualname.split(".").slice(0, -1).join(".")).filter(Boolean),
  );
  for (const definition of outline.definitions) {
    if (definition.kind === "variable") continue;
    const owner = definition.qualname.split(".").slice(0, -1).join(".");
    // Methods of other classes are the first thing to go when the outline is too long.
    const level = owner === "" ? 0 : chosenClasses.has(owner) ? 1 : 2;
    const at = lineOfDef(definition, lines);
    entries.push({ line: at, text: clip(lines[at - 1] ?? ""), level });
    if (definition.docLine && level === 0)
      entries.push({ line: definition.docLine, text: clip(lines[definition.docLine - 1] ?? ""), level: 0 });
  }
  const width = String(lines.length).length;
  const render = (maxLevel: number) =>
    entries
      .filter((entry) => entry.level <= maxLevel)
      .sort((left, right) => left.line - right.line)
      .map((entry) => `${String(entry.line).padStart(width)}: ${entry.text}`);
  for (const level of [2, 1, 0]) {
    const rendered = render(level);
    if (estimateTokens(rendered.join("\n")) <= maxTokens) return rendered.join("\n");
  }
  const kept: string[] = [];
  for (const line of render(0)) {
    if (estimateTokens([...kept, line].join("\n")) > maxTokens) break;
    kept.push(line);
  }
  return [...kept, "(outline cut here)"].join("\n");
}

/** The `def`/`class` line itself (decorators come before it). */
function lineOfDef(definition: Definition, lines: string[]): number {
  for (let line = definition.start; line <= definition.headerEnd; line++)
    if (/^\s*(async\s+def|def|class)\s/.test(lines[line - 1] ?? "")) return line;
  return definition.start;
}

function clip(text: string): string {
  const trimmed = text.replace(/\s+$/, "");
  return trimmed.length > 110 ? `${trimmed.slice(0, 107)}...` : trimmed;
}
