// EC2 tag rules shared by network resources and flow logs: at most 50 per resource, keys 1–127
// characters and not starting with `aws:`, values up to 255 characters, keys unique.

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export const MAX_TAGS = 50;
export const MAX_TAG_KEY_LENGTH = 127;
export const MAX_TAG_VALUE_LENGTH = 255;

export interface TagProblem {
  /** Index of the offending tag, or undefined when the problem is the list itself. */
  readonly index?: number;
  readonly code: string;
  readonly message: string;
}

/** AWS counts Unicode characters, not UTF-16 units. */
const charCount = (s: string): number => [...s].length;

/** Every rule the tags break, in order; empty when they are valid. */
export function tagProblems(tags: readonly Tag[]): TagProblem[] {
  const problems: TagProblem[] = [];
  if (tags.length > MAX_TAGS) {
    problems.push({ code: 'TagLimitExceeded', message: `The maximum number of tags per resource is ${MAX_TAGS}; ${tags.length} were given` });
  }
  const seen = new Set<string>();
  tags.forEach((tag, index) => {
    const { Key: key, Value: value } = tag;
    if (charCount(key) === 0 || charCount(key) > MAX_TAG_KEY_LENGTH) {
      problems.push({ index, code: 'InvalidParameterValue', message: `Tag key must be 1 to ${MAX_TAG_KEY_LENGTH} characters long; '${key.slice(0, 40)}' has ${charCount(key)}` });
    }
    if (key.toLowerCase().startsWith('aws:')) {
      problems.push({ index, code: 'InvalidParameterValue', message: `Tag keys starting with 'aws:' are reserved for internal use: '${key}'` });
    }
    if (charCount(value) > MAX_TAG_VALUE_LENGTH) {
      problems.push({ index, code: 'InvalidParameterValue', message: `Tag value of key '${key}' exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH} characters` });
    }
    if (seen.has(key)) problems.push({ index, code: 'InvalidParameterValue', message: `Duplicate tag key '${key}'` });
    seen.add(key);
  });
  return problems;
}
