// A network document's nesting is bounded before any parser sees it: YAML and JSON parsers recurse
// per level, and a few kilobytes of `[[[[…` or `- - - …` exhaust the stack (or worse, the process).
// One linear pass over the text, no regular expressions; brackets inside quoted scalars count too,
// which only errs towards refusing documents no network needs.

/** Deeper than any network document needs (the deepest real path is about 8 levels). */
export const MAX_DOCUMENT_NESTING = 64;
/** Block-style indentation beyond this many columns is refused for the same reason. */
export const MAX_DOCUMENT_INDENT = 256;

export interface NestingProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export function documentNestingProblem(text: string, maxNesting = MAX_DOCUMENT_NESTING, maxIndent = MAX_DOCUMENT_INDENT): NestingProblem | undefined {
  let line = 1;
  let column = 0;
  let flowDepth = 0;
  let atLineStart = true;
  let indent = 0;
  let dashes = 0;
  let inComment = false;
  let previous = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    column++;
    if (c === '\n') {
      line++;
      column = 0;
      atLineStart = true;
      indent = 0;
      dashes = 0;
      inComment = false;
      previous = c;
      continue;
    }
    if (inComment) continue;
    if (c === '#' && (previous === ' ' || previous === '\t' || previous === '\n')) {
      inComment = true;
      continue;
    }
    if (atLineStart) {
      if (c === ' ' || c === '\t') {
        if (++indent > maxIndent) return { line, column, message: `indented more than ${maxIndent} columns (deeper than any network document needs)` };
        previous = c;
        continue;
      }
      // `- - - x`: each dash opens one more block sequence on the same line.
      if (c === '-' && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
        if (++dashes > maxNesting) return { line, column, message: `more than ${maxNesting} nested sequences on one line` };
        previous = c;
        continue;
      }
      atLineStart = false;
    }
    if (c === '[' || c === '{') {
      if (++flowDepth > maxNesting) return { line, column, message: `nested more than ${maxNesting} levels deep` };
    } else if ((c === ']' || c === '}') && flowDepth > 0) {
      flowDepth--;
    }
    previous = c;
  }
  return undefined;
}
