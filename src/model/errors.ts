// Typed errors of the model: a refused network document (every problem with its path and an
// AWS-style code) and an EC2-shaped API error for flow-log requests.

/** One thing wrong with a network document: where (`vpcs[0].subnets[1].cidr`), AWS-style code, why. */
export interface Problem {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/**
 * A network document refused as a whole. `problems` lists every problem found, in document order;
 * `details` carries the same list for the HTTP API, which forwards it to the client.
 */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly code = 'InvalidNetworkDocument';
  readonly httpStatus = 400;
  constructor(readonly problems: readonly Problem[]) {
    super(ValidationError.summarize(problems));
  }

  get details(): readonly Problem[] {
    return this.problems;
  }

  private static summarize(problems: readonly Problem[]): string {
    const n = problems.length;
    const lines = problems.slice(0, 20).map((p) => `  ${p.path || '(document)'}: ${p.code}: ${p.message}`);
    if (n > 20) lines.push(`  … and ${n - 20} more`);
    return `the network document has ${n} problem${n === 1 ? '' : 's'}:\n${lines.join('\n')}`;
  }
}

/** An EC2 API error: `code` and `message` are what AWS would answer (HTTP 400 unless said otherwise). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
